"""Pages of the indicator collections (all confirmed IOCs, or those at one TLP level).

Order: (date added, rank, id). An IOC's *date added* is its ``updated_at``: the moment its current
version (STIX ``modified``) appeared, so a poller resuming with ``added_after`` gets every IOC that
was confirmed, changed or made visible since. The head objects (the publisher's Identity and the
TLP marking definitions, rank 0) are dated by their own constant ``created``.

One keyset query per page on the partial index ``ioc_taxii_added_idx`` (``status = 'confirmed'``,
``(updated_at, id)``): page 1,000 of a million rows costs what page 1 does. Never OFFSET.

Retractions reach pollers: an indicator the collection carried and no longer does (its IOC judged a
false positive, sent back to review, moved to a stricter TLP, changed or deleted) comes back once
as a new version with ``revoked: true``, dated (date added and ``modified``) by the change. It is
read from the feeds' removal log (``iocs.feeds``, written by database triggers when the change
happens, so none is missed between two polls), the latest entry per IOC, for IOCs not published in
this collection any more. Aged-out IOCs are not revoked here: collections have no time window.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, OuterRef, Q

from apikeys.tlp import TLP
from iocs.feeds.models import Removal
from iocs.models import IOC

from .. import stix
from ..stix.common import IDENTITY_EPOCH
from ..stix.markings import TLP2_CREATED
from . import ids
from .collections import Collection
from .pages import Entry, Page, after_cursor, fixed_time
from .params import ObjectQuery, Position, parse_time

FIELDS = ("type", "value", "status", "confidence", "reason", "updated_at", "id", "tlp")
# Formatted by the database (threats.stix.db): half the cost of a page went to parsing and formatting
# datetimes. ``updated_at`` stays a datetime: it is the date added, to the microsecond.
STIX_TIMES = {"first_seen_stix": stix.StixTime("first_seen"), "created_at_stix": stix.StixTime("created_at")}
HEAD, ROWS, REVOKED = 0, 1, 2
REMOVAL_FIELDS = ("id", "ioc_id", "type", "value", "tlp", "confidence", "first_seen", "created_at", "at")
MILLISECOND = timedelta(milliseconds=1)


def head_entries(levels: list[TLP]) -> list[Entry]:
    """The marking definitions of ``levels`` and the publisher's Identity (marked with the lowest level)."""
    if not levels:
        return []
    markings = [Entry(Position(fixed_time(TLP2_CREATED), HEAD, int(level)), stix.marking_definition(level))
                for level in levels]
    identity = stix.publisher_identity(marking_id=stix.marking_id(min(levels)))
    return [*markings, Entry(Position(fixed_time(IDENTITY_EPOCH), HEAD, 100), identity)]


def keyset(qs, query: ObjectQuery, rank: int, column: str = "updated_at"):
    """``qs`` past the query's cursor and ``added_after``, for rows of ``rank`` dated by ``column``."""
    if query.added_after is not None:
        qs = qs.filter(**{f"{column}__gt": query.added_after})
    after = query.after
    if after is not None:
        if after.rank < rank:  # the cursor sorts before every row of this rank at its instant
            qs = qs.filter(**{f"{column}__gte": after.added})
        elif after.rank == rank:  # the redundant leading bound lets PostgreSQL range-scan the index
            qs = qs.filter(**{f"{column}__gte": after.added}).filter(
                Q(**{f"{column}__gt": after.added}) | Q(id__gt=after.pk))
        else:
            qs = qs.filter(**{f"{column}__gt": after.added})
    return qs


def _rows(qs, query: ObjectQuery, rank: int):
    qs = keyset(qs, query, rank)
    if query.ids:
        qs = qs.filter(id__in=ids.ioc_ids_for(query.ids))
    versions = query.version_times()
    if versions and len(versions) == len(query.versions):  # only timestamps: a version is updated_at's ms
        window = Q()
        for version in versions:
            start = parse_time(version)
            window |= Q(updated_at__gte=start, updated_at__lt=start + MILLISECOND)
        qs = qs.filter(window)
    return qs.order_by("updated_at", "id").values(*FIELDS, **STIX_TIMES)[: query.limit + 1]


def indicator_stream(qs, query: ObjectQuery, rank: int = ROWS) -> tuple[list[Entry], Position | None]:
    """Indicators of the IOCs in ``qs`` past the cursor that pass the filters, at most ``limit``, and the
    *horizon*: the last position read when more rows remain (nothing past it may be shown)."""
    if not query.wants_type("indicator") or (query.spec_versions and "2.1" not in query.spec_versions):
        return [], None
    rows = list(_rows(qs, query, rank))
    horizon = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        horizon = Position(rows[-1]["updated_at"], rank, rows[-1]["id"])
    identity_id = stix.publisher_identity_id()
    markings = {level: stix.marking_id(level) for level in TLP}
    entries = []
    for row in rows:
        row["first_seen"], row["created_at"] = row.pop("first_seen_stix"), row.pop("created_at_stix")
        obj = stix.indicator(row, marking_id=markings[row["tlp"]], created_by_ref=identity_id)
        if query.accepts(obj):
            entries.append(Entry(Position(row["updated_at"], rank, row["id"]), obj))
    return entries, horizon


def _tlp_filter(collection: Collection, clearance: int) -> Q:
    return Q(tlp=collection.tlp) if collection.tlp is not None else Q(tlp__lte=clearance)


def revoked_stream(collection: Collection, clearance: int, query: ObjectQuery,
                   until: Position | None = None) -> tuple[list[Entry], Position | None]:
    """Revoked versions of the indicators this collection no longer carries (see the module docstring),
    in (change time, log id) order past the cursor, at most ``limit``, and their horizon. ``until``,
    the indicator stream's horizon, bounds the scan: nothing past it can be on this page."""
    if not query.wants_type("indicator") or (query.spec_versions and "2.1" not in query.spec_versions):
        return [], None
    visible = _tlp_filter(collection, clearance)
    # By (type, value), the indicator's identity: an IOC deleted and created again, or whose value was
    # corrected, is matched by what the poller holds, not by the row id.
    still_here = IOC.objects.published().filter(visible, type=OuterRef("type"), value=OuterRef("value"))
    # Who may learn of a removal: callers who could see the IOC before it (the logged TLP). The latest
    # such entry per IOC, as "no later one": PostgreSQL walks the ``at`` index from the cursor and
    # stops after a page, each row probing (ioc_id, at) and the IOC's (type, value) key.
    later = Removal.objects.filter(visible, ioc_id=OuterRef("ioc_id"), id__gt=OuterRef("id"))
    latest = Removal.objects.filter(visible).exclude(Exists(still_here)).exclude(Exists(later))
    qs = keyset(latest, query, REVOKED, column="at")
    if until is not None:
        qs = qs.filter(at__lte=until.added)
    if query.ids:
        qs = qs.filter(ioc_id__in=ids.ioc_ids_for(query.ids))
    rows = list(qs.order_by("at", "id").values(*REMOVAL_FIELDS)[: query.limit + 1])
    horizon = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        horizon = Position(rows[-1]["at"], REVOKED, rows[-1]["id"])
    identity_id = stix.publisher_identity_id()
    entries = []
    for row in rows:
        obj = stix.indicator({**row, "status": "confirmed", "updated_at": row["at"]},
                             marking_id=stix.marking_id(row["tlp"]), created_by_ref=identity_id)
        obj["revoked"] = True
        obj["description"] = "Withdrawn by the publisher: no longer an indicator in this collection."
        if query.accepts(obj):
            entries.append(Entry(Position(row["at"], REVOKED, row["id"]), obj))
    return entries, horizon


def merge(entries: list[Entry], limit: int, *horizons: Position | None) -> Page:
    """A page of entries from several streams: none past the earliest horizon, at most ``limit``."""
    stops = [h for h in horizons if h is not None]
    horizon = min(stops) if stops else None
    if horizon is not None:
        entries = [e for e in entries if e.position <= horizon]
    return Page.cut(entries, limit, horizon)


def heads(levels: list[TLP], query: ObjectQuery) -> list[Entry]:
    return [e for e in head_entries(levels) if after_cursor(e.position, query) and query.accepts(e.obj)]


def indicator_page(collection: Collection, clearance: int, query: ObjectQuery) -> Page:
    """One page: the head objects and indicators past the cursor that pass the filters, at most ``limit``."""
    levels = collection.levels(clearance)
    if not levels:
        return Page([], None)
    qs = IOC.objects.published().filter(_tlp_filter(collection, clearance))
    indicators, horizon = indicator_stream(qs, query)
    revoked, revoked_horizon = revoked_stream(collection, clearance, query, until=horizon)
    return merge(heads(levels, query) + indicators + revoked, query.limit, horizon, revoked_horizon)
