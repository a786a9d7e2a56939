"""What the threat pages show, each function taking the caller's TLP clearance.

The list is keyset-paginated on the two orders the ``threat`` indexes serve (recent first, score
first); the detail page reuses :func:`threats.query.load_threat_graph` for the entities and
articles and reads the IOC table one bounded page at a time, so a threat with 100,000 IOCs still
renders quickly (the downloads carry them all).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
IOC_PAGE_LIMIT = 200  # rows rendered on the page (Django templates: ~0.5 ms per row under load)
IOC_FETCH_CHUNK = 1000
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


def threat_iocs(threat: Threat, clearance: int, limit: int | None = None) -> tuple[list[dict], bool]:
    """Up to ``limit`` IOCs of ``threat`` the caller may see (in the order the threat first cited them,
    then shown by type and value), and whether there are more.

    Bounded whatever the threat's size: one index read of the threat's sighting ids, then IOCs fetched
    by primary key a chunk at a time until ``limit + 1`` are found. (Asking PostgreSQL for "the IOCs of
    this threat ordered by type, value" lets it walk the whole IOC index: seconds at 1,000,000 IOCs.)
    """
    limit = limit or IOC_PAGE_LIMIT
    pairs = sorted(Sighting.objects.filter(threat=threat).values_list("id", "ioc_id"))
    order = list(dict.fromkeys(ioc_id for _, ioc_id in pairs))
    found: list[dict] = []
    for start in range(0, len(order), IOC_FETCH_CHUNK):
        chunk = order[start:start + IOC_FETCH_CHUNK]
        rows = {row["id"]: row for row in IOC.objects.visible_to(clearance)
                .filter(id__in=chunk, status__in=LISTED_STATUSES).values(*IOC_FIELDS)}
        found += [rows[ioc_id] for ioc_id in chunk if ioc_id in rows]
        if len(found) > limit:
            break
    page = sorted(found[:limit], key=lambda row: (row["type"], row["value"]))
    return page, len(found) > limit


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
