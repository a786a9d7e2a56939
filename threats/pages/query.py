"""What the threat pages show, each function taking the caller's TLP clearance.

The list is keyset-paginated on the two orders the ``threat`` indexes serve (recent first, score
first); the detail page reuses :func:`threats.query.load_threat_graph` for the entities and
articles and reads the IOC table one bounded page at a time, so a threat with 100,000 IOCs still
renders quickly (the downloads carry them all).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Subquery

from apikeys.tlp import TLP
from iocs.models import IOC
from iocs.pages import keyset

from ..models import Sighting, Threat
from ..query import LISTED_STATUSES

LIST_FIELDS = ("id", "public_id", "title", "threat_score", "tlp", "first_seen", "last_seen")
SORTS = {
    "recent": (("last_seen", "threat_score", "id"), (datetime, int, int)),
    "score": (("threat_score", "last_seen", "id"), (int, datetime, int)),
}
PAGE_SIZE = 25
IOC_PAGE_LIMIT = 500
IOC_FIELDS = ("id", "type", "value", "status", "confidence", "tlp", "first_seen", "last_seen")
# Enterprise ATT&CK tactics in kill-chain order (the columns of the Navigator's matrix).
TACTICS = (
    "reconnaissance", "resource-development", "initial-access", "execution", "persistence",
    "privilege-escalation", "defense-evasion", "credential-access", "discovery", "lateral-movement",
    "collection", "command-and-control", "exfiltration", "impact",
)


@dataclass(frozen=True)
class ListFilters:
    q: str = ""
    min_score: int | None = None
    tlp: int | None = None
    sort: str = "recent"

    def as_params(self) -> dict[str, str]:
        out = {"q": self.q, "min_score": "" if self.min_score is None else str(self.min_score),
               "tlp": "" if self.tlp is None else TLP(self.tlp).slug,
               "sort": "" if self.sort == "recent" else self.sort}
        return {k: v for k, v in out.items() if v}


def threat_list(clearance: int, filters: ListFilters, cursor: list | None,
                size: int | None = None) -> tuple[list[dict], str | None]:
    size = size or PAGE_SIZE
    queryset = Threat.objects.filter(tlp__lte=clearance)
    if filters.q:
        queryset = queryset.filter(title__icontains=filters.q)
    if filters.min_score is not None:
        queryset = queryset.filter(threat_score__gte=filters.min_score)
    if filters.tlp is not None:
        queryset = queryset.filter(tlp=filters.tlp)
    fields, _ = SORTS[filters.sort]
    return keyset.page(queryset.values(*LIST_FIELDS), fields, cursor, size)


def threat_iocs(threat: Threat, clearance: int, limit: int | None = None) -> tuple[list[dict], int]:
    """The first ``limit`` IOCs of ``threat`` (type, then value) the caller may see, and how many in all."""
    limit = limit or IOC_PAGE_LIMIT
    queryset = (IOC.objects.visible_to(clearance)
                .filter(status__in=LISTED_STATUSES,
                        id__in=Subquery(Sighting.objects.filter(threat=threat).values("ioc_id"))))
    rows = list(queryset.order_by("type", "value").values(*IOC_FIELDS)[:limit])
    total = len(rows) if len(rows) < limit else queryset.count()
    return rows, total


def tactic_grid(attack_patterns) -> tuple[list[tuple[str, list]], list]:
    """Techniques per tactic, every tactic listed (empty ones too), plus those without a tactic."""
    columns: dict[str, list] = {tactic: [] for tactic in TACTICS}
    unmapped = []
    for pattern in attack_patterns:
        tactics = [t for t in (pattern.tactics or []) if t in columns]
        for tactic in tactics:
            columns[tactic].append(pattern)
        if not tactics:
            unmapped.append(pattern)
    return list(columns.items()), unmapped
