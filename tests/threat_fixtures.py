"""A threat with IOCs of every type and status, entities, articles and sightings, for the per-threat tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apikeys.tlp import TLP
from iocs.models import IOC
from tests.stix_samples import values_of_every_type
from threats.models import Article, AttackPattern, Malware, Sighting, Threat, ThreatActor, Vulnerability

T0 = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
INJECTION_EMAIL = "=1+2@evil.example.com"
INJECTION_CONTEXT = "=HYPERLINK(\"http://evil.example.com\",\"click\") seen as C2"


def make_threat(tlp: int = TLP.CLEAR, *, public_id: str = "0a1b2c3d", title: str = "Lazarus targets banks",
                actor: bool = True, with_iocs: bool = True) -> Threat:
    threat = Threat.objects.create(public_id=public_id, title=title, summary="A wave of phishing.", tlp=tlp,
                                   threat_score=70, first_seen=T0, last_seen=T0 + timedelta(days=3),
                                   created_at=T0, updated_at=T0 + timedelta(days=3))
    if actor:
        threat.actors.add(ThreatActor.objects.get_or_create(name="Lazarus Group",
                                                            defaults={"aliases": ["Hidden Cobra"]})[0])
    threat.malware.add(Malware.objects.get_or_create(name="AgentTesla")[0],
                       Malware.objects.get_or_create(name="Cobalt Strike", defaults={"kind": "tool"})[0])
    threat.attack_patterns.add(
        AttackPattern.objects.get_or_create(technique_id="T1566.001", defaults={
            "name": "Spearphishing Attachment", "tactics": ["initial-access"]})[0],
        AttackPattern.objects.get_or_create(technique_id="T1053.005", defaults={
            "name": "Scheduled Task", "tactics": ["execution", "persistence", "privilege-escalation"]})[0],
    )
    threat.vulnerabilities.add(Vulnerability.objects.get_or_create(cve_id="CVE-2021-44228")[0])
    articles = [Article.objects.create(url=f"https://news.example.org/{public_id}/{n}", title=f"Report {n}",
                                       publisher="news.example.org", threat=threat,
                                       published_at=T0 + timedelta(hours=n)) for n in range(2)]
    if with_iocs:
        add_iocs(threat, articles)
    return threat


def add_iocs(threat: Threat, articles: list[Article]) -> list[IOC]:
    """Every type (confirmed high/medium/low and pending), one false positive, two CSV-injection cases."""
    verdicts = [("confirmed", "high"), ("confirmed", "medium"), ("confirmed", "low"), ("pending", "")]
    values = [*values_of_every_type(), ("email", INJECTION_EMAIL)]
    iocs = []
    for i, (ioc_type, value) in enumerate(values):
        status, confidence = verdicts[i % len(verdicts)]
        iocs.append(IOC.objects.create(type=ioc_type, value=value, status=status, confidence=confidence,
                                       tlp=threat.tlp, first_seen=T0, last_seen=T0 + timedelta(days=1)))
    fp = IOC.objects.create(type="domain", value="benign.example.com", status="false_positive", tlp=threat.tlp)
    for i, ioc in enumerate([*iocs, fp]):
        context = INJECTION_CONTEXT if ioc.value == INJECTION_EMAIL else f"{ioc.value} was used as C2"
        Sighting.objects.create(ioc=ioc, article=articles[i % len(articles)], threat=threat, context=context,
                                seen_at=T0)
    return iocs


@pytest.fixture
def roomy_rate_limits(settings):
    """These tests make many calls from one address; the rate limits have tests of their own."""
    settings.RATE_LIMITS = {group: dict.fromkeys(table, "100000/m") for group, table in settings.RATE_LIMITS.items()}
