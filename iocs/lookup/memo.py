"""A process's memo of lookup answers, each forgotten the moment PostgreSQL says its data changed.

Lookups repeat: a SIEM enriching its logs asks about the same busy IPs and domains all day, and
between two ingestion runs nothing they depend on changes. Answering a repeated value from memory
skips the query and most of a lookup's cost (``bench/RESULTS.md``).

A memo is never stale for longer than a notification takes to arrive:

- :mod:`.triggers` makes PostgreSQL send ``NOTIFY tc_lookup`` when a transaction that wrote IOCs,
  sightings or threats commits, whoever wrote them, naming what changed: (type, value) digests, IOC
  ids, threat ids, or everything;
- the process keeps one connection of its own that ``LISTEN``\\ s on that channel for as long as
  the memo exists (Django recycles its own connections every ``CONN_MAX_AGE``, and a notification
  sent while nobody listened is lost, so the memo cannot ride on them);
- before every use, the memo reads whatever arrived on the listener's socket (a ``select`` with no
  wait, then libpq's non-blocking read: no round trip) and forgets the answers named (indexes by
  value digest, IOC id and shown threat id; a threat's change also forgets the answers cut at
  their ``limit``, whose order it may change);
- an answer is remembered only if nothing arrived while it was being read (a generation number,
  checked after reading the listener again), so a read that raced a commit is used once, never kept;
- a listener that fails (PostgreSQL restarted, the session killed) empties the memo and is
  reopened on the next lookup; while it cannot be, lookups go to the database as without a memo;
- the triggers are checked (all there, all enabled) when the listener opens and every
  ``CHECK_SECONDS`` after: without them nothing would be notified, so the memo stays off.

What remains is the moment between a commit and its notification reaching the socket (well under
a millisecond on one host): a lookup in that moment answers as one that started just before the
commit would have.

The memo is skipped where it could be wrong or useless: SQLite (no notifications), inside a
transaction (it must see its own uncommitted writes; every ``db`` test runs in one), when reads go
to another database than writes (a replica lags behind the notifications, and cannot ``LISTEN``),
behind pgbouncer in transaction mode (``DISABLE_SERVER_SIDE_CURSORS``: no session to listen on),
and when ``LOOKUP_MEMO_ROWS`` is 0. Its size is counted in rows (an IOC or one of its clusters);
the least recently used answers go first. One memo per process, shared by its threads (a lock).
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, NamedTuple

import psycopg
from django.conf import settings
from django.db import connections, router

from . import triggers
from .triggers import CHANNEL

logger = logging.getLogger(__name__)
CONNECT_TIMEOUT = 5  # seconds, unless the database settings name one
RETRY_SECONDS = 5.0
SWEEP_SECONDS = 5.0  # how often a background thread reads the listening session (see Memo._sweep)
CHECK_SECONDS = 60.0  # how often the sweeper checks that the triggers are still there and enabled


class MissingTriggers(psycopg.OperationalError):
    """The triggers the memo relies on are missing or disabled: lookups go to the database."""


class Listener:
    """A connection of this process that listens on :data:`CHANNEL`, opened and reopened on demand."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self.connection: psycopg.Connection | None = None
        self.pid = 0
        self.retry_at = 0.0
        self.checked_at = 0.0
        self._caught: list[str] = []  # payloads psycopg read while a query ran on the session

    def open(self) -> None:
        """Connect as Django does (same parameters) and listen; after a failure, not again for a
        few seconds, so that lookups during an outage are not each held up by a connection attempt."""
        if time.monotonic() < self.retry_at:
            raise psycopg.OperationalError("the last attempt to listen failed moments ago")
        params = {"connect_timeout": CONNECT_TIMEOUT, **connections[self.alias].get_connection_params()}
        self.pid = os.getpid()
        try:
            self.connection = psycopg.connect(**params, autocommit=True)
            # A query on this session (the check) reads the notifications that arrived before its
            # answer and hands them to the handlers, not to pgconn.notifies(): keep them for received().
            self._caught = []
            self.connection.add_notify_handler(lambda notify: self._caught.append(notify.payload))
            self.connection.execute(f"LISTEN {CHANNEL}")
            self.check()
        except psycopg.Error as exc:
            wait = CHECK_SECONDS if isinstance(exc, MissingTriggers) else RETRY_SECONDS
            self.retry_at = time.monotonic() + wait
            self.close()
            raise

    def check(self) -> None:
        """Raise unless every trigger that sends the notifications is there and enabled."""
        assert self.connection is not None
        if not triggers.all_enabled(self.connection):
            raise MissingTriggers("lookup triggers missing or disabled (run `manage.py migrate`): memo off")
        self.checked_at = time.monotonic()

    @property
    def is_open(self) -> bool:
        return self.connection is not None and not self.connection.closed and self.pid == os.getpid()

    def received(self) -> list[str]:
        """The payloads of the notifications that arrived since the last call (never blocks); raises
        psycopg.Error if the session is gone. libpq's socket is non-blocking: ``consume_input``
        reads what is there."""
        assert self.connection is not None
        payloads, self._caught = self._caught, []
        if not select.select([self.connection.fileno()], [], [], 0)[0]:
            return payloads
        pgconn = self.connection.pgconn
        pgconn.consume_input()
        if pgconn.status != psycopg.pq.ConnStatus.OK:
            raise psycopg.OperationalError("the listening session ended")
        while (notify := pgconn.notifies()) is not None:
            payloads.append(notify.extra.decode("ascii", "replace"))
        return payloads

    def close(self) -> None:
        if self.connection is not None:
            if self.pid == os.getpid():
                with contextlib.suppress(psycopg.Error):
                    self.connection.close()
            else:  # inherited through fork: finalising it here would end the parent's session
                _inherited.append(self.connection)
        self.connection = None


_inherited: list[psycopg.Connection] = []


class Tags(NamedTuple):
    """What a remembered answer depends on, as the notifications name it (:mod:`.triggers`)."""

    digest: str  # of the (type, value) asked: the IOC row, or its absence
    ioc_id: int | None  # the IOC found: its sightings
    threat_ids: frozenset[int]  # the clusters shown
    cut: bool  # more clusters than shown: any threat's change may reorder them


class Memo:
    """Answers remembered by this process. :attr:`generation` moves on at every notification, so a
    read that overlapped one is not remembered."""

    def __init__(self, alias: str, max_rows: int) -> None:
        self.max_rows = max_rows
        self.rows = 0
        self.generation = 0
        self.hits = self.flushes = 0  # what the tests (and a debugger) look at
        self.listener = Listener(alias)
        self._entries: OrderedDict[Hashable, tuple[Any, int, Tags]] = OrderedDict()
        self._by_digest: dict[str, set[Hashable]] = {}
        self._by_ioc: dict[int, set[Hashable]] = {}
        self._by_threat: dict[int, set[Hashable]] = {}
        self._cut: set[Hashable] = set()
        self._lock = threading.Lock()  # the entries and their indexes
        self._listening = threading.Lock()  # the listener's session: one thread reads it at a time

    def changed(self) -> None:
        """Forget everything (a truncate, a bulk change, a TLP change, a lost listening session)."""
        with self._lock:
            self.generation += 1
            self.flushes += 1
            self._entries.clear()
            self._by_digest.clear()
            self._by_ioc.clear()
            self._by_threat.clear()
            self._cut.clear()
            self.rows = 0

    def notified(self, payloads: list[str]) -> None:
        """Forget the answers the payloads name: ``k:`` key digests, ``i:`` IOC ids, ``t:`` threat ids
        (and every cut answer), ``*`` everything. An unknown payload forgets everything."""
        if not payloads:
            return
        digests, iocs, threats = set(), set(), set()
        for payload in payloads:
            kind, _, items = payload.partition(":")
            try:
                if kind == "k":
                    digests.update(items.split(","))
                elif kind == "i":
                    iocs.update(int(item) for item in items.split(","))
                elif kind == "t":
                    threats.update(int(item) for item in items.split(","))
                else:
                    raise ValueError(payload)
            except ValueError:
                self.changed()
                return
        with self._lock:
            self.generation += 1
            doomed = set(self._cut) if threats else set()
            for index, wanted in ((self._by_digest, digests), (self._by_ioc, iocs), (self._by_threat, threats)):
                for item in wanted:
                    doomed |= index.get(item, set())
            for key in doomed:
                self._drop(key)

    def _drop(self, key: Hashable) -> None:
        """Remove one entry and its index lines (the lock is held)."""
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        _, rows, tags = entry
        self.rows -= rows
        for index, item in ((self._by_digest, tags.digest), (self._by_ioc, tags.ioc_id),
                            *((self._by_threat, t) for t in tags.threat_ids)):
            keys = index.get(item)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del index[item]
        self._cut.discard(key)

    def sync(self) -> bool:
        """Read the listener (opening it if needed); False when there is none to be had."""
        with self._listening:
            try:
                if not self.listener.is_open:
                    self.listener.close()
                    self.changed()  # whatever changed while nobody listened
                    self.listener.open()
                    self._start_sweeping()
                else:
                    self.notified(self.listener.received())
                return True
            except psycopg.Error as exc:
                logger.warning("lookup memo off until its listener reconnects: %s", exc)
                self.listener.close()
                self.changed()
                return False

    def _start_sweeping(self) -> None:
        threading.Thread(target=self._sweep, args=(self.listener.connection,), daemon=True,
                         name="lookup-memo-sweeper").start()

    def _sweep(self, session: psycopg.Connection) -> None:
        """Read the listening session every ``SWEEP_SECONDS`` while no lookup does.

        A process that stops looking up still receives notifications at every write. Unread, they
        fill the socket's buffer (a few hundred kilobytes), the server's backend blocks sending
        more, and PostgreSQL's notification queue, which cannot move past the slowest listener, grows
        until every writer's ``NOTIFY`` fails ("too many notifications in the NOTIFY queue"). Ends
        with the session it was started for.
        """
        while True:
            time.sleep(SWEEP_SECONDS)
            with self._listening:
                if self.listener.connection is not session or not self.listener.is_open:
                    return
                try:
                    self.notified(self.listener.received())
                    if time.monotonic() - self.listener.checked_at > CHECK_SECONDS:
                        self.listener.check()
                except psycopg.Error as exc:
                    logger.warning("lookup memo emptied: %s", exc)
                    self.listener.close()
                    self.changed()
                    return

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[0]

    def put(self, key: Hashable, value: Any, rows: int, tags: Tags, generation: int) -> None:
        """Remember ``value`` (``rows`` rows) if no notification arrived since ``generation`` was read."""
        with self._lock:
            if generation != self.generation or rows > self.max_rows:
                return
            self._drop(key)
            self._entries[key] = (value, rows, tags)
            self.rows += rows
            self._by_digest.setdefault(tags.digest, set()).add(key)
            if tags.ioc_id is not None:
                self._by_ioc.setdefault(tags.ioc_id, set()).add(key)
            for threat in tags.threat_ids:
                self._by_threat.setdefault(threat, set()).add(key)
            if tags.cut:
                self._cut.add(key)
            while self.rows > self.max_rows:
                self._drop(next(iter(self._entries)))

    def __len__(self) -> int:
        return len(self._entries)


_memos: dict[str, Memo] = {}
_memos_lock = threading.Lock()


def usable_for(model) -> str | None:
    """The database alias whose lookups may be remembered, or None (see the module's docstring)."""
    if getattr(settings, "LOOKUP_MEMO_ROWS", 0) <= 0:
        return None
    alias = router.db_for_read(model)
    if alias != router.db_for_write(model):
        return None
    wrapper = connections[alias]
    if (wrapper.vendor != "postgresql" or wrapper.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
            or wrapper.in_atomic_block or (wrapper.connection is not None and not wrapper.get_autocommit())):
        return None
    return alias


def for_lookup(model) -> Memo | None:
    """The memo for lookups of ``model``, up to date with the notifications, or None where none is kept."""
    alias = usable_for(model)
    if alias is None:
        return None
    memo = _memos.get(alias)
    if memo is None:
        with _memos_lock:
            memo = _memos.setdefault(alias, Memo(alias, settings.LOOKUP_MEMO_ROWS))
    return memo if memo.sync() else None


def forget() -> None:
    """Drop every memo of this process and close their listeners (tests: a listening session would
    keep the test database from being dropped)."""
    with _memos_lock:
        for memo in _memos.values():
            memo.listener.close()
        _memos.clear()
