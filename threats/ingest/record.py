"""The one write path from "what a report says" to rows: IOCs, sightings, entities on a threat.

Every step is an upsert keyed on a unique constraint (IOC on (type, value), Sighting on (ioc,
article), the entity names, the m2m pairs), so running it twice, or again after a crash, creates
nothing twice. New IOCs enter as ``pending``; the classifier rules on them later.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from iocs.evidence import record_observation
from iocs.models import IOC, Status
from iocs.normalize import InvalidIOC, IOCType, normalize
from threats.models import Article, AttackPattern, Malware, Sighting, Threat, ThreatActor, Vulnerability

from . import visibility

logger = logging.getLogger(__name__)
CONTEXT_CHARS = 500
IOC_TYPES = frozenset(IOCType.values)


@dataclass
class FoundIOC:
    type: str
    value: str
    context: str = ""
    extracted: Any = None  # the extractor's object, for the evidence record


@dataclass
class Findings:
    """What one report (an article, an event, a bundle's report) says, as rows to link."""

    iocs: list[FoundIOC] = field(default_factory=list)
    actors: list[ThreatActor] = field(default_factory=list)
    malware: list[Malware] = field(default_factory=list)
    attack_patterns: list[AttackPattern] = field(default_factory=list)
    vulnerabilities: list[Vulnerability] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.iocs or self.actors or self.malware or self.attack_patterns or self.vulnerabilities)


@dataclass
class Recorded:
    new_ioc_ids: list[int] = field(default_factory=list)
    seen_ioc_ids: list[int] = field(default_factory=list)
    new_sightings: int = 0


def found_ioc(ioc_type: str, value: str, context: str = "", extracted: Any = None) -> FoundIOC | None:
    """A normalised IOC, or None when the value is not a valid IOC of that type."""
    if ioc_type not in IOC_TYPES:
        return None
    try:
        return FoundIOC(ioc_type, normalize(ioc_type, value), " ".join((context or "").split())[:CONTEXT_CHARS],
                        extracted)
    except InvalidIOC:
        return None


def upsert_iocs(found: Iterable[FoundIOC], *, seen_at: datetime, tlp: int) -> tuple[dict[tuple[str, str], int], set]:
    """Ids of these IOCs by (type, value), creating the missing ones as pending; and the created keys."""
    keys = {(f.type, f.value) for f in found}
    if not keys:
        return {}, set()
    ids = _ids(keys)
    missing = keys - ids.keys()
    if missing:
        IOC.objects.bulk_create(
            [IOC(type=t, value=v, status=Status.PENDING, tlp=tlp, first_seen=seen_at, last_seen=seen_at)
             for t, v in sorted(missing)],
            ignore_conflicts=True, batch_size=500,
        )
        ids.update(_ids(missing))
    return ids, missing


def _ids(keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    by_type: dict[str, list[str]] = {}
    for t, v in keys:
        by_type.setdefault(t, []).append(v)
    out: dict[tuple[str, str], int] = {}
    for t, values in by_type.items():
        for start in range(0, len(values), 500):
            rows = IOC.objects.filter(type=t, value__in=values[start:start + 500]).values_list("value", "pk")
            out.update({(t, v): pk for v, pk in rows})
    return out


def record(article: Article, threat: Threat, findings: Findings, *, seen_at: datetime | None = None,
           upserted: tuple[dict[tuple[str, str], int], set] | None = None) -> Recorded:
    """Link everything in ``findings`` to ``threat`` through ``article``; idempotent.

    ``upserted`` is :func:`upsert_iocs`'s answer when the caller already upserted (to cluster on ids)."""
    seen_at = seen_at or article.published_at or timezone.now()
    ids, created = upserted or upsert_iocs(findings.iocs, seen_at=seen_at, tlp=threat.tlp)
    already = set(Sighting.objects.filter(article=article).values_list("ioc_id", flat=True))
    contexts: dict[int, FoundIOC] = {}
    for f in findings.iocs:
        pk = ids.get((f.type, f.value))
        if pk is not None and (pk not in contexts or (not contexts[pk].context and f.context)):
            contexts[pk] = f
    fresh = [pk for pk in contexts if pk not in already]
    Sighting.objects.bulk_create(
        [Sighting(ioc_id=pk, article=article, threat=threat, context=contexts[pk].context, seen_at=seen_at)
         for pk in fresh],
        ignore_conflicts=True, batch_size=500,
    )
    _record_evidence(fresh, contexts, publisher=article.publisher)
    for relation, rows in ((threat.actors, findings.actors), (threat.malware, findings.malware),
                           (threat.attack_patterns, findings.attack_patterns),
                           (threat.vulnerabilities, findings.vulnerabilities)):
        if rows:
            relation.add(*{r.pk: r for r in rows}.values())
    visibility.after_sightings(contexts)
    created_ids = {ids[k] for k in created if k in ids}
    return Recorded(new_ioc_ids=sorted(created_ids), seen_ioc_ids=sorted(set(contexts) - created_ids),
                    new_sightings=len(fresh))


def _record_evidence(ioc_ids: list[int], contexts: dict[int, FoundIOC], *, publisher: str) -> None:
    """Merge each new observation into ``IOC.evidence`` (the classifier reads it)."""
    wanted = [pk for pk in ioc_ids if contexts[pk].extracted is not None]
    rows = IOC.objects.filter(pk__in=wanted).only("pk", "evidence")
    field_ = IOC._meta.get_field("evidence")
    now = timezone.now()
    params = []
    for ioc in rows:
        record_observation(ioc, contexts[ioc.pk].extracted, publisher=publisher or None)
        params.append((field_.get_db_prep_save(ioc.evidence, connection), now, ioc.pk))
    if params:  # one statement for the batch: the ORM's bulk_update builds a CASE per row and field
        quote = connection.ops.quote_name
        sql = (f"UPDATE {quote(IOC._meta.db_table)} SET {quote('evidence')} = %s, "  # noqa: S608 - names only
               f"{quote('updated_at')} = %s WHERE {quote('id')} = %s")
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)


def clustering_lock() -> None:
    """Serialise the decide-and-attach step across workers (PostgreSQL advisory lock, released at
    the end of the transaction); SQLite serialises writers already."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x7C_C1_57_E2])
