"""Keep the IOC fields that depend on threats in step with the sightings: tlp, source_count, seen dates.

An IOC is visible at the least restrictive TLP among the threats citing it (DESIGN.md); its
``source_count`` is the number of distinct articles that cite it; ``first_seen``/``last_seen`` widen to
cover its sightings. One UPDATE with correlated subqueries per chunk of ids, so it works the same on
SQLite and PostgreSQL and never reads IOCs into Python.

(The ``access`` branch is writing ``threats.services.recompute_ioc_visibility``; once it lands on main
this module should defer to it for the TLP part.)
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, F, IntegerField, Max, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest, Least

from iocs.models import IOC
from threats.models import Sighting

CHUNK = 500


def _agg(expression, output_field=None) -> Subquery:
    rows = Sighting.objects.filter(ioc=OuterRef("pk")).order_by().values("ioc").annotate(v=expression).values("v")
    return Subquery(rows, output_field=output_field)


def recompute_ioc_visibility(ioc_ids: Iterable[int]) -> int:
    """Recompute tlp, source_count, first_seen and last_seen of these IOCs from their sightings."""
    ids = sorted(set(ioc_ids))
    changed = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        changed += IOC.objects.filter(pk__in=Sighting.objects.filter(ioc_id__in=chunk).values("ioc_id")).update(
            tlp=Coalesce(_agg(Min("threat__tlp"), IntegerField()), F("tlp")),
            source_count=Coalesce(_agg(Count("article", distinct=True), IntegerField()), F("source_count")),
            first_seen=Least(F("first_seen"), Coalesce(_agg(Min("seen_at")), F("first_seen"))),
            last_seen=Greatest(F("last_seen"), Coalesce(_agg(Max("seen_at")), F("last_seen"))),
        )
    return changed


def recompute_for_threat(threat_id: int) -> int:
    """After a threat's TLP changed: every IOC it cites."""
    return recompute_ioc_visibility(Sighting.objects.filter(threat_id=threat_id).values_list("ioc_id", flat=True))
