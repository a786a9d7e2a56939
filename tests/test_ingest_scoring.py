"""threat_score from documented evidence, and IOC visibility/seen dates kept in step with sightings."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apikeys.tlp import TLP
from iocs.models import IOC, Confidence, Status
from threats.ingest import entities, scoring
from threats.ingest.record import Findings, found_ioc, record
from threats.models import Article, Threat

NOW = timezone.now()


def article_in(threat, n, publisher="a.example.org", when=NOW):
    return Article.objects.create(url=f"https://{publisher}/{threat.pk}/{n}", publisher=publisher, threat=threat,
                                  published_at=when)


@pytest.mark.django_db
def test_score_breakdown_follows_the_documented_table():
    threat = Threat.objects.create(title="x", first_seen=NOW, last_seen=NOW)
    assert scoring.breakdown(threat, NOW) == {"sources": 0, "confirmed_iocs": 0, "known_actor": 0, "cve": 0,
                                              "recency": 15}
    for n, publisher in enumerate(["a.example.org", "b.example.org", "b.example.org", "c.example", "d.example"]):
        record(article_in(threat, n, publisher), threat,
               Findings(iocs=[found_ioc("ipv4", f"198.51.100.{n + 1}")]))
    IOC.objects.update(status=Status.CONFIRMED, confidence=Confidence.HIGH)
    threat.actors.add(entities.actor("APT28"))
    threat.vulnerabilities.add(entities.vulnerability("CVE-2021-44228"))
    assert scoring.breakdown(threat, NOW) == {"sources": 30, "confirmed_iocs": 18, "known_actor": 15, "cve": 15,
                                              "recency": 15}
    assert scoring.compute_score(threat, NOW) == 93
    assert scoring.compute_score(threat, NOW + timedelta(days=20)) == 86
    assert scoring.compute_score(threat, NOW + timedelta(days=365)) == 78
    assert scoring.rescore([threat.pk], NOW) == 1
    threat.refresh_from_db()
    assert threat.threat_score == 93


@pytest.mark.django_db
def test_classifier_verdicts_change_the_score_of_the_threats_citing_them():
    threat = Threat.objects.create(title="x", first_seen=NOW, last_seen=NOW)
    record(article_in(threat, 1), threat, Findings(iocs=[found_ioc("domain", "evil.example.com")]))
    scoring.rescore([threat.pk])
    before = Threat.objects.get(pk=threat.pk).threat_score
    IOC.objects.update(status=Status.CONFIRMED, confidence=Confidence.MEDIUM)
    assert scoring.rescore_for_iocs(IOC.objects.values_list("pk", flat=True)) == 1
    assert Threat.objects.get(pk=threat.pk).threat_score == before + 10


@pytest.mark.django_db
def test_ioc_visibility_is_the_least_restrictive_tlp_and_dates_and_counts_follow_sightings():
    red = Threat.objects.create(title="red", tlp=TLP.RED)
    green = Threat.objects.create(title="green", tlp=TLP.GREEN)
    early, late = NOW - timedelta(days=10), NOW - timedelta(days=1)
    found = Findings(iocs=[found_ioc("sha256", "AB" * 32, "dropper")])
    first = record(article_in(red, 1, when=late), red, found, seen_at=late)
    ioc = IOC.objects.get()
    assert first.new_ioc_ids == [ioc.pk]
    assert (ioc.tlp, ioc.source_count, ioc.first_seen, ioc.last_seen, ioc.status) == (
        TLP.RED, 1, late, late, Status.PENDING)
    second = record(article_in(green, 2, when=early), green, found, seen_at=early)
    ioc.refresh_from_db()
    assert second.new_ioc_ids == [] and second.seen_ioc_ids == [ioc.pk]
    assert (ioc.tlp, ioc.source_count, ioc.first_seen, ioc.last_seen) == (TLP.GREEN, 2, early, late)
    again = record(Article.objects.get(url__endswith="/2"), green, found, seen_at=early)
    assert again.new_sightings == 0 and IOC.objects.get().source_count == 2


def test_found_ioc_normalises_and_rejects():
    assert found_ioc("domain", "Evil[.]Example.COM").value == "evil.example.com"
    assert found_ioc("md5", "xyz") is None
    assert found_ioc("cve", "CVE-2020-0001") is None  # CVEs are entities, not IOCs
