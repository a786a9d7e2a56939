"""Reverse lookup: is this value a known IOC, and which clusters cite it?

Part of the IOC app's API layer, so it may read ``threats.models`` (DESIGN.md). One query path for
one value or a hundred, two SQL statements whatever the batch size:

1. the IOCs, by ``(type, normalised value)`` on the ``ioc_unique_type_value`` index, visible at the
   caller's clearance, false positives excluded (the global rule: a false positive is never
   published, so the lookup answers ``found: false`` for it as for a value never seen);
2. their clusters, through ``Sighting`` (index ``sighting_ioc_threat_idx``) to ``Threat`` (primary
   key), filtered by the caller's TLP clearance, newest ``last_seen`` first, cut at ``limit`` per
   IOC in SQL with a window function, so a value cited by thousands of clusters costs ``limit`` rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import F, Q, Window
from django.db.models.functions import DenseRank

from iocs.models import IOC, Status
from threats.models import Threat

IOC_FIELDS = ("id", "type", "value", "status", "confidence", "reason", "tlp", "first_seen", "last_seen")
CLUSTER_FIELDS = ("id", "public_id", "title", "threat_score", "tlp", "first_seen", "last_seen")


@dataclass(frozen=True)
class LookupKey:
    """A value already normalised for its type: what the IOC table is keyed on."""

    type: str
    value: str


@dataclass
class LookupResult:
    key: LookupKey
    ioc: dict | None = None
    clusters: list[dict] = field(default_factory=list)
    more_clusters: bool = False

    @property
    def found(self) -> bool:
        return self.ioc is not None


def find_iocs(keys: Iterable[LookupKey], clearance: int) -> dict[LookupKey, dict]:
    """The visible, non-false-positive IOCs among ``keys``: one query, one index probe per type group."""
    by_type: dict[str, set[str]] = defaultdict(set)
    for key in keys:
        by_type[key.type].add(key.value)
    if not by_type:
        return {}
    condition = Q()
    for ioc_type, values in sorted(by_type.items()):
        condition |= Q(type=ioc_type, value__in=sorted(values))
    rows = (IOC.objects.visible_to(clearance).exclude(status=Status.FALSE_POSITIVE)
            .filter(condition).values(*IOC_FIELDS))
    return {LookupKey(row["type"], row["value"]): row for row in rows}


def clusters_of(ioc_ids: list[int], clearance: int, limit: int) -> dict[int, list[dict]]:
    """Up to ``limit + 1`` visible clusters per IOC, newest first (the extra row says "there is more").

    ``DENSE_RANK`` gives the several sightings of one IOC in one cluster (one per article) the same
    rank, so after ``DISTINCT`` each IOC keeps exactly its ``limit + 1`` newest clusters.
    """
    if not ioc_ids:
        return {}
    ranked = (
        Threat.objects.filter(tlp__lte=clearance, sightings__ioc_id__in=ioc_ids)
        .annotate(
            ioc_id=F("sightings__ioc_id"),
            rank=Window(DenseRank(), partition_by=[F("sightings__ioc_id")],
                        order_by=[F("last_seen").desc(), F("id").desc()]),
        )
        .filter(rank__lte=limit + 1)
        .values("ioc_id", *CLUSTER_FIELDS)
        .distinct()
    )
    out: dict[int, list[dict]] = defaultdict(list)
    for row in ranked:
        out[row.pop("ioc_id")].append(row)
    for rows in out.values():
        rows.sort(key=lambda r: (r["last_seen"], r["id"]), reverse=True)
    return out


def lookup(keys: list[LookupKey], clearance: int, limit: int) -> list[LookupResult]:
    """One result per key, in the order given (duplicates answered twice, queried once)."""
    iocs = find_iocs(keys, clearance)
    clusters = clusters_of(sorted(row["id"] for row in iocs.values()), clearance, limit)
    results = []
    for key in keys:
        ioc = iocs.get(key)
        found = clusters.get(ioc["id"], []) if ioc else []
        results.append(LookupResult(key=key, ioc=ioc, clusters=found[:limit], more_clusters=len(found) > limit))
    return results
