"""The lookup memo answers repeated values from memory and never serves an answer a committed write
has changed: PostgreSQL notifies every commit that touched IOCs, sightings or threats, whoever
made it (another session, a bulk UPDATE, a TRUNCATE), and the memo drops what it holds.

Transactional tests (the memo is skipped inside a transaction), on PostgreSQL (notifications).
Writes "from elsewhere" go through a psycopg session of their own, as another worker's would.
"""

from __future__ import annotations

import select
import time

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from apikeys.tlp import TLP
from iocs.lookup import memo, triggers
from iocs.lookup import query as lookup_query
from iocs.lookup.query import LookupKey, lookup
from iocs.models import IOC, Status
from tests.scenario import make_ioc, make_threat, sight
from threats.models import Threat

pytestmark = pytest.mark.django_db(transaction=True)
KEY = LookupKey("domain", "c2.memo.example")
FALSE_POSITIVE_SQL = "UPDATE iocs_ioc SET status = 'false_positive', confidence = '' WHERE value = %s"
DELIVERY = 5.0  # seconds a notification may take to arrive before the test gives up (~1 ms in practice)


@pytest.fixture(autouse=True)
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("notifications are PostgreSQL's")


@pytest.fixture
def other_session():
    """A session of its own, as another process would write with."""
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as session:
        yield session


@pytest.fixture
def cited():
    threat = make_threat("Campaign against memo", tlp=TLP.CLEAR)
    ioc = make_ioc("domain", KEY.value, tlp=TLP.CLEAR)
    sight(ioc, threat)
    return ioc, threat


def ask(key: LookupKey = KEY, clearance: int = TLP.RED, limit: int = 20):
    (result,) = lookup([key], clearance, limit)
    return result


def queries_for(key: LookupKey = KEY) -> int:
    with CaptureQueriesContext(connection) as ctx:
        ask(key)
    return len(ctx)


def eventually(predicate) -> bool:
    """True once ``predicate()`` holds; notifications are asynchronous (delivered at commit)."""
    deadline = time.monotonic() + DELIVERY
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


def test_the_three_tables_notify():
    each = {f"{triggers.TRIGGER}_{event}" for event in ("insert", "update", "delete", "truncate")}
    assert triggers.installed_on() == {IOC._meta.db_table: each, "threats_sighting": each,
                                       Threat._meta.db_table: each - {f"{triggers.TRIGGER}_insert"}}


def test_a_repeated_value_is_answered_without_a_query(cited):
    first = ask()
    assert first.found and [c["title"] for c in first.clusters] == ["Campaign against memo"]
    assert queries_for() == 0
    assert ask() is first  # the remembered answer itself
    assert memo.for_lookup(IOC).hits >= 2


def test_a_verdict_changed_by_another_session_is_seen(cited, other_session):
    assert ask().found
    other_session.execute(FALSE_POSITIVE_SQL, [KEY.value])
    assert eventually(lambda: not ask().found)


def test_an_uncommitted_write_is_not_seen_until_its_commit(cited, other_session):
    assert ask().found
    with other_session.transaction():
        other_session.execute(FALSE_POSITIVE_SQL, [KEY.value])
        time.sleep(0.05)
        assert ask().found  # not committed: nothing to see, nothing notified
    assert eventually(lambda: not ask().found)


def test_a_rolled_back_write_changes_nothing(cited, other_session):
    assert ask().found
    generation = memo.for_lookup(IOC).generation
    with pytest.raises(RuntimeError), other_session.transaction():
        other_session.execute("DELETE FROM threats_sighting")
        raise RuntimeError("roll back")
    time.sleep(0.05)
    assert ask().clusters and memo.for_lookup(IOC).generation == generation  # nothing was notified


def test_a_bulk_update_of_the_threat_is_seen(cited):
    _, threat = cited
    assert ask().clusters[0]["title"] == "Campaign against memo"
    Threat.objects.filter(pk=threat.pk).update(title="Renamed campaign")  # no signal: the trigger still fires
    assert eventually(lambda: ask().clusters[0]["title"] == "Renamed campaign")


def test_a_new_sighting_and_a_stricter_tlp_are_seen(cited):
    ioc, _ = cited
    assert len(ask().clusters) == 1
    sight(ioc, make_threat("Second campaign", tlp=TLP.CLEAR))
    assert eventually(lambda: len(ask().clusters) == 2)
    Threat.objects.filter(title="Second campaign").update(tlp=TLP.RED)
    assert eventually(lambda: len(ask(clearance=TLP.CLEAR).clusters) == 1)


def test_a_truncate_is_seen(cited, other_session):
    assert ask().clusters
    other_session.execute("TRUNCATE threats_sighting")
    assert eventually(lambda: ask().clusters == [])


def test_a_value_written_after_a_not_found_answer_is_found():
    key = LookupKey("domain", "later.memo.example")
    assert not ask(key).found and queries_for(key) == 0  # "not found" is remembered too
    make_ioc("domain", key.value)
    assert eventually(lambda: ask(key).found)


def test_an_answer_read_while_a_write_commits_is_not_remembered(cited, other_session, monkeypatch):
    """The write commits between the read and the remembering: the (old) answer is used once, then
    dropped; the next lookup reads again and sees the write."""
    real_read = lookup_query._read
    listener = memo.for_lookup(IOC).listener

    def read_then_commit(keys, clearance, limit):
        answers = real_read(keys, clearance, limit)
        other_session.execute(FALSE_POSITIVE_SQL, [KEY.value])
        select.select([listener.connection.fileno()], [], [], DELIVERY)  # the notification is on the socket
        return answers

    monkeypatch.setattr(lookup_query, "_read", read_then_commit)
    assert ask().found  # read before the commit
    monkeypatch.setattr(lookup_query, "_read", real_read)
    assert len(memo.for_lookup(IOC)) == 0
    assert not ask().found


def test_inside_a_transaction_the_memo_is_skipped(cited):
    from django.db import transaction

    assert ask().found
    with transaction.atomic():
        IOC.objects.filter(value=KEY.value).update(status=Status.FALSE_POSITIVE, confidence="")
        assert memo.for_lookup(IOC) is None
        assert not ask().found  # its own uncommitted write
        transaction.set_rollback(True)
    assert eventually(lambda: ask().found)


def test_a_killed_listener_is_replaced_and_nothing_stale_is_served(cited, other_session):
    assert ask().found
    pid = memo.for_lookup(IOC).listener.connection.info.backend_pid
    other_session.execute("SELECT pg_terminate_backend(%s)", [pid])
    other_session.execute(FALSE_POSITIVE_SQL, [KEY.value])
    assert eventually(lambda: not ask().found)
    assert memo.for_lookup(IOC).listener.connection.info.backend_pid != pid


def test_the_memo_keeps_at_most_its_rows(cited):
    with override_settings(LOOKUP_MEMO_ROWS=3):
        memo.forget()
        keys = [LookupKey("domain", f"n{k}.memo.example") for k in range(5)]
        for key in keys:
            ask(key)
        kept = memo.for_lookup(IOC)
        assert len(kept) == 3 and kept.rows == 3
        assert queries_for(keys[-1]) == 0 and queries_for(keys[0]) > 0  # the oldest went first
        assert ask().found and kept.rows <= 3  # an IOC and its cluster: two rows


def test_no_memo_when_turned_off_or_reading_a_replica(cited):
    with override_settings(LOOKUP_MEMO_ROWS=0):
        assert memo.for_lookup(IOC) is None
        ask()
        assert queries_for() > 0

    class ReplicaReads:
        def db_for_read(self, model, **hints):
            return "replica"

    with override_settings(DATABASE_ROUTERS=[ReplicaReads()]):
        assert memo.usable_for(IOC) is None


def test_the_view_answers_the_same_bytes_from_memory(client, cited):
    first = client.get("/api/iocs/lookup", {"value": "c2[.]memo[.]example"})
    with CaptureQueriesContext(connection) as ctx:
        second = client.get("/api/iocs/lookup", {"value": "c2[.]memo[.]example"})
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert not [q for q in ctx.captured_queries if "threats_sighting" in q["sql"]]



def test_threads_share_the_memo_and_all_see_the_last_commit(cited, other_session):
    """gthread workers: threads share the process's memo and listener, and all see the last commit."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    def asks(n: int) -> list[bool]:
        try:
            return [ask().found for _ in range(n)]
        finally:
            connections.close_all()  # this thread's own connection

    with ThreadPoolExecutor(4) as pool:
        running = [pool.submit(asks, 200) for _ in range(4)]
        for status in ("false_positive", "confirmed", "false_positive"):
            other_session.execute("UPDATE iocs_ioc SET status = %s, confidence = %s WHERE value = %s",
                                  [status, "high" if status == "confirmed" else "", KEY.value])
        assert all(len(f.result()) == 200 for f in running)
    assert eventually(lambda: not ask().found)
    with ThreadPoolExecutor(4) as pool:
        assert not any(any(f.result()) for f in [pool.submit(asks, 20) for _ in range(4)])


def test_an_idle_process_still_reads_its_notifications(cited, other_session, monkeypatch):
    """Unread notifications would block the server's backend and grow PostgreSQL's queue until
    writers fail: a background thread reads them while no lookup does."""
    monkeypatch.setattr(memo, "SWEEP_SECONDS", 0.02)
    memo.forget()
    assert ask().found  # opens the listener (and its sweeper)
    kept = memo.for_lookup(IOC)
    before = kept.generation
    for _ in range(3):
        other_session.execute(FALSE_POSITIVE_SQL, [KEY.value])
    assert eventually(lambda: kept.generation > before)  # no lookup in between: the sweeper read them
    assert eventually(lambda: not select.select([kept.listener.connection.fileno()], [], [], 0)[0])
    assert len(kept) == 0


def test_a_forked_child_opens_its_own_session_and_leaves_the_parents_open(cited, monkeypatch):
    """gunicorn forks its workers: a child must never end (or read) a session its parent opened."""
    assert ask().found
    parent = memo.for_lookup(IOC).listener.connection
    monkeypatch.setattr(memo.os, "getpid", lambda: -1)  # as seen from a child process
    assert ask().found
    child = memo.for_lookup(IOC).listener.connection
    assert child is not parent and not parent.closed and parent in memo._inherited
    memo.forget()  # still "the child": closes its own session
    monkeypatch.undo()
    assert child.closed
    memo._inherited.remove(parent)
    parent.close()


def test_a_change_forgets_only_the_answers_it_touches(cited, other_session):
    """Ingestion commits all the time: an unrelated commit must not empty the memo."""
    other = LookupKey("domain", "other.memo.example")
    sight(make_ioc("domain", other.value, tlp=TLP.CLEAR), make_threat("Unrelated campaign", tlp=TLP.CLEAR))
    never = LookupKey("domain", "never.memo.example")
    for key in (KEY, other, never):
        ask(key)
    kept = memo.for_lookup(IOC)
    flushes = kept.flushes  # opening the listener counts as one
    other_session.execute(FALSE_POSITIVE_SQL, [KEY.value])
    assert eventually(lambda: not ask().found)
    assert queries_for(other) == 0 and queries_for(never) == 0  # still remembered
    sight(IOC.objects.get(value=other.value), make_threat("Second campaign", tlp=TLP.CLEAR))
    assert eventually(lambda: len(ask(other).clusters) == 2)
    assert queries_for(never) == 0 and kept.flushes == flushes


def test_a_new_value_forgets_its_not_found_answer_only(cited):
    later = LookupKey("domain", "later2.memo.example")
    assert not ask(later).found and ask().found
    make_ioc("domain", later.value)
    assert eventually(lambda: ask(later).found)
    assert queries_for(KEY) == 0


def test_a_threat_change_forgets_the_answers_showing_it_and_the_cut_ones(cited):
    _, threat = cited
    crowded = make_ioc("domain", "crowded.memo.example", tlp=TLP.CLEAR)
    for n in range(3):
        sight(crowded, make_threat(f"Crowd {n}", tlp=TLP.CLEAR))
    bystander = make_threat("Bystander", tlp=TLP.CLEAR)
    sight(make_ioc("domain", "bystander.memo.example", tlp=TLP.CLEAR), bystander)
    crowded_key = LookupKey("domain", crowded.value)
    assert ask(crowded_key, limit=1).more_clusters  # cut: one cluster shown of three
    ask()
    Threat.objects.filter(pk=bystander.pk).update(title="Bystander renamed")
    assert eventually(lambda: queries_for_limit(crowded_key, 1) > 0)  # a cut answer may change order
    assert queries_for(KEY) == 0  # complete, and the bystander is not among its clusters
    Threat.objects.filter(pk=threat.pk).update(title="Renamed again")
    assert eventually(lambda: ask().clusters[0]["title"] == "Renamed again")


def queries_for_limit(key: LookupKey, limit: int) -> int:
    with CaptureQueriesContext(connection) as ctx:
        ask(key, limit=limit)
    return len(ctx)


def test_a_threat_tlp_change_forgets_everything(cited):
    _, threat = cited
    ask()
    kept = memo.for_lookup(IOC)
    flushes = kept.flushes
    Threat.objects.filter(pk=threat.pk).update(tlp=TLP.AMBER)
    assert eventually(lambda: (memo.for_lookup(IOC), kept.flushes > flushes)[1])
    assert ask(clearance=TLP.CLEAR).clusters == []


def test_a_statement_past_the_payload_limit_forgets_everything(cited, other_session):
    ask()
    kept = memo.for_lookup(IOC)
    flushes = kept.flushes
    other_session.execute("INSERT INTO iocs_ioc (type, value, status, confidence, reason, classifier_version, tlp,"
                          " source_count, evidence, first_seen, last_seen, created_at, updated_at)"
                          " SELECT 'domain', 'bulk' || n || '.memo.example', 'pending', '', '', '', 4, 0, '{}',"
                          " now(), now(), now(), now() FROM generate_series(1, %s) n", [triggers.MAX_ITEMS + 1])
    assert eventually(lambda: (memo.for_lookup(IOC), kept.flushes > flushes)[1])


def test_digests_are_postgresqls():
    value = "xn--bcher-kva.example/π?q=\u00e9"
    with connection.cursor() as cursor:
        cursor.execute("SELECT left(md5(%s || chr(9) || %s), 16)", ["url", value])
        assert cursor.fetchone()[0] == triggers.key_digest("url", value)


def test_an_unknown_payload_forgets_everything(cited):
    ask()
    kept = memo.for_lookup(IOC)
    flushes = kept.flushes
    kept.notified(["x:whatever"])
    assert len(kept) == 0 and kept.flushes == flushes + 1


def test_a_deleted_threat_and_ioc_are_forgotten(cited):
    ioc, threat = cited
    assert ask().clusters
    threat.delete()  # its sightings first (Django's cascade), then the threat: both notify
    assert eventually(lambda: ask().clusters == [])
    ioc.delete()
    assert eventually(lambda: not ask().found)


@pytest.fixture
def one_trigger_disabled(other_session):
    """What a restored dump without triggers or a DBA's DISABLE TRIGGER leaves (put back afterwards)."""
    name = f"{triggers.TRIGGER}_update"
    other_session.execute(f"ALTER TABLE iocs_ioc DISABLE TRIGGER {name}")
    try:
        yield
    finally:
        other_session.execute(f"ALTER TABLE iocs_ioc ENABLE TRIGGER {name}")


def test_without_its_triggers_the_memo_stays_off(cited, other_session, one_trigger_disabled):
    assert memo.for_lookup(IOC) is None  # checked when the listener opens
    assert ask().found and queries_for() > 0  # every lookup reads
    other_session.execute(FALSE_POSITIVE_SQL, [KEY.value])
    assert not ask().found


def test_triggers_disabled_later_turn_the_memo_off(cited, other_session, monkeypatch):
    monkeypatch.setattr(memo, "SWEEP_SECONDS", 0.02)
    monkeypatch.setattr(memo, "CHECK_SECONDS", 0.0)
    memo.forget()
    assert ask().found and memo.for_lookup(IOC) is not None
    kept = memo.for_lookup(IOC)
    name = f"{triggers.TRIGGER}_update"
    other_session.execute(f"ALTER TABLE iocs_ioc DISABLE TRIGGER {name}")
    try:
        assert eventually(lambda: kept.listener.connection is None and len(kept) == 0)  # the sweeper saw it
        other_session.execute(FALSE_POSITIVE_SQL, [KEY.value])  # notifies nobody
        assert not ask().found
    finally:
        other_session.execute(f"ALTER TABLE iocs_ioc ENABLE TRIGGER {name}")


def test_notifications_read_during_the_trigger_check_are_not_lost(cited, other_session):
    """The periodic check is a query on the listening session: psycopg reads whatever notifications
    arrived before its answer; they must still reach the memo."""
    assert ask().found
    listener = memo.for_lookup(IOC).listener
    other_session.execute(FALSE_POSITIVE_SQL, [KEY.value])
    select.select([listener.connection.fileno()], [], [], DELIVERY)  # the notification is on the socket
    listener.check()
    assert listener.received() == [f"k:{triggers.key_digest(KEY.type, KEY.value)}"]
