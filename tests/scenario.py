"""Small named threats, IOCs and sightings for the lookup and MISP feed tests.

``make_threat`` / ``make_ioc`` / ``sight`` build exactly what a test names, with an IOC's ``tlp``
kept as the model says (the least restrictive TLP of the threats citing it).
"""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from apikeys.tlp import TLP
from iocs import wallets
from iocs.models import IOC, Confidence, Status
from threats.models import Article, AttackPattern, Malware, Sighting, Threat, ThreatActor, Vulnerability

_counter = itertools.count(1)

# One valid value of every IOC type (the XMR address is built to pass its checksum).
VALUES = {
    "ipv4": "198.51.100.7",
    "ipv6": "2001:db8::7",
    "domain": "evil.example.com",
    "url": "http://evil.example.com/payload.bin",
    "md5": "d41d8cd98f00b204e9800998ecf8427e",
    "sha1": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "email": "phish@evil.example.com",
    "btc": "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
    "eth": "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
    "xmr": wallets.encode_monero(18, bytes(range(32)), bytes(range(32, 64))),
}


@pytest.fixture
def fresh_cache():
    """Feed files, their versions and rate-limit counters from another test must not leak in."""
    cache.clear()
    yield
    cache.clear()


def ago(**kwargs) -> datetime:
    return timezone.now() - timedelta(**kwargs)


def make_threat(title: str = "", *, tlp: int = TLP.CLEAR, score: int = 50, last_seen: datetime | None = None,
                first_seen: datetime | None = None, actors=(), malware=(), techniques=(), cves=(),
                articles: int = 1) -> Threat:
    n = next(_counter)
    last = last_seen or ago(hours=n)
    first = first_seen or last - timedelta(days=2)
    threat = Threat.objects.create(title=title or f"Incident {n}", tlp=tlp, threat_score=score, first_seen=first,
                                   last_seen=last, created_at=first, updated_at=last)
    if actors:
        threat.actors.set([ThreatActor.objects.get_or_create(name=name)[0] for name in actors])
    if malware:
        threat.malware.set([Malware.objects.get_or_create(name=name, defaults={"kind": kind})[0]
                            for name, kind in malware])
    if techniques:
        threat.attack_patterns.set([AttackPattern.objects.get_or_create(technique_id=tid, defaults={"name": name})[0]
                                    for tid, name in techniques])
    if cves:
        threat.vulnerabilities.set([Vulnerability.objects.get_or_create(cve_id=cve)[0] for cve in cves])
    for k in range(articles):
        Article.objects.create(url=f"https://research.example.org/{threat.public_id}/{k}",
                               title=f"Report {k} on {threat.title}", publisher="research.example.org",
                               threat=threat, published_at=first, fetched_at=first)
    return threat


def make_ioc(ioc_type: str, value: str | None = None, *, status: str = Status.CONFIRMED, confidence: str = "",
             tlp: int = TLP.RED) -> IOC:
    if status == Status.CONFIRMED and not confidence:
        confidence = Confidence.HIGH
    return IOC.objects.create(type=ioc_type, value=value or VALUES[ioc_type], status=status, confidence=confidence,
                              reason=f"test: {status}", tlp=tlp)


def the_ioc(ioc_type: str, value: str | None = None, **kwargs) -> IOC:
    """The IOC (ioc_type, value), created confirmed the first time: for IOCs shared by several threats."""
    existing = IOC.objects.filter(type=ioc_type, value=value or VALUES[ioc_type]).first()
    return existing or make_ioc(ioc_type, value, **kwargs)


def sight(ioc: IOC, threat: Threat, *, context: str = "", seen_at: datetime | None = None,
          article: Article | None = None) -> Sighting:
    """Record ``ioc`` in ``threat`` (in its first article unless told) and lower the IOC's TLP to match."""
    article = article or threat.articles.order_by("id").first()
    sighting = Sighting.objects.create(ioc=ioc, article=article, threat=threat, context=context or f"{ioc.value} seen",
                                       seen_at=seen_at or threat.last_seen)
    if threat.tlp < ioc.tlp:
        IOC.objects.filter(pk=ioc.pk).update(tlp=threat.tlp)
        ioc.refresh_from_db()
    return sighting


def threat_with_iocs(n_iocs: int = 1, **kwargs) -> Threat:
    """A threat with ``n_iocs`` confirmed IPv4 IOCs of its own."""
    threat = make_threat(**kwargs)
    for _ in range(n_iocs):
        k = next(_counter)
        sight(make_ioc("ipv4", f"203.0.{k // 250 % 250}.{k % 250 + 1}"), threat)
    return threat


def many_threats(ioc: IOC, count: int, *, tlp: int = TLP.CLEAR, title: str = "Cluster {k}") -> list[Threat]:
    """``count`` threats citing ``ioc``, cluster k last seen k+1 hours ago, written in bulk."""
    threats = Threat.objects.bulk_create([
        Threat(public_id=f"{0xa0000000 + next(_counter):08x}", uuid=uuid.uuid4(), title=title.format(k=k), tlp=tlp,
               last_seen=ago(hours=k + 1), first_seen=ago(hours=k + 48), updated_at=ago(hours=k + 1))
        for k in range(count)
    ])
    threats = list(Threat.objects.filter(uuid__in=[t.uuid for t in threats]))
    articles = Article.objects.bulk_create([
        Article(url=f"https://research.example.org/{t.public_id}/0", title=t.title, threat=t) for t in threats
    ])
    Sighting.objects.bulk_create([Sighting(ioc=ioc, article=a, threat=a.threat, context="seen") for a in articles])
    IOC.objects.filter(pk=ioc.pk, tlp__gt=tlp).update(tlp=tlp)
    return threats
