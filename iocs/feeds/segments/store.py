"""Reading, rendering, storing and pruning CSV segments (see the package's docstring)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from queue import Full, Queue

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from iocs.models import IOC

from .. import csvsql, deflate, recent
from ..deflate import Segment
from ..models import FeedSegment, SegmentChange, SegmentHorizon
from ..query import Dataset
from . import triggers

logger = logging.getLogger(__name__)

VERSION = "2"  # bump when the statement's output or the stored layout changes: every stored block goes
GROUP = 64  # blocks checked and fetched per statement (~1.6 MB compressed at the benchmark's density)
RENDER_GROUP = 16  # blocks fetched at a time from the render cursor (two fetches' text is held, ~110 KB a block)
RENDER_AHEAD = 64  # blocks rendered and put together ahead of the body, at most (~30 KB each, compressed)
SHARE_FROM = 256  # stale blocks from which the render is shared between FEED_RENDER_CONNECTIONS connections
USED_KEY = "feeds:segments:used"
KEEP_UNUSED_SECONDS = 24 * 3600
REMEMBER_EVERY = 600
PRUNE_LOCK = 0x7C5E6D01  # pg_advisory_xact_lock key: one prune at a time


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def variant(dataset: Dataset) -> str:
    """What shapes a block's bytes: the filters, the clearance, ``defang``, the block size, the
    statement's version. Not the profile or the tier: two feeds with the same filters share blocks."""
    p = dataset.params
    text = (f"c={','.join(p.confidence)}|t={','.join(p.types)}|w={int(p.window.total_seconds())}"
            f"|clearance={int(dataset.clearance)}|hostnames={int(dataset.hostnames_only)}|defang={int(p.defang)}"
            f"|ids={triggers.IDS}|part={triggers.PART}|v={VERSION}")
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def usable(dataset: Dataset) -> bool:
    """Stored blocks serve this dataset: PostgreSQL, a feed's default parameters (the polled bodies;
    custom filters would each store a copy of the feed), no ``since``, large enough for the
    database to render it (:func:`csvsql.available`), and every trigger in place."""
    if not getattr(settings, "FEED_SEGMENTS", True) or connection.vendor != "postgresql":
        return False
    if dataset.is_delta or dataset.params.explicit:
        return False
    if not csvsql.available(dataset):
        return False
    with connection.cursor() as cursor:
        return triggers.all_enabled(cursor)


# What may be kept of a stored block ``s``, whatever changed since (a changed part is rendered again):
# not a clock gone back, not another cluster's (transaction ids mean something only in the cluster
# that assigned them: a dump restored elsewhere brings blocks whose snapshots would judge this
# cluster's transactions by the wrong numbers), not a snapshot older than the pruned log. Parameter: now.
KEPT = """s.rendered_at <= %s
  AND s.cluster = (SELECT system_identifier FROM pg_control_system())
  AND pg_snapshot_xmin(s.snapshot::pg_snapshot)
      >= (SELECT coalesce(max(h.xid_floor), 0) FROM {horizon} h)::text::xid8"""
# A change to one of its parts (or to all: part -1) that its snapshot did not see.
UNSEEN = """EXISTS (SELECT 1 FROM {log} c WHERE c.part {where}
                  AND NOT pg_visible_in_snapshot(c.xid::text::xid8, s.snapshot::pg_snapshot))"""
# The validity test of a stored block ``s`` (see the package's docstring); parameters: now, now.
VALID = f"""{KEPT} AND (s.expires_at IS NULL OR s.expires_at > %s)
  AND NOT {UNSEEN.format(log="{log}", where="BETWEEN s.block * {parts} AND s.block * {parts} + {last}")}
  AND NOT {UNSEEN.format(log="{log}", where="= {every}")}"""


def _names() -> dict[str, object]:
    return {"horizon": _table(SegmentHorizon), "log": _table(SegmentChange), "segment": _table(FeedSegment),
            "every": triggers.EVERY_PART, "parts": triggers.PARTS, "last": triggers.PARTS - 1,
            "part": triggers.PART}


def _valid_sql() -> str:
    return VALID.format(**_names())


def _blocks() -> list[int]:
    """The numbers of the blocks that hold any IOC, ascending (an index probe per block)."""
    ioc, ids = _table(IOC), triggers.IDS
    sql = f"""
      WITH RECURSIVE b(n) AS (
          SELECT min(id) / {ids} FROM {ioc}
        UNION ALL
          SELECT (SELECT min(i.id) / {ids} FROM {ioc} i WHERE i.id >= (b.n + 1) * {ids}) FROM b WHERE b.n IS NOT NULL)
      SELECT n FROM b WHERE n IS NOT NULL"""  # noqa: S608 - names and constants only
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


def _valid_sql_for(columns: str) -> str:
    """``columns`` of the valid stored blocks of a variant among some block numbers (parameters:
    variant, blocks, now, now)."""
    return (f"SELECT {columns} FROM {_table(FeedSegment)} s"  # noqa: S608
            f" WHERE s.variant = %s AND s.block = ANY(%s::bigint[]) AND {_valid_sql()}")


def _valid_blocks(key: str, blocks: list[int], now: datetime) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(_valid_sql_for("s.block"), [key, blocks, now, now])
        return {row[0] for row in cursor.fetchall()}


def _stored(key: str, blocks: list[int], now: datetime) -> dict[int, Segment]:
    """The valid stored blocks among ``blocks``, read in binary: Django's cursors read ``bytea`` as
    hex text, twice the bytes and a decoding (0.31 s against ~0.13 s for the feed's 48 MB, zlib's)."""
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(_valid_sql_for("s.block, s.length, s.crc, s.data, s.shift"), [key, blocks, now, now],
                       binary=True)
        return {block: Segment(length, crc, bytes(data), shift)
                for block, length, crc, data, shift in cursor.fetchall()}


# Rendering: for each block asked for, the parts of its stored row that changed (or all, if no row can
# be kept), judged in the statement's own snapshot, and those parts rendered in it, each run of
# consecutive ones as one range of ids (a block rendered whole is one range). The parts kept and the
# parts rendered agree on that one snapshot, which the block is then stored with: a change the
# judging statement did not see is invisible to it and makes the block stale again; one it saw was
# rendered. Out: the parts to render (``dirty``), and those that hold rows with their text and
# oldest ``last_seen``. Parameters: now, block numbers, variant, now, then the CSV chunk's.
RENDER = """{marker}
  SELECT q.block, pg_current_snapshot()::text, q.data, q.parts, q.dirty, r.nums, r.texts, r.oldest
  FROM (
    SELECT b.n AS block, st.data, st.parts,
           (SELECT array_agg(p ORDER BY p) FROM generate_series(0, {last}) p
            WHERE st.data IS NULL OR st.everything OR (st.parts -> p ->> 1)::timestamptz <= %s
               OR p IN (SELECT c.part - b.n * {parts} FROM {log} c
                        WHERE c.part BETWEEN b.n * {parts} AND b.n * {parts} + {last}
                          AND NOT pg_visible_in_snapshot(c.xid::text::xid8, st.snapshot::pg_snapshot))) AS dirty
    FROM unnest(%s::bigint[]) WITH ORDINALITY AS b(n, k)
    LEFT JOIN LATERAL (  -- LIMIT: a probe of the unique index per block, never a scan of the variant's rows
      SELECT s.data, s.parts, s.snapshot, {unseen_all} AS everything
      FROM {segment} s WHERE s.variant = %s AND s.block = b.n AND {kept} LIMIT 1) st ON true
    ORDER BY b.k OFFSET 0) q
  CROSS JOIN LATERAL (
    SELECT array_agg(chunk.part - q.block * {parts} ORDER BY chunk.part) AS nums,
           array_agg(chunk.body ORDER BY chunk.part) AS texts, array_agg(chunk.oldest ORDER BY chunk.part) AS oldest
    FROM (SELECT (q.block * {parts} + min(p)) * {part} AS lo, (q.block * {parts} + max(p) + 1) * {part} AS hi
          FROM (SELECT p, p - row_number() OVER (ORDER BY p) AS run FROM unnest(q.dirty) AS p) z
          GROUP BY run) d
    CROSS JOIN LATERAL {chunk} chunk) r"""


def _render_sql(dataset: Dataset, key: str, blocks: list[int], sparse: bool) -> tuple[str, list]:
    chunk, chunk_params = csvsql.chunk(dataset, lo="d.lo", hi="d.hi", sparse=sparse, by=triggers.PART)
    names = _names()
    sql = RENDER.format(marker=csvsql.MARKER, chunk=chunk, kept=KEPT.format(**names),
                        unseen_all=UNSEEN.format(log=names["log"], where=f"= {triggers.EVERY_PART}"), **names)
    now = dataset.now
    return sql, [now, list(blocks), key, now, *chunk_params]


Row = tuple[int, str, "datetime | None", Segment, str]  # block, snapshot, expires_at, segment, parts: what is stored
Parts = list[list]  # per part: [bytes of text, ISO time its oldest row leaves the window (or None)]


def _assemble(block: int, stored: bytes | None, stored_parts: Parts | None, dirty: list[int], nums: list[int],
              texts: list[str], oldest: list[datetime | None], window) -> tuple[Segment, Parts]:
    """A block's text from its parts: those rendered now (``dirty``; ``nums`` are those that hold
    rows: ``texts``) and the others as the stored block holds them, compressed again whole (one
    deflate stream a block compresses better than eight; ~0.2 ms a block)."""
    rendered = dict.fromkeys(dirty, ("", None)) | dict(zip(nums, zip(texts, oldest, strict=True), strict=True))
    if stored_parts is None:
        if len(rendered) != triggers.PARTS:
            raise ValueError(f"CSV block {block}: {len(rendered)} parts rendered and none stored")
        kept = b""
    else:
        kept = deflate.inflate(stored)
        if len(stored_parts) != triggers.PARTS or sum(length for length, _ in stored_parts) != len(kept):
            raise ValueError(f"CSV block {block}: stored parts {stored_parts!r} do not match {len(kept)} bytes")
    pieces, parts = [], []
    offset = 0
    for p in range(triggers.PARTS):
        if stored_parts is not None:
            length, expiry = stored_parts[p]
            piece = kept[offset:offset + length]
            offset += length
        if p in rendered:
            text, first = rendered[p]
            piece = text.encode()
            expiry = (first + window).isoformat() if first is not None else None
        pieces.append(piece)
        parts.append([len(piece), expiry])
    return deflate.compress(b"".join(pieces)), parts


def _expires(parts: Parts) -> datetime | None:
    times = [datetime.fromisoformat(expiry) for _, expiry in parts if expiry is not None]
    return min(times) if times else None


def _side_connection(db: BaseDatabaseWrapper) -> psycopg.Connection:
    """A connection of its own to ``db``'s database (the body's connection's settings), in
    autocommit, for work on another thread beside the body: rendering ahead, storing."""
    conn = db.get_new_connection(db.get_connection_params())
    conn.autocommit = True
    return conn


def _side_connections(wanted: int) -> list[psycopg.Connection]:
    """Up to ``wanted`` side connections, fewer if the server refuses more (``max_connections``: a
    body is then rendered on fewer, never failed for it); raises if it grants none."""
    conns: list[psycopg.Connection] = []
    for _ in range(wanted):
        try:
            conns.append(_side_connection(connections[DEFAULT_DB_ALIAS]))
        except psycopg.OperationalError:
            if not conns:
                raise
            logger.warning("feeds: %d of %d rendering connections opened", len(conns), wanted, exc_info=True)
            break
    return conns


Entry = tuple[int, str, bool, "Future[tuple[Segment, Parts]]"]  # block, snapshot, changed, its assembly


class _Rendered:
    """The blocks asked for, from the render statement (:data:`RENDER`) on a server-side cursor of
    the body's connection, read as the body reaches them (other statements run on the connection in
    between), each put together by a helper thread while the next rows are fetched (ISA-L and
    psycopg's waits release the GIL: the two overlap), kept for storing."""

    def __init__(self, dataset: Dataset, key: str, blocks: list[int], sparse: bool) -> None:
        self.window = dataset.params.window
        self.left = len(blocks)
        self.helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tc-segments")
        self.pending: list[Row] = []
        self.queue: deque[Entry] = deque()
        self._start(dataset, key, blocks, sparse)

    def _start(self, dataset: Dataset, key: str, blocks: list[int], sparse: bool) -> None:
        sql, params = _render_sql(dataset, key, blocks, sparse)
        self.cursor = connection.connection.cursor(name=f"tc_segments_{id(self):x}")
        with connection.cursor() as wrapper:  # logged like any query when queries are (DEBUG, the tests)
            logged = wrapper.debug_sql(sql, params) if connection.queries_logged else contextlib.nullcontext()
            with logged:
                self.cursor.execute(sql, params, binary=True)  # bytea as bytes, not hex

    def _entries(self, rows: list[tuple]) -> Iterator[Entry]:
        for block, snapshot, data, parts, dirty, nums, texts, oldest in rows:
            # No part to render: it changed back to valid (stored by another caller meanwhile), kept as it is.
            future = self.helper.submit(_assemble, block, data, parts, dirty or [], nums or [], texts or [],
                                        oldest or [], self.window)
            yield block, snapshot, dirty is not None, future

    def _next(self) -> Entry | None:
        if len(self.queue) <= RENDER_GROUP and self.left > len(self.queue):
            self.queue.extend(self._entries(self.cursor.fetchmany(RENDER_GROUP)))  # while the helper works
        return self.queue.popleft() if self.queue else None

    def take(self, block: int) -> Segment:
        entry = self._next()
        if entry is None or entry[0] != block:  # the statement returns the blocks asked for, in order
            raise RuntimeError(f"CSV segments out of order: expected block {block}, "
                               f"got {entry[0] if entry else None}")
        _, snapshot, changed, future = entry
        self.left -= 1
        segment, parts = future.result()
        if changed:
            self.pending.append((block, snapshot, _expires(parts), segment, json.dumps(parts)))
        return segment

    def close(self) -> None:
        self.helper.shutdown(cancel_futures=True)
        self.cursor.close()


class _RenderedAhead(_Rendered):
    """The same, on connections and threads of their own that read the statement ahead of the body
    (up to ``RENDER_AHEAD`` blocks) while it sends the stored blocks: the database renders the
    changed parts (~1 ms each) at the same time as it reads the stored blocks for the other
    connection, instead of the body waiting for it block after block (the first body after 200
    changes: ~0.3 s). Many blocks (a cold body: all of them) are shared between
    ``FEED_RENDER_CONNECTIONS`` connections, group by group, each rendering its own groups in turn:
    PostgreSQL renders on as many cores. Outside a caller's transaction only: another connection
    would not see what that transaction wrote."""

    def _start(self, dataset: Dataset, key: str, blocks: list[int], sparse: bool) -> None:
        self.stop = threading.Event()
        self.taken = 0
        self.lanes: list[_Lane] = []
        wanted = max(1, int(getattr(settings, "FEED_RENDER_CONNECTIONS", 2))) if len(blocks) >= SHARE_FROM else 1
        conns = _side_connections(wanted)  # as many as the server grants; none: the caller renders in line
        try:
            for lane, conn in enumerate(conns):
                mine = [b for i, b in enumerate(blocks) if (i // RENDER_GROUP) % len(conns) == lane]
                ready: Queue[Entry | BaseException | None] = Queue(maxsize=max(RENDER_GROUP,
                                                                               RENDER_AHEAD // len(conns)))
                # Its transaction is the thread's own block, begun and ended there.
                args = (conn, ready, *_render_sql(dataset, key, mine, sparse))
                thread = threading.Thread(target=self._run, args=args, name="tc-segments-render", daemon=True)
                self.lanes.append(_Lane(conn, ready, thread))
                thread.start()
        except BaseException:
            for conn in conns[len(self.lanes):]:
                conn.close()
            self.close()
            raise

    def _run(self, conn: psycopg.Connection, ready: Queue, sql: str, params: list) -> None:
        try:
            with conn.transaction():
                conn.execute("SET LOCAL jit = off")
                conn.execute("SET LOCAL cursor_tuple_fraction = 1")
                with conn.cursor(name="tc_segments_ahead", binary=True) as cursor:
                    cursor.execute(sql, params)
                    while not self.stop.is_set() and (rows := cursor.fetchmany(RENDER_GROUP)):
                        for entry in self._entries(rows):
                            self._put(ready, entry)
            self._put(ready, None)
        except BaseException as exc:  # handed to the body, which raises it
            self._put(ready, exc)

    def _put(self, ready: Queue, item: Entry | BaseException | None) -> None:
        while not self.stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return
            except Full:
                continue

    def _next(self) -> Entry | None:
        lane = self.lanes[(self.taken // RENDER_GROUP) % len(self.lanes)]  # the lane that has the next group
        self.taken += 1
        item = lane.ready.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        self.stop.set()  # each thread ends at its next fetch or put
        for lane in self.lanes:
            if lane.thread.is_alive():
                lane.thread.join()
        self.helper.shutdown(cancel_futures=True)
        for lane in self.lanes:
            lane.conn.close()


@dataclass(frozen=True)
class _Lane:
    conn: psycopg.Connection
    ready: Queue
    thread: threading.Thread


def _renderer(dataset: Dataset, key: str, blocks: list[int], sparse: bool, *, ahead: bool) -> _Rendered:
    """Rendering ahead on side connections where possible; on the body's own connection inside a
    caller's transaction, or when the server grants no other connection (``max_connections``)."""
    if ahead:
        try:
            return _RenderedAhead(dataset, key, blocks, sparse)
        except psycopg.OperationalError:
            logger.warning("feeds: no connection to render ahead on; rendering in line", exc_info=True)
    return _Rendered(dataset, key, blocks, sparse)


def _render_one(dataset: Dataset, key: str, block: int, sparse: bool) -> tuple[Segment, list[Row]]:
    """A block found stale between the check and the fetch (a commit in between): rendered alone."""
    rendered = _Rendered(dataset, key, [block], sparse)
    try:
        return rendered.take(block), rendered.pending
    finally:
        rendered.close()


class _Writer:
    """Stores rendered blocks (upserts) on a connection and a thread of its own, each group committed
    at once, while the body goes on (waited for only at its end, by :meth:`close`).

    Not on the body's connection: its transaction lasts as long as the download (the rendering
    cursor lives in it), and rows it wrote would stay locked that long, so a second caller storing
    the same block would wait for the first caller's client. Parameters are bound by the server,
    the data in binary (``%b``): Django's cursors inline parameters as SQL literals, which for
    ~25 KB of bytes a block cost more than the insert. A failed store is logged, never a failed
    download: the blocks are rendered again next time.
    """

    def __init__(self, key: str, now: datetime) -> None:
        self.key, self.now = key, now
        self.sql = UPSERT.format(table=_table(FeedSegment))
        self.db = connections[DEFAULT_DB_ALIAS]  # this thread's: the writer's thread would get one of its own
        self.conn: psycopg.Connection | None = None
        self.failed = False
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tc-segments-store")

    def save(self, rows: list[Row]) -> None:
        if rows and not self.failed:
            self.thread.submit(self._store, rows)  # one group after the other, in order

    def _store(self, rows: list[Row]) -> None:
        if self.failed:
            return
        try:
            if self.conn is None:
                self.conn = _side_connection(self.db)
            with psycopg.Cursor(self.conn) as cursor:
                cursor.execute(self.sql, [
                    self.key, self.now, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows],
                    [r[3].length for r in rows], [r[3].crc for r in rows], [r[3].shift for r in rows],
                    [r[4] for r in rows], [r[3].data for r in rows]])
        except psycopg.Error:
            logger.warning("feeds: could not store %d CSV blocks; they will be rendered again", len(rows),
                           exc_info=True)
            self.failed = True

    def close(self) -> None:
        self.thread.shutdown(wait=True)
        if self.conn is not None:
            self.conn.close()


UPSERT = """INSERT INTO {table} (variant, block, snapshot, cluster, rendered_at, expires_at, length, crc, shift,
                                  parts, data)
  SELECT %s, u.block, u.snapshot, (SELECT system_identifier FROM pg_control_system()), %s, u.expires_at, u.length,
         u.crc, u.shift, u.parts::jsonb, u.data
  FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[], %s::int[], %s::bigint[], %s::bigint[], %s::text[],
              %b::bytea[])
       AS u(block, snapshot, expires_at, length, crc, shift, parts, data)
  ON CONFLICT (variant, block) DO UPDATE SET snapshot = excluded.snapshot, cluster = excluded.cluster,
    rendered_at = excluded.rendered_at,
    expires_at = excluded.expires_at, length = excluded.length, crc = excluded.crc, shift = excluded.shift,
    parts = excluded.parts, data = excluded.data"""


def chunks(dataset: Dataset) -> Iterator[Segment]:
    """The CSV lines of the dataset (no ``since``), as compressed blocks in id order: stored ones
    while valid, the others put together now from their changed parts, rendered by one statement
    (:class:`_RenderedAhead`, or :class:`_Rendered` inside a caller's transaction), and stored as
    it goes (:class:`_Writer`). Call only when :func:`usable`."""
    key, now = variant(dataset), dataset.now
    recent.note(USED_KEY, key, every=REMEMBER_EVERY, keep=KEEP_UNUSED_SECONDS)  # kept from pruning
    # Inside a caller's transaction, blocks are read but never stored: a write it makes after this
    # would be logged under the same transaction id, which the stored snapshot already counts as seen.
    writer = _Writer(key, now) if not connection.in_atomic_block else None
    blocks = _blocks()
    valid = _valid_blocks(key, blocks, now)
    missing = [block for block in blocks if block not in valid]
    sparse = csvsql.is_sparse(dataset) if missing else False
    with transaction.atomic():  # the server-side cursor lives in a transaction (which writes nothing)
        if writer is not None:  # our own transaction: SET LOCAL ends with it (not with a caller's savepoint)
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")  # the full feed: no faster with it; a few blocks: 0.5 s slower
                # A cursor's plan is made for its first 10% by default; the body reads all of it (7 s against 17 s).
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1")
        rendered = _renderer(dataset, key, missing, sparse, ahead=writer is not None) if missing else None
        try:
            for start in range(0, len(blocks), GROUP):
                group = blocks[start:start + GROUP]
                stored = _stored(key, [block for block in group if block in valid], now)
                fresh: list[Row] = []
                for block in group:
                    segment = stored.get(block)
                    if segment is None and block not in valid:
                        segment = rendered.take(block)
                    elif segment is None:
                        segment, rows = _render_one(dataset, key, block, sparse)
                        fresh += rows
                    if segment.length:
                        yield segment
                if rendered is not None:
                    fresh += rendered.pending
                    rendered.pending = []
                if writer is not None:
                    writer.save(fresh)
        finally:
            if rendered is not None:
                rendered.close()
            if writer is not None:
                writer.close()


def prune(now: datetime | None = None) -> dict[str, int]:
    """Drop the blocks of variants nobody read for a day and those nothing can be kept of (another
    cluster's, a clock gone back, a snapshot below the horizon), re-stamp the valid ones with this
    moment's snapshot (what they hold is still the data's state), then drop the log entries every
    remaining block and every later snapshot sees, raising the horizon to match. A stale block is
    kept with the log entries that say which of its parts changed: the next body renders those
    parts only."""
    if connection.vendor != "postgresql":
        return {"segments": 0, "changes": 0}
    now = now or timezone.now()
    used = list(recent.entries(USED_KEY, KEEP_UNUSED_SECONDS))
    segment, log, horizon = _table(FeedSegment), _table(SegmentChange), _table(SegmentHorizon)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PRUNE_LOCK])
        cursor.execute(f"DELETE FROM {segment} WHERE NOT (variant = ANY(%s::text[]))", [used])  # noqa: S608
        dropped = cursor.rowcount
        cursor.execute(f"DELETE FROM {segment} s WHERE NOT ({KEPT.format(**_names())})", [now])  # noqa: S608
        dropped += cursor.rowcount
        # One statement: the log read to judge a block and the snapshot stamped on it are the same.
        cursor.execute(f"UPDATE {segment} s SET snapshot = pg_current_snapshot()::text"  # noqa: S608
                       f" WHERE {_valid_sql()}", [now, now])
        cursor.execute(f"""SELECT least(pg_snapshot_xmin(pg_current_snapshot()),
                                        (SELECT min(pg_snapshot_xmin(snapshot::pg_snapshot)) FROM {segment}))
                                  ::text::bigint""")  # noqa: S608
        (xmin,) = cursor.fetchone()
        cursor.execute(f"SELECT coalesce(max(xid_floor), 0) FROM {horizon}")  # noqa: S608
        (previous,) = cursor.fetchone()
        removed = 0
        if xmin > previous:
            cursor.execute(f"DELETE FROM {log} WHERE xid < %s", [xmin])  # noqa: S608
            removed = cursor.rowcount
            cursor.execute(f"DELETE FROM {horizon}")  # noqa: S608
            cursor.execute(f"INSERT INTO {horizon} (xid_floor) VALUES (%s)", [xmin])  # noqa: S608
    return {"segments": dropped, "changes": removed}


def flush() -> int:
    """Forget every stored block and the change log; returns how many blocks. For data loaded with
    triggers off, or a dump restored into another cluster (whose log and horizon hold the other
    cluster's transaction ids). The horizon becomes this snapshot's xmax, above every transaction committed
    before the flush: a block rendered from a snapshot that missed one of them (the log entry that
    said so is gone) has an xmin below it and is not trusted, even if it lands after the flush."""
    if connection.vendor != "postgresql":
        return 0
    segment, log, horizon = _table(FeedSegment), _table(SegmentChange), _table(SegmentHorizon)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PRUNE_LOCK])
        cursor.execute(f"DELETE FROM {segment}")  # noqa: S608
        deleted = cursor.rowcount
        cursor.execute(f"DELETE FROM {log}")  # noqa: S608
        cursor.execute(f"DELETE FROM {horizon}")  # noqa: S608
        cursor.execute(f"INSERT INTO {horizon} (xid_floor)"
                       " SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
    return deleted
