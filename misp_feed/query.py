"""The queries behind every MISP feed file: which threats are events, and what each event holds.

A threat is published as a MISP event when the caller's clearance (capped at TLP:AMBER+STRICT,
see ``mapping.MAX_FEED_TLP``) covers its TLP and at least one of its IOCs is confirmed. Every
function here reads a batch of threats in a fixed number of queries (no N+1), so the manifest of
50 events, the hashes of 50 events and one event of 10,000 IOCs cost the same handful of queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet

from iocs.models import Status
from threats.models import Article, Sighting, Threat

from .mapping import MAX_FEED_TLP


@dataclass
class ThreatStats:
    """What the event header needs beyond the threat row: change time and open classification."""

    ioc_updated: datetime | None = None
    pending: int = 0


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
    iocs: list[IOCEntry]
    articles: list[Article]
    vulnerabilities: list[str]


def publishable_threats(clearance: int) -> QuerySet[Threat]:
    """Threats that are MISP events for this clearance: visible, with at least one confirmed IOC."""
    confirmed = Sighting.objects.filter(threat=OuterRef("pk"), ioc__status=Status.CONFIRMED)
    return Threat.objects.filter(tlp__lte=min(int(clearance), int(MAX_FEED_TLP))).filter(Exists(confirmed))


def with_entities(qs: QuerySet[Threat]) -> QuerySet[Threat]:
    """Actors, malware and techniques (the event's galaxy tags) in three queries for any batch."""
    return qs.prefetch_related("actors", "malware", "attack_patterns")


def listed_threats(clearance: int, *, limit: int | None, since: datetime | None) -> list[Threat]:
    """The events of a manifest: newest activity first (``last_seen``), ``limit`` of them or all since."""
    qs = publishable_threats(clearance)
    if since is not None:
        qs = qs.filter(last_seen__gte=since)
    qs = with_entities(qs.order_by("-last_seen", "-id"))
    return list(qs[:limit] if limit else qs)


def threat_stats(threat_ids: Iterable[int]) -> dict[int, ThreatStats]:
    """Newest ``updated_at`` among each threat's IOCs (whatever their status) and its pending count.

    A status change moves the IOC's ``updated_at`` (``IOCQuerySet.update``), so an IOC confirmed,
    retracted or reviewed moves the event timestamp and MISP pulls the new version.
    """
    ids = list(threat_ids)
    rows = (Sighting.objects.filter(threat_id__in=ids).values("threat_id")
            .annotate(ioc_updated=Max("ioc__updated_at"),
                      pending=Count("ioc_id", filter=Q(ioc__status=Status.PENDING), distinct=True))
            .order_by())
    stats = {threat_id: ThreatStats() for threat_id in ids}
    for row in rows:
        stats[row["threat_id"]] = ThreatStats(row["ioc_updated"], row["pending"])
    return stats


SIGHTING_COLUMNS = ("threat_id", "ioc_id", "ioc__type", "ioc__value", "ioc__status", "ioc__confidence",
                    "ioc__reason", "ioc__updated_at", "seen_at", "article_id", "context")


def _ioc_entries(threat_ids: list[int]) -> dict[int, list[IOCEntry]]:
    """Confirmed and false-positive IOCs per threat (pending ones are not published), one query."""
    rows = (Sighting.objects.filter(threat_id__in=threat_ids)
            .exclude(ioc__status=Status.PENDING)
            .order_by("threat_id", "ioc_id", "seen_at", "id")
            .values_list(*SIGHTING_COLUMNS))
    out: dict[int, list[IOCEntry]] = {threat_id: [] for threat_id in threat_ids}
    current: tuple[int, int] | None = None
    entry: IOCEntry | None = None
    for threat_id, ioc_id, typ, value, status, confidence, reason, updated, seen, article_id, context in \
            rows.iterator(chunk_size=5000):
        if (threat_id, ioc_id) != current:
            current = (threat_id, ioc_id)
            entry = IOCEntry(typ, value, status, confidence, reason, updated, seen, seen, context=context)
            out[threat_id].append(entry)
        entry.last_seen = max(entry.last_seen, seen)
        entry.reports.add(article_id)
    return out


def load_events(threats: list[Threat]) -> list[EventData]:
    """Everything the builder needs for these threats, in five queries whatever their size.

    ``threats`` must come with their entities prefetched (:func:`with_entities`).
    """
    ids = [t.id for t in threats]
    stats = threat_stats(ids)
    iocs = _ioc_entries(ids)
    articles: dict[int, list[Article]] = {threat_id: [] for threat_id in ids}
    for article in (Article.objects.filter(threat_id__in=ids).order_by("published_at", "id")
                    .only("id", "url", "title", "publisher", "published_at", "fetched_at", "threat_id")):
        articles[article.threat_id].append(article)
    cves: dict[int, list[str]] = {threat_id: [] for threat_id in ids}
    through = Threat.vulnerabilities.through
    for threat_id, cve in (through.objects.filter(threat_id__in=ids)
                           .order_by("vulnerability__cve_id").values_list("threat_id", "vulnerability__cve_id")):
        cves[threat_id].append(cve)
    return [EventData(t, stats[t.id], iocs[t.id], articles[t.id], cves[t.id]) for t in threats]


def threat_by_uuid(event_uuid, clearance: int) -> Threat | None:
    """One publishable threat by its uuid (= the MISP event uuid), entities prefetched."""
    return with_entities(publishable_threats(clearance).filter(uuid=event_uuid)).first()

