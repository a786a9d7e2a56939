"""MISP event import: the real ESET exports, both wrappers, TLP from tags, galaxies, and idempotence."""

import json

import pytest

from apikeys.tlp import TLP
from iocs.models import IOC, Status
from tests.conftest import require_shared
from threats.ingest.imports import InvalidImport
from threats.ingest.misp import import_misp
from threats.models import Article, Sighting, Threat

INVALID = "pypi_backdoor__malicious_pypi_packages.misp-event.json"


def eset_files():
    folder = require_shared("corpus", "misp_events", "eset")
    index = json.loads((folder.parent / "INDEX.json").read_text())
    return folder, index


def counts():
    return (Threat.objects.count(), Article.objects.count(), IOC.objects.count(), Sighting.objects.count())


@pytest.mark.django_db
@pytest.mark.shared
@pytest.mark.slow
def test_every_eset_export_imports_and_the_invalid_one_imports_nothing():
    folder, index = eset_files()
    imported = 0
    for entry in index:
        path = folder.parent.parent / entry["file"]
        before = counts()
        if path.name == INVALID:
            with pytest.raises(InvalidImport, match=r"invalid JSON at line \d+ column \d+"):
                import_misp(path.read_bytes(), name=path.name, default_tlp=TLP.CLEAR)
            assert counts() == before
            continue
        result = import_misp(path.read_bytes(), name=path.name, default_tlp=TLP.CLEAR)
        imported += 1
        event = entry["events"][0]
        threat = Threat.objects.get(pk=result.threat_ids[0])
        assert threat.title == event["info"]
        assert threat.first_seen.date().isoformat() == event["date"]
        assert result.iocs_new + result.iocs_seen == threat.sightings.count() > 0
    assert imported == len(index) - 1 == Threat.objects.count()
    assert not IOC.objects.exclude(status=Status.PENDING).exists()  # the classifier rules later


@pytest.mark.django_db
@pytest.mark.shared
def test_a_response_wrapped_event_keeps_its_iocs_entities_and_references():
    folder, _ = eset_files()
    path = folder / "turla__misp-turla-lightneuron-event.json"
    event = json.loads(path.read_text())["response"][0]["Event"]
    result = import_misp(path.read_bytes(), name=path.name, default_tlp=TLP.GREEN)
    threat = Threat.objects.get(uuid=event["uuid"])
    assert threat.tlp == TLP.GREEN  # no tlp tag: the caller's default
    assert set(threat.actors.values_list("name", flat=True)) >= {"Turla"}
    assert "LightNeuron" in set(threat.malware.values_list("name", flat=True))
    sha1 = {a["value"].lower() for a in event["Attribute"] if a["type"] == "sha1"}
    assert sha1 <= set(IOC.objects.filter(type="sha1", sightings__threat=threat).values_list("value", flat=True))
    links = {a["value"] for a in event["Attribute"] if a["type"] == "link"}
    assert links <= set(Article.objects.filter(threat=threat).values_list("url", flat=True))
    assert result.skipped  # file names and the like are counted, not silently dropped
    assert threat.attack_patterns.exists()


@pytest.mark.django_db
@pytest.mark.shared
def test_an_event_wrapped_export_and_its_tlp_white_tag():
    folder, _ = eset_files()
    import_misp((folder / "sshdoor__misp-events__abafar.json").read_bytes(), name="abafar", default_tlp=TLP.AMBER)
    threat = Threat.objects.get(uuid="5bad1b96-53bc-4148-87eb-50d50a016219")
    assert threat.tlp == TLP.AMBER and threat.title == "SSHDoor : Abafar"
    import_misp((folder / "telebots__misp-telebots.json").read_bytes(), name="telebots", default_tlp=TLP.AMBER)
    telebots = Threat.objects.exclude(pk=threat.pk).get()
    assert telebots.tlp == TLP.CLEAR  # tlp:white is TLP 1.0 for clear
    assert set(IOC.objects.filter(sightings__threat=telebots).values_list("tlp", flat=True)) == {TLP.CLEAR}


@pytest.mark.django_db
@pytest.mark.shared
def test_importing_again_creates_nothing_twice():
    folder, _ = eset_files()
    data = (folder / "oceanlotus__oceanlotus-macOS.misp.event.json").read_bytes()
    first = import_misp(data, name="x", default_tlp=TLP.CLEAR)
    before = counts()
    again = import_misp(data, name="x", default_tlp=TLP.CLEAR)
    assert counts() == before
    assert (again.threats_new, again.threats_updated, again.iocs_new) == (0, 1, 0)
    assert again.iocs_seen == first.iocs_new


def _event(**extra):
    event = {"uuid": "0b8f1f0e-8d2b-4c55-9a7e-2f3b8f1d2a10", "info": "Synthetic amber event", "date": "2024-03-01",
             "Orgc": {"name": "CERT-Example", "uuid": "5b1e2f3a-0000-4000-8000-000000000001"},
             "Tag": [{"name": "tlp:amber"}, {"name": 'misp-galaxy:threat-actor="Sofacy"'},
                     {"name": 'misp-galaxy:mitre-attack-pattern="Spearphishing Attachment - T1566.001"'}],
             "Attribute": [
                 {"type": "domain|ip", "value": "Evil-Example.COM|198.51.100.7", "category": "Network activity",
                  "comment": "C2 server"},
                 {"type": "ip-dst|port", "value": "2001:db8::7|443", "category": "Network activity"},
                 {"type": "filename|sha256", "value": "a.exe|" + "AB" * 32, "category": "Payload delivery"},
                 {"type": "url", "value": "hxxp://evil-example[.]com/gate.php", "category": "Network activity"},
                 {"type": "vulnerability", "value": "cve-2023-23397", "category": "External analysis"},
                 {"type": "md5", "value": "not-a-hash", "category": "Payload delivery"},
                 {"type": "sha1", "value": "f" * 40, "category": "Payload delivery", "deleted": True},
                 {"type": "link", "value": "https://cert.example.org/report", "category": "External analysis"},
             ],
             "Galaxy": [{"type": "mitre-tool", "GalaxyCluster": [{"value": "Mimikatz - S0002"}]}]}
    event.update(extra)
    return event


@pytest.mark.django_db
def test_types_tags_and_galaxies_of_a_synthetic_event():
    result = import_misp(json.dumps({"Event": _event()}), name="synthetic.json", default_tlp=TLP.CLEAR)
    threat = Threat.objects.get(uuid="0b8f1f0e-8d2b-4c55-9a7e-2f3b8f1d2a10")
    assert threat.tlp == TLP.AMBER
    got = set(IOC.objects.filter(sightings__threat=threat).values_list("type", "value"))
    assert got == {("domain", "evil-example.com"), ("ipv4", "198.51.100.7"), ("ipv6", "2001:db8::7"),
                   ("sha256", "ab" * 32), ("url", "http://evil-example.com/gate.php")}
    assert set(IOC.objects.values_list("tlp", flat=True)) == {TLP.AMBER}
    assert result.skipped["invalid md5"] == 1
    assert list(threat.actors.values_list("name", flat=True)) == ["APT28"]
    assert list(threat.attack_patterns.values_list("technique_id", flat=True)) == ["T1566.001"]
    assert list(threat.vulnerabilities.values_list("cve_id", flat=True)) == ["CVE-2023-23397"]
    assert list(threat.malware.values_list("name", "kind")) == [("Mimikatz", "tool")]
    sighting = Sighting.objects.get(ioc__value="198.51.100.7")
    assert sighting.context == "C2 server" and sighting.article.publisher == "CERT-Example"
    assert Article.objects.filter(url="https://cert.example.org/report", threat=threat).exists()


@pytest.mark.django_db
def test_a_list_of_events_and_bad_documents():
    second = _event(uuid="7c1d8a52-3f4e-4b6a-9c2d-1e0f5a6b7c8d", info="Second", Tag=[])
    result = import_misp(json.dumps({"response": [{"Event": _event()}, {"Event": second}]}), name="two",
                         default_tlp=TLP.CLEAR)
    assert result.threats_new == 2
    with pytest.raises(InvalidImport, match="not a MISP event"):
        import_misp(json.dumps({"type": "bundle"}), name="bundle.json", default_tlp=TLP.CLEAR)
    with pytest.raises(InvalidImport, match="no MISP event"):
        import_misp(json.dumps({"response": []}), name="empty.json", default_tlp=TLP.CLEAR)


@pytest.mark.django_db
def test_a_failure_midway_imports_nothing_from_the_file():
    broken = {"Event": {"info": "no uuid but fine"}}
    bad = {"Event": {"uuid": "x"}}  # no info: not an event
    with pytest.raises(InvalidImport):
        import_misp(json.dumps({"response": [{"Event": _event()}, broken, bad]}), name="mixed",
                    default_tlp=TLP.CLEAR)
    assert counts() == (0, 0, 0, 0)


@pytest.mark.django_db
def test_nul_characters_are_dropped_not_fatal():
    event = _event(info="Bad\u0000title")
    assert "\\u0000" in json.dumps({"Event": event})
    import_misp(json.dumps({"Event": event}), name="nul.json", default_tlp=TLP.CLEAR)
    assert Threat.objects.get().title == "Badtitle"
