"""What the ``/iocs`` page shows, one function per dataset, each taking the caller's TLP clearance.

The aggregates (counts by type and confidence, the 30-day series) scan many rows, so they are
computed at most once per ``AGGREGATE_TTL`` seconds per clearance level and kept in the shared
cache: a page view at 1,000,000 IOCs costs cache reads plus one indexed page of the table.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from apikeys.tlp import TLP
from iocs.models import IOC, Confidence, Status
from iocs.normalize import IOCType

from . import keyset

AGGREGATE_TTL = 120  # seconds between recomputations of the counts and the chart (the page says so)
STALE_FOR = 30 * 60  # seconds an old aggregate may still be served while one request recomputes it
REFRESH_LOCK_SECONDS = 60
CHART_DAYS = 30
TABLE_FIELDS = ("id", "type", "value", "confidence", "tlp", "source_count", "first_seen", "last_seen")
TABLE_ORDER = ("first_seen", "id")  # newest first; served by the (status, first_seen) index
TABLE_PAGE_SIZE = 50


def _store(key: str, compute):
    value = compute()
    cache.set(key, (time.time(), value), STALE_FOR)
    return value


def _cached(key: str, compute, *, refresh: bool = False):
    """``compute()`` at most once per ``AGGREGATE_TTL`` per key, and by one request at a time.

    The entry outlives its freshness (``STALE_FOR``): when it is due, the request that takes the
    refresh lock recomputes while concurrent ones keep getting the previous numbers, so a burst of
    page views at 1,000,000 IOCs costs one aggregate query, not one per request.
    """
    if refresh:  # the beat task (refresh_aggregates): recompute now, whatever the entry's age
        return _store(key, compute)
    now = time.time()
    entry = cache.get(key)
    if entry is not None and now - entry[0] < AGGREGATE_TTL:
        return entry[1]
    if entry is not None and not cache.add(f"{key}:refreshing", 1, REFRESH_LOCK_SECONDS):
        return entry[1]
    try:
        return _store(key, compute)
    finally:
        cache.delete(f"{key}:refreshing")


def confirmed_counts(clearance: int, *, refresh: bool = False) -> dict[str, dict[str, int]]:
    """Confirmed IOCs visible at ``clearance``: ``{type: {high, medium, low, total}}`` plus ``"all"``."""
    def compute() -> dict[str, dict[str, int]]:
        table = {t: dict.fromkeys([*Confidence.values, "total"], 0) for t in [*IOCType.values, "all"]}
        rows = (IOC.objects.visible_to(clearance).filter(status=Status.CONFIRMED)
                .values_list("type", "confidence").annotate(n=Count("id")).order_by())
        for ioc_type, confidence, n in rows:
            for key in (ioc_type, "all"):
                if key in table and confidence in table[key]:
                    table[key][confidence] += n
                    table[key]["total"] += n
        return table
    return _cached(f"pages:iocs:counts:v2:{int(clearance)}", compute, refresh=refresh)


@dataclass(frozen=True)
class DailySeries:
    days: list[date]
    counts: dict[str, list[int]]  # per type, one count per day (types with no IOCs left out)


def daily_confirmed(clearance: int, *, today: date | None = None, refresh: bool = False) -> DailySeries:
    """Confirmed IOCs per first-seen day (UTC) and type over the last ``CHART_DAYS`` days."""
    today = today or timezone.now().date()
    days = [today - timedelta(days=n) for n in range(CHART_DAYS - 1, -1, -1)]

    def compute() -> dict:
        start = datetime.combine(days[0], datetime.min.time(), tzinfo=UTC)
        rows = (IOC.objects.visible_to(clearance).filter(status=Status.CONFIRMED, first_seen__gte=start)
                .annotate(day=TruncDate("first_seen")).values_list("day", "type").annotate(n=Count("id")).order_by())
        found: dict[str, dict[str, int]] = {}
        for day, ioc_type, n in rows:
            found.setdefault(ioc_type, {})[day.isoformat()] = n
        return found

    found = _cached(f"pages:iocs:daily:v2:{int(clearance)}:{today.isoformat()}", compute, refresh=refresh)
    counts = {t: [found[t].get(d.isoformat(), 0) for d in days] for t in IOCType.values if t in found}
    return DailySeries(days=days, counts=counts)


def refresh_aggregates() -> int:
    """Recompute the counts and the 30-day series for every clearance level (Celery beat, every
    minute: well inside ``AGGREGATE_TTL``), so that no page view at 1,000,000 IOCs waits for the
    aggregate queries; the request path stays the fallback when no beat runs. Returns the number
    of levels refreshed."""
    levels = sorted({int(level) for level in TLP})
    for level in levels:
        confirmed_counts(level, refresh=True)
        daily_confirmed(level, refresh=True)
    return len(levels)


@dataclass(frozen=True)
class TableFilters:
    type: str = ""
    confidence: str = ""

    def as_params(self) -> dict[str, str]:
        return {k: v for k, v in (("type", self.type), ("confidence", self.confidence)) if v}


def newest_confirmed(clearance: int, filters: TableFilters, cursor: list | None,
                     size: int | None = None) -> tuple[list[dict], str | None]:
    """A page of confirmed IOCs, newest first, after ``cursor`` (a decoded keyset cursor)."""
    size = size or TABLE_PAGE_SIZE
    queryset = IOC.objects.visible_to(clearance).filter(status=Status.CONFIRMED)
    if filters.type:
        queryset = queryset.filter(type=filters.type)
    if filters.confidence:
        queryset = queryset.filter(confidence=filters.confidence)
    return keyset.page(queryset.values(*TABLE_FIELDS), TABLE_ORDER, cursor, size)
