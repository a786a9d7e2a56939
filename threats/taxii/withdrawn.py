"""Revoked Reports of the ``threats`` collection: threats deleted or merged since a poller saw them.

A merge deletes its parts after moving their articles, IOCs and entities to the survivor, whose slot
is re-dated and so sent again whole; the parts' Reports would otherwise stay in every consumer
(OpenCTI, Sentinel) as stale duplicates. Each comes back once as a new version of the same Report
with ``revoked: true`` (STIX 2.1: revocation is final, and a threat's uuid is never given again),
dated (date added and ``modified``) by the withdrawal, from the log ``ThreatWithdrawal``.

Who learns of a withdrawal: callers who could see the threat (its TLP at the time), as the
indicators' revocations. A merged part points at its survivor (``object_refs``) only when the
caller may see the survivor: a merge takes the strictest TLP of its parts.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, OuterRef

from .. import stix
from ..models import Threat, ThreatWithdrawal
from ..stix.graph import report_id, report_object
from ..withdrawals import visible_survivors
from .indicators import keyset
from .pages import Entry
from .params import ObjectQuery, Position

WITHDRAWN = 3  # the rank after the threat slots (1) and the indicators (2) at one instant
FIELDS = ("id", "uuid", "title", "tlp", "created_at", "updated_at", "cause", "merged_into", "at")
MILLISECOND = timedelta(milliseconds=1)
DESCRIPTIONS = {
    ThreatWithdrawal.Cause.DELETED: "Withdrawn by the publisher: this threat was deleted.",
    ThreatWithdrawal.Cause.MERGED: "Withdrawn by the publisher: this threat was merged into another one.",
}


def revoked_report(row: dict, survivor_visible: bool) -> dict:
    """The Report's last version: revoked, marked with the TLP it had, later than any version before."""
    created = stix.stix_time(row["created_at"])
    modified = stix.stix_time(max(row["at"], row["updated_at"] + MILLISECOND))
    identity = stix.publisher_identity_id()
    refs = [report_id(row["merged_into"])] if row["merged_into"] and survivor_visible else [identity]
    return report_object(row["uuid"], title=row["title"], created=created, modified=max(created, modified),
                         identity_id=identity, marking=stix.marking_id(row["tlp"]), object_refs=refs,
                         revoked=True, description=DESCRIPTIONS[row["cause"]])


def withdrawn_stream(clearance: int, query: ObjectQuery) -> tuple[list[Entry], Position | None]:
    """Revoked Reports past the cursor in (withdrawal time, log id) order, at most ``limit`` (or every
    one matching ``match[id]``: a Report's id cannot be computed in SQL), and their horizon."""
    if not query.wants_type("report") or (query.spec_versions and "2.1" not in query.spec_versions):
        return [], None
    # The latest entry per uuid that the caller may see, for threats the caller does not see now.
    later = ThreatWithdrawal.objects.filter(uuid=OuterRef("uuid"), tlp__lte=clearance, id__gt=OuterRef("id"))
    still_here = Threat.objects.filter(uuid=OuterRef("uuid"), tlp__lte=clearance)
    qs = (ThreatWithdrawal.objects.filter(tlp__lte=clearance).exclude(Exists(later)).exclude(Exists(still_here))
          .order_by("at", "id").values(*FIELDS))
    qs = keyset(qs, query, WITHDRAWN, column="at")
    if query.ids:
        wanted = set(query.ids)
        rows = [row for row in qs if report_id(row["uuid"]) in wanted]
    else:
        rows = list(qs[: query.limit + 1])
    horizon = None
    if not query.ids and len(rows) > query.limit:
        rows = rows[: query.limit]
        horizon = Position(rows[-1]["at"], WITHDRAWN, rows[-1]["id"])
    visible = visible_survivors({row["merged_into"] for row in rows}, clearance)
    entries = []
    for row in rows:
        obj = revoked_report(row, row["merged_into"] in visible)
        if query.accepts(obj):
            entries.append(Entry(Position(row["at"], WITHDRAWN, row["id"]), obj))
    return entries, horizon
