"""Token feeds someone polls are kept warm: the Celery task builds each new generation's file, so the
next poll is served from it without touching the IOC table; feeds nobody polled in a day, custom
parameters and exports are left alone."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from iocs.feeds import artifacts, services, warm
from tests.access import make_callers
from tests.feeds_helpers import body, make_ioc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_env")]


def ioc_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "iocs_ioc" in q["sql"] and "'pending'" not in q["sql"]]


def files() -> set[str]:
    root = artifacts.directory()
    return {p.name for p in root.iterdir()} if root.exists() else set()


@pytest.fixture
def callers(db):
    return make_callers()


def test_a_polled_feed_gets_its_next_generation_built_by_the_task(client, callers):
    caller = callers["researcher_token"]
    make_ioc("first.warm.example")
    first = caller.get(client, "/api/iocs/feed", data={"format": "csv"})
    assert first.status_code == 200 and b"first.warm.example" in body(first)
    assert [e.fmt for e in warm.polled()] == ["csv"]

    make_ioc("second.warm.example")  # a new generation
    before = files()
    result = services.refresh_feeds()
    assert result["warm"] == 1 and len(files() - before) == 1

    with CaptureQueriesContext(connection) as queries:
        again = caller.get(client, "/api/iocs/feed", data={"format": "csv"})
        text = body(again)
    assert again.status_code == 200 and b"second.warm.example" in text
    assert ioc_queries(queries) == []  # the task's file, as is
    assert again["ETag"] != first["ETag"]


def test_the_same_feed_for_another_clearance_is_its_own_entry(client, callers):
    make_ioc("shared.warm.example")
    body(callers["researcher_token"].get(client, "/api/iocs/feed", data={"format": "txt"}))
    body(callers["business_key"].get(client, "/api/public/v1/iocs/feed", data={"format": "txt"}))
    entries = warm.polled()
    assert sorted((e.tier, e.clearance) for e in entries) == sorted({(e.tier, e.clearance) for e in entries})
    assert len(entries) == 2 and len({e.url for e in entries}) == 2


def test_custom_parameters_and_exports_are_not_kept_warm(client, callers):
    make_ioc("custom.warm.example")
    caller = callers["researcher_token"]
    body(caller.get(client, "/api/iocs/feed", data={"format": "csv", "types": "domain"}))
    body(caller.get(client, "/api/iocs/export", data={"format": "csv"}))
    assert warm.polled() == []
    assert services.refresh_feeds()["warm"] == 0


def test_a_feed_nobody_polled_for_a_day_is_not_built(client, callers):
    make_ioc("stale.warm.example")
    body(callers["researcher_token"].get(client, "/api/iocs/feed", data={"format": "csv"}))
    (entry,) = warm.polled()
    assert warm.polled(now=entry.at + warm.WARM_SECONDS + 1) == []


def test_polls_write_the_index_at_most_every_few_minutes(client, callers, monkeypatch):
    make_ioc("often.warm.example")
    caller = callers["researcher_token"]
    body(caller.get(client, "/api/iocs/feed", data={"format": "csv"}))
    writes = []
    real_set = cache.set
    monkeypatch.setattr(cache, "set", lambda *a, **k: writes.append(a[0]) or real_set(*a, **k))
    for _ in range(5):
        body(caller.get(client, "/api/iocs/feed", data={"format": "csv"}))
    assert warm.INDEX_KEY not in writes
