"""STIX id -> IOC: the index behind ``match[id]`` on indicators (see :class:`threats.models.IndicatorId`).

:func:`sync` computes the ids of IOCs that lack one. IOC ids only grow, so it looks at the rows
above the highest indexed one, minus a margin for transactions that commit out of id order; a
bulk load (``seed_demo``) is indexed by the first ``match[id]`` query, or ahead of time with
``python manage.py taxii_index``. If ``ORG_UUID`` changed, the stale index is rebuilt.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import Max

from iocs.models import IOC

from ..models import IndicatorId
from ..stix import indicator_id

OUT_OF_ORDER_MARGIN = 10_000  # ids handed out before a higher one but committed after it
BATCH = 5_000


def _uuid(ioc_type: str, value: str) -> uuid.UUID:
    return uuid.UUID(indicator_id(ioc_type, value).partition("--")[2])


def _stale() -> bool:
    """Was the index built under another ORG_UUID? One row tells."""
    row = IndicatorId.objects.select_related(None).values_list("ioc__type", "ioc__value", "stix_uuid").first()
    return row is not None and _uuid(row[0], row[1]) != row[2]


def sync() -> int:
    """Index every IOC without a STIX id; returns how many were added."""
    if _stale():
        IndicatorId.objects.all().delete()
    highest = IndicatorId.objects.aggregate(top=Max("ioc_id"))["top"] or 0
    floor = max(0, highest - OUT_OF_ORDER_MARGIN)
    missing = (IOC.objects.filter(id__gt=floor)
               .exclude(id__in=IndicatorId.objects.filter(ioc_id__gt=floor).values("ioc_id"))
               .order_by("id").values_list("id", "type", "value"))
    added = 0
    batch: list[IndicatorId] = []
    for ioc_id, ioc_type, value in missing.iterator(chunk_size=BATCH):
        batch.append(IndicatorId(ioc_id=ioc_id, stix_uuid=_uuid(ioc_type, value)))
        if len(batch) >= BATCH:
            added += len(IndicatorId.objects.bulk_create(batch, ignore_conflicts=True))
            batch = []
    if batch:
        added += len(IndicatorId.objects.bulk_create(batch, ignore_conflicts=True))
    return added


def ioc_ids_for(stix_ids: Iterable[str]):
    """A subquery of the IOC ids whose Indicator has one of ``stix_ids`` (other types are ignored)."""
    uuids = [s.partition("--")[2] for s in stix_ids if s.startswith("indicator--")]
    sync()
    return IndicatorId.objects.filter(stix_uuid__in=uuids).values("ioc_id")
