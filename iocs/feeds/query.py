"""The one query behind every bulk feed: which IOCs a caller gets, what changed, what was removed.

A :class:`Dataset` is validated parameters (:mod:`.params`) plus the caller's TLP clearance and
tier; every format renders the rows it yields, every filter runs in SQL, rows stream from a
server-side cursor (``values().iterator(chunk_size=…)``).

**Published set** (no ``since``): ``status = confirmed`` (pending and false positives never), the
requested confidence levels and types, ``tlp <= clearance``, ``last_seen`` within the window.

**Changes since T** (``since=T``): additions, then removals, for a consumer whose copy is the feed
as it was at T. With ``T' = T - DELTA_OVERLAP`` (see below) and W the window:

- *add*: every IOC of the published set with ``updated_at > T'``. Everything that can bring an IOC
  into the set (confirmation, a confidence, TLP or type change, a new ``last_seen``) moves
  ``updated_at``: ``IOC.save()`` does, and ``IOCQuerySet.update()`` always does.
- *remove*, logged (``Removal``, written by database triggers when the change happens): entries
  with ``at > T'`` whose state *before* the change was one the consumer could hold: its TLP within
  the caller's clearance, its type and confidence among those requested, its ``last_seen > T' - W``
  (it was inside the window at T) - and whose IOC is not in the published set now (a value removed
  and published again is an add). Causes: false_positive, pending, tlp, confidence, changed, deleted.
- *remove*, expired: IOCs that would match but whose ``last_seen`` crossed the window's edge
  between T' and now (``T' - W < last_seen <= now - W``); computed, nothing to log.

Why nothing is missed between two polls: a removal is a row written in the same transaction as the
change, so it is visible exactly when the change is; expiry is a pure function of ``last_seen``
and the clock. What remains is the commit delay: ``updated_at`` and ``at`` are taken before the
writing transaction commits, so a row may become visible with a timestamp slightly older than a
poll that ran meanwhile. ``DELTA_OVERLAP`` covers that: the longest write transaction is a Celery
task (``CELERY_TASK_TIME_LIMIT``), so every delta re-reads that much before T. Consumers get a few
repeated adds/removes (both are idempotent) and never miss one. Removal entries are kept for the
largest window cap (``prune_removals``); a ``since`` older than the caller's cap is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, Max, OuterRef, QuerySet, Subquery, Sum
from django.utils import timezone

from iocs.models import IOC

from .models import Removal, RemovalCause
from .params import FeedParams
from .sqltext import IsoTimestamp

ROW_FIELDS = ("id", "type", "value", "confidence", "reason", "tlp", "first_seen", "last_seen", "created_at",
              "updated_at")
TIMESTAMPS = frozenset({"first_seen", "last_seen", "created_at", "updated_at"})
REMOVAL_FIELDS = ("ioc_id", "type", "value", "tlp", "confidence", "last_seen", "first_seen", "created_at", "cause",
                  "at")


def delta_overlap() -> timedelta:
    """How far before ``since`` deltas re-read: the longest write transaction, plus a minute."""
    return timedelta(seconds=int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 900)) + 60)


def chunk_size() -> int:
    """Rows per fetch from the server-side cursor (PostgreSQL); SQLite reads rows as they come."""
    return 5000 if connection.vendor == "postgresql" else 2000


@dataclass(frozen=True)
class DatasetState:
    """What the validators are made of: cheap aggregates over the filtered rows, never the body."""

    additions: int
    removals: int
    fingerprint: str
    newest: datetime | None

    @property
    def rows(self) -> int:
        return self.additions + self.removals


@dataclass(frozen=True)
class Dataset:
    params: FeedParams
    clearance: int
    tier: int
    hostnames_only: bool = False  # domain-list formats: leave out names whose first label is no hostname
    now: datetime = field(default_factory=timezone.now, compare=False)

    @property
    def key(self) -> str:
        """Cache key of the data: parameters, clearance and tier (never the credential)."""
        text = (f"{self.params.canonical()}|clearance={int(self.clearance)}|tier={int(self.tier)}"
                f"|hostnames={int(self.hostnames_only)}")
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    @property
    def is_delta(self) -> bool:
        return self.params.since is not None

    @property
    def since_read(self) -> datetime | None:
        """``since`` minus the overlap: where deltas start reading."""
        return self.params.since - delta_overlap() if self.params.since else None

    #
    # Additions (the whole published set when there is no ``since``)
    #
    def published(self) -> QuerySet[IOC]:
        p = self.params
        qs = (IOC.objects.published().visible_to(self.clearance)
              .filter(confidence__in=p.confidence, type__in=p.types, last_seen__gt=self.now - p.window))
        if self.hostnames_only:
            # "_dmarc.example.com" is a DNS name but no host name: domain lists carry host names (FORMATS.md 5).
            qs = qs.exclude(type="domain", value__regex=r"^[^.]*_")
        return qs

    def additions(self) -> QuerySet[IOC]:
        qs = self.published()
        return qs.filter(updated_at__gt=self.since_read) if self.is_delta else qs

    def addition_values(self, fields: tuple[str, ...] = ROW_FIELDS, *, text_times: bool = False) -> QuerySet:
        """The rows' query, in id order; with ``text_times``, timestamps come as ``<field>_iso`` text
        from the database (``bench/run.py`` hands this exact SQL to ``COPY`` as its baseline)."""
        wanted = tuple(dict.fromkeys(("id", *fields)))
        texts = {}
        if text_times:
            texts = {f"{name}_iso": IsoTimestamp(name) for name in wanted if name in TIMESTAMPS}
            wanted = tuple(name for name in wanted if name not in TIMESTAMPS)
        return self.additions().order_by("pk").values(*wanted, **texts)

    def addition_rows(self, fields: tuple[str, ...] = ROW_FIELDS, *, text_times: bool = False) -> Iterator[dict]:
        """Rows of :meth:`addition_values`, streamed from a server-side cursor."""
        rows = self.addition_values(fields, text_times=text_times)
        if not self.is_delta:
            yield from rows.iterator(chunk_size=chunk_size())
            return
        for row in rows.iterator(chunk_size=chunk_size()):
            row["action"] = "add"
            yield row

    #
    # Removals (deltas and removed.txt only)
    #
    def logged_removals(self) -> QuerySet[Removal]:
        p, since = self.params, self.since_read
        if since is None:
            return Removal.objects.none()
        matching = Removal.objects.filter(
            at__gt=since, tlp__lte=self.clearance, type__in=p.types, confidence__in=p.confidence,
            last_seen__gt=since - p.window,
        ).exclude(Exists(self.published().filter(pk=OuterRef("ioc_id"))))
        latest = matching.values("ioc_id").annotate(last=Max("id")).values("last")
        return Removal.objects.filter(id__in=Subquery(latest))

    def expired(self) -> QuerySet[IOC]:
        p, since = self.params, self.since_read
        if since is None:
            return IOC.objects.none()
        logged = self.logged_removals().filter(ioc_id=OuterRef("pk"))
        return (IOC.objects.published().visible_to(self.clearance)
                .filter(confidence__in=p.confidence, type__in=p.types,
                        last_seen__gt=since - p.window, last_seen__lte=self.now - p.window)
                .exclude(Exists(logged)))

    def removal_rows(self) -> Iterator[dict]:
        """Removed IOCs as rows with ``action = remove``, a ``cause`` and ``removed_at``."""
        size = chunk_size()
        logged = self.logged_removals().order_by("at", "id").values_list(*REMOVAL_FIELDS)
        for *fields, cause, at in logged.iterator(chunk_size=size):
            yield _removal(*fields, cause=cause, at=at)
        window = self.params.window
        expired = self.expired().order_by("last_seen", "pk").values_list(
            "id", "type", "value", "tlp", "confidence", "last_seen", "first_seen", "created_at")
        for fields in expired.iterator(chunk_size=size):
            yield _removal(*fields, cause=RemovalCause.EXPIRED, at=fields[5] + window)

    #
    # Validators
    #
    def state(self) -> DatasetState:
        """Counts and fingerprint from aggregates (indexed, no rows read into Python)."""
        adds = self.additions().aggregate(n=Count("id"), newest=Max("updated_at"), ids=Sum("id"))
        parts = [adds["n"], adds["newest"], adds["ids"]]
        removals = 0
        if self.is_delta:
            logged = self.logged_removals().aggregate(n=Count("id"), last=Max("at"), ids=Sum("ioc_id"))
            expired = self.expired().aggregate(n=Count("id"), last=Max("last_seen"), ids=Sum("id"))
            removals = logged["n"] + expired["n"]
            parts += [logged["n"], logged["last"], logged["ids"], expired["n"], expired["last"], expired["ids"]]
        fingerprint = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
        return DatasetState(additions=adds["n"], removals=removals, fingerprint=fingerprint, newest=adds["newest"])


def _removal(ioc_id, type_, value, tlp, confidence, last_seen, first_seen, created_at, *, cause, at) -> dict:
    """A removal as a row: the IOC as the consumer last had it, plus ``action``, ``cause`` and ``removed_at``."""
    return {"id": ioc_id, "type": type_, "value": value, "tlp": tlp, "confidence": confidence,
            "last_seen": last_seen, "first_seen": first_seen, "reason": "", "created_at": created_at,
            "updated_at": at, "action": "remove", "cause": str(cause), "removed_at": at}


def prune_removals(now: datetime | None = None) -> int:
    """Drop log entries older than the widest window any tier may ask for (no ``since`` reaches them)."""
    horizon = max(settings.FEED_WINDOW_CAPS_DAYS.values())
    cutoff = (now or timezone.now()) - timedelta(days=horizon) - delta_overlap()
    deleted, _ = Removal.objects.filter(at__lt=cutoff).delete()
    return deleted
