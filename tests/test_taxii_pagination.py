"""Keyset pagination of TAXII collections: every object exactly once, in (date added, id) order, stable
while rows change between pages, never an OFFSET; on PostgreSQL the page query walks the partial index.

The same walk over 1,000,000 IOCs, with timings, is ``bench/taxii_pages.py``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from iocs.models import IOC
from tests.feeds_helpers import bulk_iocs, make_ioc
from tests.taxii_helpers import collection_url, walk
from threats.taxii.indicators import _rows
from threats.taxii.params import MAX_LIMIT, ObjectQuery, Position
from threats.taxii.protocol import parse_time

pytestmark = pytest.mark.django_db
OBJECTS = collection_url("indicators")


def test_every_object_once_in_order_across_ties(client, callers):
    bulk_iocs(120, "tie")  # one INSERT stamp: 120 rows with the same date added
    for n in range(30):
        make_ioc(f"single-{n}.example.com")
    pages = walk(callers["researcher"], client, OBJECTS, limit=7)
    assert all(len(p["objects"]) == 7 for p in pages[:-1]) and 0 < len(pages[-1]["objects"]) <= 7
    ids = [o["id"] for p in pages for o in p["objects"]]
    assert len(ids) == len(set(ids)) == 150 + 3  # + identity and the CLEAR and GREEN markings
    manifest = [e for p in walk(callers["researcher"], client, collection_url("indicators", "manifest/"), limit=9)
                for e in p["objects"]]
    assert [e["id"] for e in manifest] == ids
    keys = [parse_time(e["date_added"]) for e in manifest]
    assert keys == sorted(keys)


def test_changes_between_pages_lose_nothing(client, callers):
    early = [make_ioc(f"early-{n}.example.com") for n in range(20)]
    IOC.objects.filter(pk__in=[i.pk for i in early]).update(updated_at=timezone.now() - timedelta(hours=1))
    researcher = callers["researcher"]
    seen, params = [], {"limit": 5}
    for step in range(100):
        page = researcher.get(client, OBJECTS, params).json()
        seen += [(o["id"], o.get("modified", o["created"])) for o in page["objects"]]
        if step == 1:  # mid-walk: one already-read IOC changes, a new one arrives
            IOC.objects.filter(pk=early[0].pk).update(confidence="low")
            make_ioc("late.example.com")
        if not page["more"]:
            break
        params["next"] = page["next"]
    assert len(seen) == len(set(seen))  # no version twice
    assert len(seen) == 20 + 3 + 1 + 1  # every early IOC, the heads, the late one, early[0]'s new version
    final = {o["id"] for o in researcher.get(client, OBJECTS, {"limit": 1000}).json()["objects"]}
    assert final == {i for i, _ in seen}


def test_headers_limit_cap_and_resume(client, callers):
    bulk_iocs(30, "cap")
    researcher = callers["researcher"]
    response = researcher.get(client, OBJECTS, {"limit": 10})
    first, last = response["X-TAXII-Date-Added-First"], response["X-TAXII-Date-Added-Last"]
    assert parse_time(first) <= parse_time(last)
    everything = researcher.get(client, OBJECTS, {"limit": MAX_LIMIT * 10})
    assert everything.status_code == 200 and len(everything.json()["objects"]) == 33
    assert researcher.get(client, OBJECTS, {"added_after": everything["X-TAXII-Date-Added-Last"]}).json() == \
        {"more": False, "objects": []}
    empty = researcher.get(client, OBJECTS, {"added_after": everything["X-TAXII-Date-Added-Last"]})
    assert "X-TAXII-Date-Added-First" not in empty


def test_pages_never_use_offset(client, callers):
    bulk_iocs(50, "keyset")
    researcher = callers["researcher"]
    page = researcher.get(client, OBJECTS, {"limit": 10}).json()
    with CaptureQueriesContext(connection) as ctx:
        deeper = researcher.get(client, OBJECTS, {"limit": 10, "next": page["next"]})
    assert deeper.status_code == 200
    assert not [q["sql"] for q in ctx.captured_queries if "OFFSET" in q["sql"].upper()]
    assert any("LIMIT 11" in q["sql"] for q in ctx.captured_queries)


@pytest.mark.slow
def test_postgresql_walks_the_partial_index(db):
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN plans are checked on PostgreSQL")
    bulk_iocs(20000, "plan")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE iocs_ioc")
    middle = IOC.objects.order_by("updated_at", "id").values_list("updated_at", "id")[10000]
    query = ObjectQuery(limit=1000, after=Position(middle[0], 1, middle[1]))
    plan = _rows(IOC.objects.published().filter(tlp__lte=2), query, 1).explain()
    assert "ioc_taxii_listed_idx" in plan, plan
    assert "Sort" not in plan and "Seq Scan" not in plan, plan
