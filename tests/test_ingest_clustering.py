"""Clustering decisions: what joins an existing threat and what starts a new one."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apikeys.tlp import TLP
from iocs.models import IOC, Status
from threats.ingest import clustering, entities
from threats.ingest.clustering import Evidence, choose_threat, similar_titles
from threats.models import Article, Malware, Sighting, Threat

NOW = timezone.now()


def threat_with(title="Earlier report", *, iocs=(), actors=(), malware=(), cves=(), tlp=TLP.CLEAR, when=NOW):
    threat = Threat.objects.create(title=title, tlp=tlp, first_seen=when, last_seen=when)
    article = Article.objects.create(url=f"https://blog.example.org/{threat.public_id}", title=title,
                                     threat=threat, publisher="blog.example.org")
    for ioc in iocs:
        Sighting.objects.create(ioc=ioc, article=article, threat=threat)
    threat.actors.add(*[entities.actor(a) for a in actors])
    threat.malware.add(*[entities.malware(m) for m in malware])
    threat.vulnerabilities.add(*[entities.vulnerability(c) for c in cves])
    return threat


def ioc(value="198.51.100.7", status=Status.PENDING):
    return IOC.objects.create(type="ipv4", value=value, status=status,
                              confidence="high" if status == Status.CONFIRMED else "")


def evidence(**kw):
    kw.setdefault("when", NOW)
    kw.setdefault("tlp", TLP.CLEAR)
    for key in ("ioc_ids", "actor_ids", "malware_ids", "cve_ids"):
        kw[key] = set(kw.get(key, ()))
    return Evidence(**kw)


@pytest.mark.django_db
def test_a_shared_ioc_joins_the_threat():
    shared = ioc()
    threat = threat_with(iocs=[shared])
    decision = choose_threat(evidence(ioc_ids=[shared.pk]))
    assert decision.threat == threat and decision.reasons["iocs"] == 1 and "joins" in str(decision)


@pytest.mark.django_db
def test_nothing_shared_starts_a_new_threat():
    threat_with(iocs=[ioc()], actors=["Turla"])
    other = ioc("203.0.113.9")
    assert choose_threat(evidence(ioc_ids=[other.pk], title="Unrelated phishing wave")).threat is None


@pytest.mark.django_db
def test_a_named_actor_malware_or_cve_joins():
    t_actor = threat_with("A", actors=["APT28"])
    t_malware = threat_with("B", malware=["Emotet"])
    t_cve = threat_with("C", cves=["CVE-2023-23397"])
    assert choose_threat(evidence(actor_ids=[entities.actor("Sofacy").pk])).threat == t_actor  # synonym
    assert choose_threat(evidence(malware_ids=[entities.malware("Heodo").pk])).threat == t_malware
    assert choose_threat(evidence(cve_ids=[entities.vulnerability("CVE-2023-23397").pk])).threat == t_cve


@pytest.mark.django_db
def test_a_near_identical_title_joins_but_a_short_or_different_one_does_not():
    threat = threat_with("Lazarus targets aerospace engineers with fake job offers")
    assert choose_threat(evidence(title="Lazarus targets aerospace engineers with fake job offer")).threat == threat
    assert choose_threat(evidence(title="Lazarus targets crypto exchanges with fake apps")).threat is None
    assert similar_titles("Weekly news", "Weekly news") is False


@pytest.mark.django_db
def test_outside_the_window_or_at_another_tlp_it_does_not_join():
    shared = ioc()
    threat_with(iocs=[shared], when=NOW - clustering.WINDOW - timedelta(days=2))
    assert choose_threat(evidence(ioc_ids=[shared.pk])).threat is None
    amber = threat_with(iocs=[shared], tlp=TLP.AMBER)
    assert choose_threat(evidence(ioc_ids=[shared.pk])).threat is None
    assert choose_threat(evidence(ioc_ids=[shared.pk], tlp=TLP.AMBER)).threat == amber


@pytest.mark.django_db
def test_false_positive_and_hub_iocs_do_not_link():
    benign = ioc("192.0.2.1", status=Status.FALSE_POSITIVE)
    threat_with(iocs=[benign])
    assert choose_threat(evidence(ioc_ids=[benign.pk])).threat is None
    hub = ioc("198.51.100.99")
    for n in range(clustering.HUB_THREATS):
        threat_with(f"Threat number {n}", iocs=[hub])
    assert choose_threat(evidence(ioc_ids=[hub.pk])).threat is None


@pytest.mark.django_db
def test_the_threat_with_the_most_evidence_wins():
    a, b = ioc("198.51.100.1"), ioc("198.51.100.2")
    weak = threat_with("Weak", actors=["Turla"])
    strong = threat_with("Strong", iocs=[a, b])
    decision = choose_threat(evidence(ioc_ids=[a.pk, b.pk], actor_ids=[entities.actor("Turla").pk]))
    assert decision.threat == strong != weak
    assert decision.reasons == {"iocs": 2, "title": 0, "actors": 0, "malware": 0, "cves": 0}


@pytest.mark.django_db
def test_commodity_frameworks_are_not_linking_malware():
    assert "Cobalt Strike" in clustering.COMMODITY
    assert entities.malware("Cobalt Strike").kind == Malware.Kind.MALWARE  # a family, but everyone's
