"""PostgreSQL restarted under gunicorn: every server-side connection of the web workers is killed
(what a restart or a failover does to them), and the next requests succeed on fresh connections.

The shared PostgreSQL keeps running: only this gunicorn's own backends (found by their
``application_name``) are terminated, with ``pg_terminate_backend``. Persistent connections
(``CONN_MAX_AGE``) make this bite: without ``CONN_HEALTH_CHECKS`` the first request of each worker
after a restart would be a 500. The lookup memo's listening sessions are killed with the rest, and
a change committed while nobody listened must still be seen.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
from django.db import connection

from apikeys.models import APIKey, Scope
from apikeys.tiers import Tier
from apikeys.tlp import TLP
from iocs.models import IOC, Status
from tests.access import make_user
from tests.live_support import database_url, get, gunicorn, server_env
from tests.scenario import make_ioc, make_threat, sight

pytestmark = [pytest.mark.exclusive, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def terminate_backends(application_name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                       "WHERE application_name = %s AND pid <> pg_backend_pid()", [application_name])
        return cursor.fetchone()[0]


def test_requests_after_the_database_dropped_every_connection_succeed(tmp_path):
    threat = make_threat("Postgres fault campaign", tlp=TLP.CLEAR)
    sight(make_ioc("domain", "c2.pg-fault.net", tlp=TLP.CLEAR), threat)
    _, key = APIKey.issue(make_user("pg-fault", Tier.BUSINESS), scopes=list(Scope.values), name="pg")
    urls = [("/api/iocs/lookup?value=c2.pg-fault.net", {}), ("/api/iocs/public/feed.txt", {}),
            (f"/api/threats/{threat.public_id}/iocs?format=json", {}),
            ("/api/public/v1/iocs/feed?format=csv", {"X-API-Key": key}), ("/healthz", {})]
    name = f"tc-pg-fault-{uuid.uuid4().hex[:8]}"
    env = server_env(DATABASE_URL=database_url(name), FEED_ARTIFACT_DIR=str(tmp_path / "feeds"), REDIS_URL="",
                     DB_CONN_MAX_AGE="600", CELERY_TASK_ALWAYS_EAGER="1")
    log = tmp_path / "gunicorn.log"
    with gunicorn(env, log, workers=2) as base:
        for _ in range(4):  # both workers hold a persistent connection
            assert [get(base + url, headers)[0] for url, headers in urls] == [200] * len(urls)
        for round_ in range(3):
            assert terminate_backends(name) >= 1, "gunicorn held no connection: the test would prove nothing"
            for _ in range(4):
                statuses = [get(base + url, headers)[0] for url, headers in urls]
                assert statuses == [200] * len(urls), (round_, statuses, log.read_text()[-3000:])
        answer = json.loads(get(base + "/api/iocs/lookup?value=c2.pg-fault.net")[1])
        assert answer["found"] is True
        # The lookup memo's listening sessions die too: a change committed while nobody listens must
        # still be seen (the memo is emptied when its session is found dead, then listens again).
        terminate_backends(name)
        IOC.objects.filter(value="c2.pg-fault.net").update(status=Status.FALSE_POSITIVE, confidence="")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(lookup_found(base) for _ in range(6)):
            time.sleep(0.05)
        assert not any(lookup_found(base) for _ in range(10))
    assert "Internal Server Error" not in log.read_text()


def lookup_found(base: str) -> bool:
    status, body = get(base + "/api/iocs/lookup?value=c2.pg-fault.net")[:2]
    assert status == 200
    return json.loads(body)["found"]
