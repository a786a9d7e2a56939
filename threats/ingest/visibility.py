"""Keep the IOC fields that depend on sightings in step: tlp, source_count, first_seen, last_seen.

The TLP part (an IOC is visible at the least restrictive TLP of the threats citing it) is
``threats.services.recompute_ioc_visibility``, shared with the staff's merge/split tools. Here:
``source_count`` (distinct articles citing the IOC) and the seen dates, widened to cover its
sightings, in one UPDATE with correlated subqueries per chunk (the same on SQLite and PostgreSQL,
no IOC read into Python).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, F, IntegerField, Max, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest, Least

from iocs.models import IOC
from threats.models import Sighting
from threats.services import recompute_ioc_visibility, threat_ioc_ids

CHUNK = 500


def _agg(expression, output_field=None) -> Subquery:
    rows = Sighting.objects.filter(ioc=OuterRef("pk")).order_by().values("ioc").annotate(v=expression).values("v")
    return Subquery(rows, output_field=output_field)


def recompute_ioc_counts(ioc_ids: Iterable[int]) -> int:
    """source_count, first_seen and last_seen of these IOCs from their sightings."""
    ids = sorted(set(ioc_ids))
    changed = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        changed += IOC.objects.filter(pk__in=Sighting.objects.filter(ioc_id__in=chunk).values("ioc_id")).update(
            source_count=Coalesce(_agg(Count("article", distinct=True), IntegerField()), F("source_count")),
            first_seen=Least(F("first_seen"), Coalesce(_agg(Min("seen_at")), F("first_seen"))),
            last_seen=Greatest(F("last_seen"), Coalesce(_agg(Max("seen_at")), F("last_seen"))),
        )
    return changed


def after_sightings(ioc_ids: Iterable[int]) -> None:
    """Everything an IOC derives from its sightings, after some were added."""
    ids = list(ioc_ids)
    recompute_ioc_counts(ids)
    recompute_ioc_visibility(ids)


def recompute_for_threat(threat_id: int) -> int:
    """After a threat's TLP changed: the visibility of every IOC it cites."""
    return recompute_ioc_visibility(threat_ioc_ids([threat_id]))
