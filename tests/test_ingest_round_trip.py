"""Round trip: what ThreatCluster exports (a threat's STIX bundle, its MISP event) imports again with
nothing lost."""

import json
import random

import pytest

from apikeys.tlp import TLP
from iocs.models import IOC, Confidence, Status
from iocs.normalize import IOCType
from misp_feed.builder import build_event
from misp_feed.query import load_events
from threats.demo import ValueFactory
from threats.ingest import entities
from threats.ingest.misp import import_misp
from threats.ingest.record import Findings, found_ioc, record
from threats.ingest.stix import import_stix
from threats.models import Article, AttackPattern, Malware, Threat, ThreatActor, Vulnerability
from threats.query import load_threat_graph
from threats.stix.graph import threat_bundle


def rich_threat() -> Threat:
    """A threat with every IOC type, every kind of entity and two source articles."""
    values = ValueFactory(random.Random(4), 4)
    threat = Threat.objects.create(title="Round-trip campaign", summary="What happened, in two sentences.",
                                   tlp=TLP.AMBER)
    for n, publisher in enumerate(["research.example.org", "news.example.net"]):
        article = threat.articles.create(url=f"https://{publisher}/post/{n}", title=f"Report {n}",
                                         publisher=publisher)
        found = [found_ioc(t, values.make[t](n), f"{t} seen in report {n}") for t in IOCType.values]
        record(article, threat, Findings(
            iocs=found, actors=[entities.actor("APT28")],
            malware=[entities.malware("Zebrocy"), entities.malware("Mimikatz", kind=Malware.Kind.TOOL)],
            attack_patterns=[entities.attack_pattern("T1059.001")],
            vulnerabilities=[entities.vulnerability("CVE-2023-23397")]))
    IOC.objects.update(status=Status.CONFIRMED, confidence=Confidence.HIGH)
    return threat


def snapshot(threat: Threat) -> dict:
    return {
        "public_id": threat.public_id, "title": threat.title, "summary": threat.summary, "tlp": threat.tlp,
        "iocs": sorted(IOC.objects.filter(sightings__threat=threat).distinct().values_list("type", "value")),
        "actors": sorted(threat.actors.values_list("name", flat=True)),
        "malware": sorted(threat.malware.values_list("name", "kind", "is_family")),
        "techniques": sorted(threat.attack_patterns.values_list("technique_id", "name", "tactics")),
        "cves": sorted(threat.vulnerabilities.values_list("cve_id", flat=True)),
        "articles": sorted(threat.articles.filter(url__startswith="https://").values_list("url", "title")),
    }


def wipe() -> None:
    """A fresh instance: nothing of the exported threat is left."""
    for model in (Article, Threat, IOC, ThreatActor, Malware, AttackPattern, Vulnerability):
        model.objects.all().delete()


@pytest.mark.django_db
def test_a_threat_stix_bundle_imports_into_a_fresh_instance_with_nothing_lost():
    threat = rich_threat()
    before = snapshot(threat)
    assert len(before["iocs"]) == 2 * len(IOCType.values)
    bundle = threat_bundle(load_threat_graph(threat.public_id, TLP.RED), base_url="https://tc.example.org")
    wipe()
    result = import_stix(json.dumps(bundle), name="export.json", default_tlp=TLP.CLEAR)
    assert result.threats_new == 1 and result.iocs_new == len(before["iocs"])
    assert snapshot(Threat.objects.get()) == before


@pytest.mark.django_db
def test_importing_our_own_export_into_the_same_instance_updates_the_threat():
    threat = rich_threat()
    bundle = threat_bundle(load_threat_graph(threat.public_id, TLP.RED), base_url="https://tc.example.org")
    iocs = IOC.objects.count()
    result = import_stix(json.dumps(bundle), name="export.json", default_tlp=TLP.CLEAR)
    assert (result.threats_new, result.iocs_new) == (0, 0)
    assert Threat.objects.get() == threat and IOC.objects.count() == iocs


@pytest.mark.django_db
def test_a_threat_misp_event_imports_into_a_fresh_instance_with_nothing_lost():
    threat = rich_threat()
    before = snapshot(threat)
    contexts = dict(IOC.objects.filter(sightings__threat=threat).values_list("value", "sightings__context"))
    event = build_event(load_events([threat.pk])[0])
    wipe()
    result = import_misp(json.dumps(event), name="event.json", default_tlp=TLP.CLEAR)
    assert result.threats_new == 1 and result.iocs_new == len(before["iocs"])
    imported = Threat.objects.get()
    after = snapshot(imported)
    assert str(imported.uuid) == event["Event"]["uuid"] == str(threat.uuid)  # MISP event uuid = threat uuid
    # A MISP event carries no summary nor our short public id; everything else comes back.
    for key in ("public_id", "summary"):
        before.pop(key), after.pop(key)
    assert after == before
    got = dict(IOC.objects.filter(sightings__threat=imported).values_list("value", "sightings__context"))
    assert set(got.values()) <= set(contexts.values()) and all(got.values())  # the sentence it came from
    again = import_misp(json.dumps(event), name="event.json", default_tlp=TLP.CLEAR)
    assert (again.threats_new, again.iocs_new) == (0, 0)
