"""PostgreSQL answers a lookup with one statement, SQLite with two: both must give the same answers.

A random world (IOCs at every TLP and status, clusters at every TLP, ties on ``last_seen``, several
sightings of one IOC in one cluster, IOCs cited by more clusters than ``limit``) is looked up with
both query paths, for every clearance and several limits, keys in any order with duplicates and
values never seen. The one-statement path needs PostgreSQL (arrays, ``LATERAL``).
"""

import random
from datetime import timedelta

import pytest
from django.db import connection

from apikeys.tlp import TLP
from iocs.lookup.query import LookupKey, _lookup_one_statement, _lookup_two_statements, lookup, one_statement
from iocs.models import Status
from tests.scenario import ago, make_ioc, make_threat, sight
from threats.models import Article

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement lookup is PostgreSQL's")
    rng = random.Random(20261128)
    levels = list(TLP)
    tie = ago(hours=3)
    threats = [make_threat(f"Cluster {n}", tlp=rng.choice(levels), articles=rng.choice((1, 2)),
                           last_seen=tie if n % 7 == 0 else ago(hours=rng.randrange(1, 500)))
               for n in range(40)]
    statuses = [Status.CONFIRMED] * 4 + [Status.PENDING, Status.FALSE_POSITIVE]
    keys = []
    for n in range(60):
        ioc = make_ioc("domain", f"host{n}.agree.example", status=rng.choice(statuses), tlp=rng.choice(levels))
        for threat in rng.sample(threats, rng.choice((0, 1, 2, 5, 25))):
            for article in Article.objects.filter(threat=threat)[: rng.choice((1, 2))]:
                sight(ioc, threat, article=article, seen_at=threat.last_seen - timedelta(minutes=n))
        ioc.refresh_from_db()
        keys.append(LookupKey("domain", ioc.value))
    keys += [LookupKey("domain", "never-seen.agree.example"), LookupKey("ipv4", "192.0.2.77")]
    return keys, rng


def as_comparable(answer):
    iocs, clusters = answer
    return (dict(iocs),
            {ioc_id: [row["id"] for row in rows] for ioc_id, rows in clusters.items() if rows})


@pytest.mark.parametrize("limit", [1, 2, 20])
def test_one_statement_and_two_statements_agree(world, limit):
    keys, rng = world
    assert one_statement()
    for clearance in TLP:
        batch = rng.sample(keys, 30) + keys[:3]  # duplicates too
        one = _lookup_one_statement(batch, clearance, limit)
        two = _lookup_two_statements(batch, clearance, limit)
        one_iocs, one_clusters = as_comparable(one)
        two_iocs, two_clusters = as_comparable(two)
        assert one_iocs == two_iocs
        # Each keeps limit + 1 clusters per IOC (the +1 says "more"); the first limit + 1 agree.
        assert {i: ids[: limit + 1] for i, ids in one_clusters.items()} == \
            {i: ids[: limit + 1] for i, ids in two_clusters.items()}
        assert all(len(ids) <= limit + 1 for ids in one_clusters.values())


def test_the_lookup_answers_a_sample_with_cluster_rows_in_full(world):
    """The public answer (``lookup``) carries the same dicts whichever path ran: compare field by field."""
    keys, _ = world
    results = lookup(keys, TLP.RED, 3)
    iocs, clusters = _lookup_two_statements(keys, TLP.RED, 3)
    for result in results:
        expected = iocs.get(result.key)
        assert result.ioc == expected
        if expected is not None:
            assert result.clusters == clusters.get(expected["id"], [])[:3]
            assert result.more_clusters == (len(clusters.get(expected["id"], [])) > 3)
    assert any(r.found and r.more_clusters for r in results)
    assert any(not r.found for r in results)


def test_behind_pgbouncer_the_statement_is_not_prepared(world, monkeypatch):
    """``DB_DISABLE_SERVER_SIDE_CURSORS`` (pgbouncer, transaction pooling): no session state, no
    prepared statement; the same statement through Django's cursor gives the same answers."""
    keys, _ = world
    prepared_answer = lookup(keys, TLP.AMBER, 5)
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    assert lookup(keys, TLP.AMBER, 5) == prepared_answer
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] == 0
    monkeypatch.undo()  # and the prepared path still works on this connection afterwards
    assert lookup(keys, TLP.AMBER, 5) == prepared_answer
