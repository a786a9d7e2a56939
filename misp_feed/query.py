"""The queries behind every MISP feed file: which threats are events, and what each event holds.

A threat is published as a MISP event when the caller's clearance (capped at TLP:AMBER+STRICT,
see ``mapping.MAX_FEED_TLP``) covers its TLP and at least one of its IOCs is confirmed. Every
function here reads a batch of threats in a fixed number of queries (no N+1), so the manifest of
50 events, the hashes of 50 events and one event of 10,000 IOCs cost the same handful of queries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db.models import CharField, Count, Exists, Func, Max, OuterRef, Q

from iocs.models import Status
from threats.models import Article, Sighting, Threat

from .mapping import MAX_FEED_TLP

BATCH = 1000  # threat ids per IN list (SQLite's variable limit, PostgreSQL's plan size)
THREAT_FIELDS = ("id", "public_id", "uuid", "title", "threat_score", "tlp", "first_seen", "last_seen", "created_at",
                 "updated_at")


@dataclass
class ThreatStats:
    """What the event header needs beyond the threat row: change time and open classification."""

    ioc_updated: datetime | None = None
    pending: int = 0


@dataclass
class Entities:
    """Names for the galaxy tags: actors (name, galaxy uuid), malware (name, kind, galaxy uuid),
    techniques (ATT&CK id, name)."""

    actors: list[tuple] = field(default_factory=list)
    malware: list[tuple] = field(default_factory=list)
    techniques: list[tuple] = field(default_factory=list)


@dataclass
class IOCEntry:
    """One IOC as cited in one threat: its verdict and the sightings in this threat only."""

    type: str
    value: str
    status: str
    confidence: str
    reason: str
    updated_at: datetime
    first_seen: datetime
    last_seen: datetime
    reports: set[int] = field(default_factory=set)
    context: str = ""


@dataclass
class EventData:
    threat: Threat
    stats: ThreatStats
    entities: Entities
    iocs: list[IOCEntry] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)
    vulnerabilities: list[str] = field(default_factory=list)


def chunks(items: list, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _has_confirmed_ioc() -> Exists:
    return Exists(Sighting.objects.filter(threat=OuterRef("pk"), ioc__status=Status.CONFIRMED))


def _feed_level(clearance: int) -> int:
    return min(int(clearance), int(MAX_FEED_TLP))


def listed_threat_ids(clearance: int, *, limit: int | None, since: datetime | None) -> list[int]:
    """The events of a manifest, newest activity (``last_seen``) first: ``limit`` of them, or all since.

    Candidates are read in ``last_seen`` order and checked for a confirmed IOC a batch at a time,
    stopping once ``limit`` are found: asked in one query, PostgreSQL evaluates the EXISTS for every
    visible threat before sorting (250 ms at 10,000 threats for a 10-event manifest).
    """
    candidates = Threat.objects.filter(tlp__lte=_feed_level(clearance))
    if since is not None:
        candidates = candidates.filter(last_seen__gte=since)
    ordered = candidates.order_by("-last_seen", "-id").values_list("id", flat=True)
    size = max(100, 3 * limit) if limit else BATCH
    found: list[int] = []
    offset = 0
    while limit is None or len(found) < limit:
        batch = list(ordered[offset:offset + size])
        qualified = set(Threat.objects.filter(id__in=batch).filter(_has_confirmed_ioc())
                        .values_list("id", flat=True))
        found += [pk for pk in batch if pk in qualified]
        if len(batch) < size:
            break
        offset += size
    return found[:limit] if limit else found


def threats(ids: list[int]) -> list[Threat]:
    """The threat rows (the fields events use) in the order of ``ids``."""
    rows: dict[int, Threat] = {}
    for batch in chunks(ids):
        rows.update((t.id, t) for t in Threat.objects.filter(id__in=batch).only(*THREAT_FIELDS))
    return [rows[pk] for pk in ids if pk in rows]


def entities(ids: list[int]) -> dict[int, Entities]:
    """Actors, malware and techniques of these threats: three queries on the link tables, no models."""
    out = {pk: Entities() for pk in ids}
    links = (
        ("actors", Threat.actors.through, ("threatactor__name", "threatactor__galaxy_uuid")),
        ("malware", Threat.malware.through, ("malware__name", "malware__kind", "malware__galaxy_uuid")),
        ("techniques", Threat.attack_patterns.through, ("attackpattern__technique_id", "attackpattern__name")),
    )
    for attr, through, columns in links:
        for batch in chunks(ids):
            for threat_id, *values in through.objects.filter(threat_id__in=batch).values_list("threat_id", *columns):
                getattr(out[threat_id], attr).append(tuple(values))
    for item in out.values():
        item.actors.sort()
        item.malware.sort(key=lambda m: m[0])
        item.techniques.sort()
    return out


def threat_stats(ids: list[int]) -> dict[int, ThreatStats]:
    """Newest ``updated_at`` among each threat's IOCs (whatever their status) and its pending count.

    A status change moves the IOC's ``updated_at`` (``IOCQuerySet.update``), so an IOC confirmed,
    retracted or reviewed moves the event timestamp and MISP pulls the new version.
    """
    stats = {pk: ThreatStats() for pk in ids}
    for batch in chunks(ids):
        rows = (Sighting.objects.filter(threat_id__in=batch).values("threat_id")
                .annotate(ioc_updated=Max("ioc__updated_at"),
                          pending=Count("ioc_id", filter=Q(ioc__status=Status.PENDING), distinct=True))
                .order_by())
        for row in rows:
            stats[row["threat_id"]] = ThreatStats(row["ioc_updated"], row["pending"])
    return stats


def headers_data(ids: list[int], stats: dict[int, ThreatStats] | None = None) -> list[EventData]:
    """What a manifest entry needs (no IOCs): the threat, its stats and its entities."""
    rows, names = threats(ids), entities(ids)
    stats = stats if stats is not None else threat_stats(ids)
    return [EventData(t, stats[t.id], names[t.id]) for t in rows]


SIGHTING_COLUMNS = ("threat_id", "ioc_id", "ioc__type", "ioc__value", "ioc__status", "ioc__confidence",
                    "ioc__reason", "updated_text", "seen_text", "article_id", "context")


class _UtcText(Func):
    """A timestamp as UTC text (``2024-05-01 10:00:00[.ffffff]``), read back with ``fromisoformat``.

    Django reads ``timestamptz`` columns through a Python-level loader (``psycopg_any.BaseTzLoader``)
    that parses every value: two per sighting made it half of a 10,000-IOC event's query time. As
    text, the few distinct values of a threat (its articles' dates, its IOCs' update times) are parsed
    once each (:func:`_utc_parser`)."""

    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s AT TIME ZONE 'UTC')::text", **extra)

    def as_sqlite(self, compiler, connection, **extra):  # stored as naive UTC text; CAST drops the column's
        return self.as_sql(compiler, connection, template="CAST(%(expressions)s AS TEXT)", **extra)  # converter


def _utc_parser() -> Callable[[str], datetime]:
    parsed: dict[str, datetime] = {}

    def parse(text: str) -> datetime:
        moment = parsed.get(text)
        if moment is None:
            moment = parsed[text] = datetime.fromisoformat(text).replace(tzinfo=UTC)
        return moment

    return parse


def _ioc_entries(ids: list[int]) -> tuple[dict[int, list[IOCEntry]], dict[int, ThreatStats]]:
    """Per threat, its confirmed and false-positive IOCs (pending ones are not published) and the
    same :class:`ThreatStats` as :func:`threat_stats`, from one pass over its sightings."""
    rows = (Sighting.objects.filter(threat_id__in=ids)
            .annotate(updated_text=_UtcText("ioc__updated_at"), seen_text=_UtcText("seen_at"))
            .order_by("threat_id", "ioc_id", "seen_at", "id")
            .values_list(*SIGHTING_COLUMNS))
    utc = _utc_parser()
    out: dict[int, list[IOCEntry]] = {pk: [] for pk in ids}
    stats = {pk: ThreatStats() for pk in ids}
    current: tuple[int, int] | None = None
    entry: IOCEntry | None = None
    for threat_id, ioc_id, typ, value, status, confidence, reason, updated, seen, article_id, context in \
            rows.iterator(chunk_size=5000):
        updated, seen = utc(updated), utc(seen)
        if (threat_id, ioc_id) != current:
            current = (threat_id, ioc_id)
            stat = stats[threat_id]
            stat.ioc_updated = updated if stat.ioc_updated is None else max(stat.ioc_updated, updated)
            if status == Status.PENDING:
                stat.pending += 1
                entry = None
                continue
            entry = IOCEntry(typ, value, status, confidence, reason, updated, seen, seen, context=context)
            out[threat_id].append(entry)
        if entry is not None:
            entry.last_seen = max(entry.last_seen, seen)
            entry.reports.add(article_id)
    return out, stats


def load_events(ids: list[int]) -> list[EventData]:
    """Everything the builder needs for these threats (at most BATCH), in eight queries whatever their size."""
    iocs, stats = _ioc_entries(ids)
    events = headers_data(ids, stats)
    ids = [data.threat.id for data in events]
    articles: dict[int, list[Article]] = {pk: [] for pk in ids}
    for article in (Article.objects.filter(threat_id__in=ids).order_by("published_at", "id")
                    .only("id", "url", "title", "publisher", "published_at", "fetched_at", "threat_id")):
        articles[article.threat_id].append(article)
    cves: dict[int, list[str]] = {pk: [] for pk in ids}
    for threat_id, cve in (Threat.vulnerabilities.through.objects.filter(threat_id__in=ids)
                           .order_by("vulnerability__cve_id").values_list("threat_id", "vulnerability__cve_id")):
        cves[threat_id].append(cve)
    for data in events:
        pk = data.threat.id
        data.iocs, data.articles, data.vulnerabilities = iocs[pk], articles[pk], cves[pk]
    return events


def threat_ids(event_uuids: list[str]) -> list[int]:
    """Threat ids of these event uuids, in the same order (unknown ones left out)."""
    found: dict[str, int] = {}
    for batch in chunks(event_uuids):
        found.update((str(u), pk) for pk, u in Threat.objects.filter(uuid__in=batch).values_list("id", "uuid"))
    return [found[u] for u in event_uuids if u in found]


def publishable_id(event_uuid, clearance: int) -> tuple[int, datetime] | None:
    """(id, last_seen) of the threat behind this event uuid, if it is an event at this clearance."""
    return (Threat.objects.filter(uuid=event_uuid, tlp__lte=_feed_level(clearance)).filter(_has_confirmed_ioc())
            .values_list("id", "last_seen").first())
