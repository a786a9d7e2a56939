"""Stored CSV blocks (iocs/feeds/segments): the same bytes as the Python renderer after every kind of
write, only the blocks a write touched rendered again, nothing trusted that a commit may have
changed (a write committed while a block was being rendered, time moving a row out of the window,
a pruned log, disabled triggers), gzip bodies put together from stored bytes that every reader
accepts.

``transaction=True``: autocommit, as in production (a block is stored only outside a caller's
transaction), each test's writes committed and seen by the next statement.
"""

from __future__ import annotations

import gzip
import random
import threading
import time
from dataclasses import replace
from datetime import timedelta

import psycopg
import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from apikeys.tlp import TLP
from iocs.feeds import csvsql, deflate, segments
from iocs.feeds.models import FeedSegment, SegmentChange, SegmentHorizon
from iocs.feeds.segments import store, triggers
from iocs.models import IOC
from tests.access import make_callers
from tests.feeds_helpers import bulk_iocs, cite, csv_dataset, make_ioc, render_csv
from tests.test_feed_csv_sql_bytes import hostile_data
from threats.models import Article, Sighting, Threat

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("feeds_env")]
IDS, PART, PARTS = triggers.IDS, triggers.PART, triggers.PARTS
FAR = 10**6  # block numbers of the IOCs spread() places


@pytest.fixture(autouse=True)
def _postgresql(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("stored CSV blocks are PostgreSQL's (SQLite keeps the Python renderer)")
    monkeypatch.setattr(csvsql, "MIN_ROWS", 0)  # the tests' datasets are far below the threshold


@pytest.fixture
def rendered(monkeypatch) -> list[tuple[int, list[int]]]:
    """Each block put together, with the numbers of its parts rendered for it (the others kept)."""
    calls: list[tuple[int, list[int]]] = []
    real = store._assemble

    def spy(block, stored, stored_parts, dirty, *args):
        calls.append((block, list(dirty)))
        return real(block, stored, stored_parts, dirty, *args)

    monkeypatch.setattr(store, "_assemble", spy)
    return calls


def rendered_blocks(calls: list[tuple[int, list[int]]]) -> list[int]:
    """The blocks of which a part was rendered, in order; forgets them."""
    out = [block for block, nums in calls if nums]
    calls.clear()
    return out


def rendered_parts(calls: list[tuple[int, list[int]]]) -> list[int]:
    """The parts rendered (ids // PART), ascending; forgets them."""
    out = sorted(block * PARTS + p for block, nums in calls for p in nums)
    calls.clear()
    return out


def whole(*blocks: int) -> list[int]:
    """Every part of these blocks."""
    return sorted(block * PARTS + p for block in blocks for p in range(PARTS))


def spread(n_blocks: int = 4) -> list[IOC]:
    """Cited IOCs in ``n_blocks`` different blocks (ids moved to the start of each block)."""
    iocs = []
    for k in range(n_blocks):
        ioc = make_ioc(f"spread{k}.example.com", reason=f"=r{k}")
        IOC.objects.filter(pk=ioc.pk).update(id=(k + FAR) * IDS)  # far from the sequence's ids
        ioc = IOC.objects.get(pk=(k + FAR) * IDS)
        cite(ioc, title=f"report {k}", tlp=TLP.CLEAR if k % 2 else TLP.AMBER)
        iocs.append(ioc)
    return iocs


def check(dataset=None) -> str:
    """The stored-block body equals the Python renderer's; returns it."""
    dataset = dataset or csv_dataset()
    assert segments.usable(dataset)
    got = render_csv(dataset, in_database=True)
    assert got == render_csv(dataset, in_database=False)
    return got


@pytest.mark.parametrize("clearance", [TLP.CLEAR, TLP.AMBER, TLP.RED])
@pytest.mark.parametrize("defang", [False, True])
def test_same_bytes_as_the_python_renderer_stored_and_read_back(rendered, clearance, defang):
    hostile_data()
    spread()
    dataset = csv_dataset(clearance=clearance, query={"defang": "true"} if defang else None)
    first = check(dataset)
    assert len(rendered_blocks(rendered)) >= 5 and FeedSegment.objects.count() >= 5  # every block, stored
    assert check(dataset) == first and rendered_blocks(rendered) == []  # read back, nothing rendered


@pytest.mark.parametrize("clearance", [TLP.CLEAR, TLP.RED])
def test_sparse_citations_render_the_same_parts(monkeypatch, rendered, clearance):
    """The citation plan for small datasets (their own rows' sightings only) renders parts too."""
    monkeypatch.setattr(csvsql, "is_sparse", lambda dataset: True)
    hostile_data()
    iocs = spread()
    dataset = csv_dataset(clearance=clearance)
    check(dataset)
    rendered_blocks(rendered)
    cite(iocs[1], title="=a new, \"quoted\" report")
    check(dataset)
    assert rendered_parts(rendered) == [iocs[1].pk // PART]


def test_each_write_renders_its_parts_again(rendered):
    hostile_data()
    iocs = spread()
    check()
    rendered_blocks(rendered)
    p = [ioc.pk // PART for ioc in iocs]

    def after(write, expected: list[int]) -> None:
        write()
        check()
        assert rendered_parts(rendered) == expected

    after(lambda: IOC.objects.filter(pk=iocs[0].pk).update(value="changed.example.com"), [p[0]])
    after(lambda: IOC.objects.filter(pk=iocs[1].pk).update(status="false_positive", confidence=""), [p[1]])
    after(lambda: cite(iocs[2], title="a new report"), [p[2]])
    after(lambda: Sighting.objects.filter(ioc=iocs[2]).first().delete(), [p[2]])
    threat = Sighting.objects.filter(ioc=iocs[3]).first().threat
    after(lambda: Threat.objects.filter(pk=threat.pk).update(tlp=TLP.RED), [p[3]])
    after(lambda: Threat.objects.filter(pk=threat.pk).update(public_id="TC-NEW"), [p[3]])
    article = Sighting.objects.filter(ioc=iocs[3]).first().article
    after(lambda: Article.objects.filter(pk=article.pk).update(title="=renamed, \"quoted\""), [p[3]])
    after(lambda: Article.objects.filter(pk=article.pk).delete(), [p[3]])
    after(lambda: IOC.objects.filter(pk=iocs[0].pk).delete(), [])  # its block now holds no IOC: not read
    assert "changed.example.com" not in check()
    new = make_ioc("new.example.com")
    IOC.objects.filter(pk=new.pk).update(id=(FAR + 20) * IDS + 7)
    check()
    # The part it was inserted in (it left it), and every part of a block that did not exist before.
    assert rendered_parts(rendered) == sorted([new.pk // PART, *whole(FAR + 20)])
    # What no line shows changes nothing: a threat's title, an article's body, a pending IOC.
    after(lambda: Threat.objects.update(title="retitled"), [])
    after(lambda: Article.objects.update(text="new body"), [])
    after(lambda: make_ioc("waiting.example.com", status="pending"), [])
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {Sighting._meta.db_table}")
    check()
    every = {i // IDS for i in IOC.objects.values_list("id", flat=True)}
    assert rendered_parts(rendered) == whole(*every)


def test_a_changed_part_is_rendered_alone_and_the_others_kept(rendered):
    base = FAR * IDS
    iocs = [make_ioc(f"p{k}.example.com", reason=f"=r{k}") for k in range(PARTS)]
    for k, ioc in enumerate(iocs):  # one IOC in each part of one block
        IOC.objects.filter(pk=ioc.pk).update(id=base + k * PART + k)
        cite(IOC.objects.get(pk=base + k * PART + k), title=f"report {k}")
    check()
    assert rendered_parts(rendered) == whole(FAR)
    before = stored_parts(FAR)
    IOC.objects.filter(pk=base + 3 * PART + 3).update(value="changed.example.com")
    assert "changed.example.com" in check()
    assert rendered_parts(rendered) == [FAR * PARTS + 3]
    after = stored_parts(FAR)
    assert [k for k in range(PARTS) if after[k] != before[k]] == [3]
    assert "p3.example.com" in before[3] and "changed.example.com" in after[3]
    assert all(f"p{k}.example.com" in after[k] for k in range(PARTS) if k != 3)
    assert check() and rendered_parts(rendered) == []  # stored again, read back whole


def stored_parts(block: int) -> list[str]:
    """The text of each part of a stored block."""
    row = FeedSegment.objects.get(block=block)
    text, out, offset = deflate.inflate(bytes(row.data)).decode(), [], 0
    assert len(row.parts) == PARTS and len(text) == row.length == sum(length for length, _ in row.parts)
    for length, _ in row.parts:
        out.append(text[offset:offset + length])
        offset += length
    return out


def test_a_commit_between_the_check_and_the_render_is_rendered_too(monkeypatch, rendered):
    """The parts to render are chosen by the render statement in its own snapshot: a part changed
    after the validity check (in a block already stale) is rendered, not kept."""
    base = FAR * IDS
    first, second = make_ioc("first.example.com"), make_ioc("second.example.com")
    IOC.objects.filter(pk=first.pk).update(id=base + 1)
    IOC.objects.filter(pk=second.pk).update(id=base + PART + 1)
    check()
    rendered_blocks(rendered)
    IOC.objects.filter(pk=base + 1).update(reason="changed first")
    real = store._valid_blocks

    def check_then_commit(key, blocks, now):
        valid = real(key, blocks, now)
        IOC.objects.filter(pk=base + PART + 1).update(value="second-changed.example.com")  # autocommit
        return valid

    monkeypatch.setattr(store, "_valid_blocks", check_then_commit)
    body = check()  # the Python renderer, after, sees the commit: the bodies are compared
    assert "second-changed.example.com" in body
    assert rendered_parts(rendered) == [FAR * PARTS, FAR * PARTS + 1]


def test_a_commit_during_the_render_is_not_taken_as_seen(rendered):
    """A write committed after the block's snapshot (running while it was rendered) makes it stale."""
    (ioc,) = spread(1)
    other = _other_connection()
    try:
        table = connection.ops.quote_name(IOC._meta.db_table)
        other.execute(f"UPDATE {table} SET value = 'racing.example.com' WHERE id = %s", [ioc.pk])  # noqa: S608
        before = check()  # rendered while the update is uncommitted: the old value, stored
        assert "spread0.example.com" in before and FeedSegment.objects.filter(block=ioc.pk // IDS).exists()
        other.commit()
    finally:
        other.close()
    rendered_blocks(rendered)
    assert "racing.example.com" in check()
    assert rendered_blocks(rendered) == [ioc.pk // IDS]


def test_a_commit_during_a_repair_is_not_taken_as_seen(rendered):
    """A block stored with some parts rendered again and others kept: a write to a kept part
    running while it was put together makes it stale once committed."""
    base = FAR * IDS
    first, second = make_ioc("first.example.com"), make_ioc("second.example.com")
    IOC.objects.filter(pk=first.pk).update(id=base + 1)
    IOC.objects.filter(pk=second.pk).update(id=base + PART + 1)
    check()
    IOC.objects.filter(pk=base + 1).update(reason="changed first")
    rendered_blocks(rendered)
    other = _other_connection()
    try:
        table = connection.ops.quote_name(IOC._meta.db_table)
        other.execute(f"UPDATE {table} SET value = 'racing.example.com' WHERE id = %s", [base + PART + 1])  # noqa: S608
        assert "second.example.com" in check()  # the first part rendered, the second kept, stored
        assert rendered_parts(rendered) == [FAR * PARTS]
        other.commit()
    finally:
        other.close()
    assert "racing.example.com" in check()
    assert rendered_parts(rendered) == [FAR * PARTS + 1]


def _other_connection() -> psycopg.Connection:
    dsn = connection.get_connection_params()
    return psycopg.connect(**{k: v for k, v in dsn.items() if k in {"dbname", "user", "host", "port", "password"}})


def test_rows_leaving_the_window_make_their_part_stale(rendered):
    old = make_ioc("old.example.com", age_days=80)  # the feed's window: 90 days
    young = make_ioc("young.example.com", age_days=1)
    IOC.objects.filter(pk=old.pk).update(id=FAR * IDS)
    IOC.objects.filter(pk=young.pk).update(id=FAR * IDS + PART)  # the next part of the same block
    assert "old.example.com" in check()
    rendered_blocks(rendered)
    now = timezone.now()
    assert "old.example.com" in check(replace(csv_dataset(), now=now + timedelta(days=5)))
    assert rendered_blocks(rendered) == []
    body = check(replace(csv_dataset(), now=now + timedelta(days=11)))  # 91 days
    assert "old.example.com" not in body and "young.example.com" in body
    assert rendered_parts(rendered) == [FAR * PARTS]  # the young IOC's part kept
    check(replace(csv_dataset(), now=now))  # back in time (another worker's clock): not trusted either
    assert rendered_parts(rendered) == whole(FAR)


def test_disabled_triggers_turn_stored_blocks_off():
    make_ioc("a.example.com")
    dataset = csv_dataset()
    assert segments.usable(dataset)
    table = connection.ops.quote_name(IOC._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {triggers.PREFIX}_update")
    try:
        assert not segments.usable(dataset)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {triggers.PREFIX}_update")
    assert segments.usable(dataset)


def test_inside_a_callers_transaction_nothing_is_stored():
    make_ioc("a.example.com")
    with transaction.atomic():
        check()
    assert not FeedSegment.objects.exists()


def test_only_default_parameters_are_stored():
    make_ioc("a.example.com")
    assert not segments.usable(csv_dataset(query={"types": "domain"}))
    assert not segments.usable(csv_dataset(query={"since": "2026-01-01"}))
    assert segments.usable(csv_dataset(query={"defang": "1"}))


def test_prune_restamps_valid_blocks_trims_the_log_and_distrusts_older_snapshots(rendered):
    iocs = spread(3)
    check()
    IOC.objects.filter(pk=iocs[0].pk).update(reason="changed")  # one block stale
    assert SegmentChange.objects.filter(part=iocs[0].pk // PART).exists()
    rendered_blocks(rendered)
    FeedSegment.objects.filter(block=iocs[2].pk // IDS).update(cluster=F("cluster") + 1)  # nothing to keep
    done = segments.prune()
    assert done["segments"] == 1 and FeedSegment.objects.count() == 2
    floor = SegmentHorizon.objects.get().xid_floor
    # Trimmed below the oldest transaction still running anywhere in the cluster (xids are cluster-wide:
    # another test process's open transaction keeps the newer entries), and below what the stale block
    # has not seen: the entry that names its changed part is kept.
    assert floor > 0 and not SegmentChange.objects.filter(xid__lt=floor).exists()
    assert SegmentChange.objects.filter(part=iocs[0].pk // PART).exists()
    check()
    # The stale block's changed part, the dropped block whole; the others still trusted after the re-stamp.
    assert rendered_parts(rendered) == sorted([iocs[0].pk // PART, *whole(iocs[2].pk // IDS)])
    # A block read in a snapshot older than the horizon (a render that began before the prune).
    FeedSegment.objects.filter(block=iocs[1].pk // IDS).update(snapshot="3:3:")
    check()
    assert rendered_parts(rendered) == whole(iocs[1].pk // IDS)


def test_prune_drops_variants_nobody_read(rendered):
    make_ioc("a.example.com")
    check()
    assert FeedSegment.objects.exists()
    from django.core.cache import cache

    cache.delete(store.USED_KEY)
    segments.prune()
    assert not FeedSegment.objects.exists()


def test_gzip_and_plain_responses_and_the_artifact(client, rendered):
    bulk_iocs(3 * IDS)  # a few full blocks
    callers = make_callers()
    token = callers["researcher_token"]
    plain = token.get(client, "/api/iocs/feed", data={"format": "csv"})
    plain_body = b"".join(plain.streaming_content)
    assert len(rendered_blocks(rendered)) >= 3
    expected = render_csv(csv_dataset(clearance=TLP.GREEN), in_database=False).encode()
    # The header's provenance lines differ (URL, generation); the rows must not.
    assert plain_body.split(b"\r\n", 1)[1] == expected.split(b"\r\n", 1)[1]
    (artifact,) = (settings.FEED_ARTIFACT_DIR / "responses").iterdir()
    assert gzip.decompress(artifact.read_bytes()) == plain_body  # CRC and size checked
    artifact.unlink()
    zipped = token.get(client, "/api/iocs/feed", data={"format": "csv"}, HTTP_ACCEPT_ENCODING="gzip")
    assert zipped["Content-Encoding"] == "gzip"
    data = b"".join(zipped.streaming_content)
    assert rendered_blocks(rendered) == []  # built again from the stored blocks, as they are
    assert gzip.decompress(data) == plain_body
    assert data == (settings.FEED_ARTIFACT_DIR / "responses" / artifact.name).read_bytes()
    assert FeedSegment.objects.filter(length__gt=0).count() >= 3


def test_flush_drops_everything_and_distrusts_renders_begun_before_it(rendered):
    ioc = make_ioc("a.example.com")
    check()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text")
        (before,) = cursor.fetchone()
    # A write committed after that snapshot, whose log entry the flush then deletes. (A render whose
    # snapshot saw every transaction committed before the flush is rightly trusted: its snapshot's
    # xmin can equal the horizon, so the test needs this commit in between, whatever else runs.)
    IOC.objects.filter(pk=ioc.pk).update(reason="logged")
    assert SegmentChange.objects.exists()
    assert segments.flush() > 0 and not FeedSegment.objects.exists() and not SegmentChange.objects.exists()
    check()
    # A block stored with the snapshot of a render that began before that write: not trusted.
    FeedSegment.objects.update(snapshot=before)
    rendered_blocks(rendered)
    check()
    assert rendered_blocks(rendered) == [ioc.pk // IDS]


def test_blocks_from_another_cluster_are_not_trusted(rendered):
    """A dump restored elsewhere: the same transaction ids mean other transactions there."""
    ioc = make_ioc("a.example.com")
    check()
    rendered_blocks(rendered)
    FeedSegment.objects.update(cluster=F("cluster") + 1)
    check()
    assert rendered_blocks(rendered) == [ioc.pk // IDS]


def test_variants_differ_by_what_shapes_the_bytes():
    a = csv_dataset()
    b = csv_dataset(clearance=TLP.GREEN)
    assert store.variant(a) != store.variant(b)
    assert store.variant(a) == store.variant(csv_dataset())
    assert store.variant(a) != store.variant(csv_dataset(query={"defang": "true"}))


def test_a_slow_download_holds_no_lock_on_what_it_stored(monkeypatch, rendered):
    """Blocks are stored on their own connection, committed per group: a second caller reads them
    (and stores its own) while the first caller's body is still being sent."""
    monkeypatch.setattr(store, "GROUP", 2)
    iocs = spread(6)
    dataset = csv_dataset()
    first = store.chunks(dataset)
    head = [next(first) for _ in range(3)]  # the first group sent (and being stored); the body is mid-way
    deadline = time.monotonic() + 10
    while FeedSegment.objects.count() < 2 and time.monotonic() < deadline:  # stored by the writer's thread
        time.sleep(0.01)
    assert FeedSegment.objects.count() == 2
    rendered_blocks(rendered)
    result: dict = {}

    def second_caller() -> None:
        try:
            result["body"] = b"".join(segment.plain() for segment in store.chunks(csv_dataset()))
        finally:
            connection.close()

    worker = threading.Thread(target=second_caller)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "the second caller waited for the first one's download"
    assert sorted(rendered_blocks(rendered)) == sorted(i.pk // IDS for i in iocs[2:])  # not the stored two
    rest = list(first)
    whole = b"".join(segment.plain() for segment in head + rest)
    assert whole == result["body"] and whole.decode() == render_csv(dataset, in_database=False).split("\r\n", 1)[1]


def test_a_failed_store_is_logged_not_a_failed_download(monkeypatch, caplog):
    make_ioc("a.example.com")
    monkeypatch.setattr(store, "UPSERT", "INSERT INTO {table} (no_such_column) VALUES (%s)")
    check()
    assert not FeedSegment.objects.exists()
    assert "could not store" in caplog.text


def test_random_writes_never_leave_a_stale_block():
    """A seeded walk of writes of every kind, the body checked against the Python renderer after each."""
    rng = random.Random(11)
    iocs = spread(5)
    hostile_data()
    threats = list(Threat.objects.all())
    for step in range(60):
        ioc = rng.choice(list(IOC.objects.all()))
        kind = rng.randrange(9)
        if kind == 0:
            IOC.objects.filter(pk=ioc.pk).update(value=f"walk{step}.example.com")
        elif kind == 1:
            IOC.objects.filter(pk=ioc.pk).update(status=rng.choice(["pending", "false_positive"]), confidence="")
        elif kind == 2:
            IOC.objects.filter(pk=ioc.pk).update(status="confirmed", confidence=rng.choice(["high", "low"]))
        elif kind == 3:
            IOC.objects.filter(pk=ioc.pk).update(tlp=rng.choice(list(TLP)))
        elif kind == 4:
            cite(ioc, title=f"walk report {step}", threat=rng.choice(threats))
        elif kind == 5 and (sighting := Sighting.objects.filter(ioc=ioc).first()):
            sighting.delete()
        elif kind == 6:
            Threat.objects.filter(pk=rng.choice(threats).pk).update(tlp=rng.choice(list(TLP)))
        elif kind == 7 and (article := Article.objects.order_by("?").first()):
            Article.objects.filter(pk=article.pk).update(title=f"=walk | {step}", published_at=timezone.now())
        elif kind == 8:
            made = make_ioc(f"born{step}.example.com")
            IOC.objects.filter(pk=made.pk).update(id=rng.choice(iocs).pk + 1 + step)  # into a stored block
        if step % 3 == 0:
            for clearance in (TLP.GREEN, TLP.RED):
                check(csv_dataset(clearance=clearance))
    assert FeedSegment.objects.count() > 5


def test_a_block_gone_between_the_check_and_the_fetch_is_rendered_alone(monkeypatch, rendered):
    """Pruned or gone stale in the moment between the two statements: rendered on its own, in place."""
    iocs = spread(3)
    body = check()
    rendered_blocks(rendered)
    gone = iocs[1].pk // IDS
    FeedSegment.objects.filter(block=gone).delete()
    real = store._valid_blocks
    monkeypatch.setattr(store, "_valid_blocks", lambda key, blocks, now: real(key, blocks, now) | {gone})
    assert check() == body
    assert rendered_blocks(rendered) == [gone]
    assert FeedSegment.objects.filter(block=gone).exists()  # and stored again


def test_many_stale_blocks_are_shared_between_connections_in_order(monkeypatch, settings, rendered):
    """Groups of blocks dealt to several rendering connections come back in the body's order."""
    monkeypatch.setattr(store, "SHARE_FROM", 0)
    monkeypatch.setattr(store, "RENDER_GROUP", 2)
    settings.FEED_RENDER_CONNECTIONS = 3
    hostile_data()
    spread(7)
    started = []
    real = threading.Thread.start

    def start(thread):
        started.append(thread.name)
        real(thread)

    monkeypatch.setattr(threading.Thread, "start", start)
    check()
    assert started.count("tc-segments-render") == 3
    assert len(rendered_blocks(rendered)) >= 8


def test_a_body_closed_early_stops_the_render_ahead(monkeypatch):
    """A client gone mid-body: the thread rendering ahead ends and its connection is closed."""
    monkeypatch.setattr(store, "RENDER_GROUP", 1)
    monkeypatch.setattr(store, "RENDER_AHEAD", 1)
    spread(6)
    body = store.chunks(csv_dataset())
    next(body)
    threads = [t for t in threading.enumerate() if t.name == "tc-segments-render"]
    assert len(threads) == 1
    body.close()
    assert not threads[0].is_alive()
    deadline = time.monotonic() + 10  # a closed session leaves pg_stat_activity a moment later
    while _sessions_that_rendered() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _sessions_that_rendered() == 0


def _sessions_that_rendered() -> int:
    """Other sessions of this test's database whose last statement was a CSV render."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                       " AND query LIKE %s AND pid <> pg_backend_pid()", [f"%{csvsql.MARKER}%"])
        return cursor.fetchone()[0]


@pytest.mark.parametrize("where", ["statement", "assembly"])
def test_a_failure_while_rendering_ahead_fails_the_body(monkeypatch, where):
    spread(2)
    if where == "statement":  # raised on the thread's connection, handed to the body
        monkeypatch.setattr(store, "_render_sql", lambda *args: ("SELECT 1 / 0", []))
        expected = psycopg.errors.DivisionByZero
    else:  # raised by the helper that puts a block together

        def broken(*args):
            raise ValueError("damaged block")

        monkeypatch.setattr(store, "_assemble", broken)
        expected = ValueError
    with pytest.raises(expected):
        list(store.chunks(csv_dataset()))
    assert not [t for t in threading.enumerate() if t.name == "tc-segments-render"]


@pytest.mark.parametrize("granted", [0, 1])
def test_a_server_short_of_connections_renders_on_fewer(monkeypatch, settings, caplog, rendered, granted):
    """``max_connections`` reached: fewer rendering connections, or the body's own; never a failed body."""
    monkeypatch.setattr(store, "SHARE_FROM", 0)
    settings.FEED_RENDER_CONNECTIONS = 3
    spread(4)
    opened = []
    real = store._side_connection

    def side(db):
        if len(opened) >= granted:
            raise psycopg.OperationalError("sorry, too many clients already")
        opened.append(real(db))
        return opened[-1]

    monkeypatch.setattr(store, "_side_connection", side)
    check()
    assert len(rendered_blocks(rendered)) >= 4
    assert "rendering connections opened" in caplog.text or "rendering in line" in caplog.text
    assert all(conn.closed for conn in opened)
