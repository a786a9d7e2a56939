"""Redis down: gunicorn keeps answering the public feeds and lookups (cache misses and un-metered
requests, each logged), never a 500; when Redis is back, caching and counting resume.

A throwaway ``redis-server`` of this test's own is the cache; the shared Redis is never touched.
"""

from __future__ import annotations

import json
import signal

import pytest

from apikeys.tlp import TLP
from tests.live_support import database_url, get, gunicorn, redis_server, server_env
from tests.scenario import make_ioc, make_threat, sight

pytestmark = [pytest.mark.exclusive, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PUBLIC_URLS = [
    "/api/iocs/public/feed.txt",
    "/api/iocs/public/feed.json",
    "/api/iocs/public/feed.csv",
    "/api/iocs/feed/status.json",
    "/api/iocs/lookup?value=c2.redis-fault.net",
    "/api/iocs/lookup?value=hxxp://c2[.]redis-fault[.]net/x",
    "/misp/manifest.json",
    "/misp/hashes.csv",
    "/healthz",
]


def seed() -> None:
    threat = make_threat("Redis fault campaign", tlp=TLP.CLEAR)
    for ioc_type, value in (("domain", "c2.redis-fault.net"), ("ipv4", "45.77.1.9"),
                            ("url", "http://c2.redis-fault.net/x")):
        sight(make_ioc(ioc_type, value, tlp=TLP.CLEAR), threat)


def answers(base: str) -> dict[str, tuple[int, bytes, dict]]:
    return {path: get(base + path) for path in PUBLIC_URLS}


def test_public_feeds_and_lookups_answer_while_redis_is_down(tmp_path):
    seed()
    log = tmp_path / "gunicorn.log"
    with redis_server() as (redis_url, redis_process):
        env = server_env(DATABASE_URL=database_url(), REDIS_URL=redis_url, FEED_ARTIFACT_DIR=str(tmp_path / "feeds"),
                         MISP_FEED_CACHE_SECONDS="300")
        with gunicorn(env, log) as base:
            before = answers(base)
            assert {path: status for path, (status, _, _) in before.items()} == dict.fromkeys(PUBLIC_URLS, 200)
            assert "X-RateLimit-Limit" in before["/api/iocs/lookup?value=c2.redis-fault.net"][2]
            assert b"c2.redis-fault.net" in before["/api/iocs/public/feed.txt"][1]

            redis_process.send_signal(signal.SIGKILL)
            redis_process.wait()
            for _ in range(3):  # every gunicorn worker meets the dead cache
                during = answers(base)
                statuses = {path: status for path, (status, _, _) in during.items()}
                assert statuses == dict.fromkeys(PUBLIC_URLS, 200), statuses
            assert b"c2.redis-fault.net" in during["/api/iocs/public/feed.txt"][1]
            assert b"45.77.1.9" in during["/api/iocs/public/feed.csv"][1]
            found = json.loads(during["/api/iocs/lookup?value=hxxp://c2[.]redis-fault[.]net/x"][1])
            assert found["found"] is True and found["clusters"][0]["title"] == "Redis fault campaign"
            assert json.loads(during["/healthz"][1])["checks"]["cache"] == "degraded"
    text = log.read_text()
    assert "rate limiting skipped" in text  # degraded, and said so: once, not a traceback per request
    assert "cache unavailable, serving without it (Connection" in text
    assert "Internal Server Error" not in text and "Traceback" not in text


def test_a_dead_redis_at_start_up_is_no_500_either(tmp_path):
    """gunicorn started while its Redis is already gone: the first requests of each worker too."""
    seed()
    log = tmp_path / "gunicorn.log"
    with redis_server() as (redis_url, redis_process):
        redis_process.send_signal(signal.SIGKILL)
        redis_process.wait()
        env = server_env(DATABASE_URL=database_url(), REDIS_URL=redis_url, FEED_ARTIFACT_DIR=str(tmp_path / "feeds"))
        with gunicorn(env, log) as base:
            statuses = {path: get(base + path)[0] for path in PUBLIC_URLS}
    assert statuses == dict.fromkeys(PUBLIC_URLS, 200), (statuses, log.read_text()[-3000:])
