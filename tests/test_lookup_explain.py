"""On PostgreSQL the lookup reads only through indexes: no sequential scan of IOCs, sightings or
threats, for one value or a batch of 100 (a large table: the planner's choice, not a small-table one).

The same check at 1,000,000 IOCs, with timings, is ``bench/lookup_explain.py``.
"""

import pytest
from django.db import connection

from iocs.lookup.explain import lookup_plans, scans
from iocs.lookup.query import LookupKey
from iocs.models import IOC
from threats.demo import seed

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
INDEX_SCANS = {"Index Scan", "Index Only Scan", "Bitmap Index Scan", "Bitmap Heap Scan"}


@pytest.fixture
def big(db):
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN plans are checked on PostgreSQL")
    seed(threats=1500, iocs=30000, seed=11)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE iocs_ioc, threats_sighting, threats_threat")
    rows = list(IOC.objects.order_by("id").values_list("type", "value", "id")[1000:1100])
    return [LookupKey(t, v) for t, v, _ in rows], [pk for _, _, pk in rows]


def test_the_lookup_uses_indexes_only(big):
    keys, ids = big
    for size in (1, 10, 100):
        for clearance in (0, 4):
            plans = lookup_plans(keys[:size], ids[:size], clearance, 20)
            for name, root in plans.items():
                found = scans(root)
                assert found, (size, clearance, name, root)
                assert {kind for kind, _ in found} <= INDEX_SCANS, (size, clearance, name, found)
            used = {index for kind, index in scans(plans["iocs"]) if kind != "Bitmap Heap Scan"}
            assert used <= {"ioc_unique_type_value", "ioc_value_idx"}, used
