"""STIX 2.1 bundle import: reports, patterns, observables, entities, relationships, TLP; idempotent."""

import json

import pytest

from apikeys.tlp import TLP
from iocs.models import IOC
from threats.ingest.imports import InvalidImport
from threats.ingest.stix import import_stix, pattern_iocs
from threats.models import Article, Sighting, Threat

AMBER2 = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
T = "2024-05-01T10:00:00.000Z"
REPORT = "report--6f3c2a1e-5b4d-4c8e-9f7a-0d1e2f3a4b5c"


def _obj(kind: str, n: int, **props) -> dict:
    return {"type": kind, "spec_version": "2.1", "id": f"{kind}--00000000-0000-4000-8000-{n:012d}",
            "created": T, "modified": T, **props}


def bundle() -> dict:
    actor = _obj("intrusion-set", 1, name="Fancy Bear", aliases=["Sednit"])
    malware = _obj("malware", 2, name="Zebrocy", is_family=True, object_marking_refs=[AMBER2])
    tool = _obj("tool", 3, name="Mimikatz")
    technique = _obj("attack-pattern", 4, name="PowerShell", kill_chain_phases=[
        {"kill_chain_name": "mitre-attack", "phase_name": "execution"}],
        external_references=[{"source_name": "mitre-attack", "external_id": "T1059.001"}])
    cve = _obj("vulnerability", 5, name="CVE-2023-23397",
               external_references=[{"source_name": "cve", "external_id": "CVE-2023-23397"}])
    ind1 = _obj("indicator", 6, name="Zebrocy C2", pattern_type="stix", valid_from=T,
                pattern="[ipv4-addr:value = '198.51.100.7'] OR [domain-name:value = 'Evil-Example.com']")
    ind2 = _obj("indicator", 7, pattern_type="stix", valid_from=T, description="dropper",
                pattern="[file:hashes.'SHA-256' = '" + "AB" * 32 + "' AND file:hashes.MD5 = '" + "c" * 32 + "']")
    ind3 = _obj("indicator", 8, pattern_type="stix", valid_from=T,
                pattern="[url:value = 'http://evil-example.com/it\\'s']")
    ind4 = _obj("indicator", 9, pattern_type="yara", valid_from=T, pattern="rule x { condition: true }")
    rel = _obj("relationship", 10, relationship_type="indicates", source_ref=ind1["id"], target_ref=malware["id"])
    uses = _obj("relationship", 11, relationship_type="uses", source_ref=actor["id"], target_ref=tool["id"])
    sco = {"type": "ipv6-addr", "spec_version": "2.1", "id": "ipv6-addr--1d4f0c4e-5a5b-5c5d-8e5f-0a1b2c3d4e5f",
           "value": "2001:DB8::7"}
    report = {"type": "report", "spec_version": "2.1", "id": REPORT, "created": T, "modified": T,
              "name": "Zebrocy returns", "published": "2024-04-30T00:00:00.000Z", "description": "<p>APT28 news</p>",
              "object_refs": [actor["id"], malware["id"], technique["id"], cve["id"], ind2["id"], ind3["id"],
                              ind4["id"], rel["id"], sco["id"], uses["id"]],
              "external_references": [{"source_name": "blog", "url": "https://blog.example.org/zebrocy"}]}
    return {"type": "bundle", "id": "bundle--11111111-2222-4333-8444-555555555555",
            "objects": [report, actor, malware, tool, technique, cve, ind1, ind2, ind3, ind4, rel, uses, sco]}


def test_pattern_parsing_handles_or_and_quotes_and_escapes():
    got = {(f.type, f.value) for f in pattern_iocs(
        "[file:hashes.'SHA-1' = '" + "A" * 40 + "'] OR [email-message:from_ref.value = 'x@Example.com'] "
        "OR [url:value = 'http://a.example/it\\'s'] OR [process:name = 'evil.exe']")}
    assert got == {("sha1", "a" * 40), ("email", "x@example.com"), ("url", "http://a.example/it's")}


@pytest.mark.django_db
def test_a_bundle_becomes_a_threat_with_iocs_entities_and_tlp():
    result = import_stix(json.dumps(bundle()), name="b.json", default_tlp=TLP.CLEAR)
    threat = Threat.objects.get(uuid="6f3c2a1e-5b4d-4c8e-9f7a-0d1e2f3a4b5c")
    assert (threat.title, threat.summary, threat.tlp) == ("Zebrocy returns", "APT28 news", TLP.AMBER)
    assert threat.first_seen.isoformat().startswith("2024-04-30")
    got = set(IOC.objects.filter(sightings__threat=threat).values_list("type", "value"))
    assert got == {("ipv4", "198.51.100.7"), ("domain", "evil-example.com"), ("sha256", "ab" * 32),
                   ("md5", "c" * 32), ("url", "http://evil-example.com/it's"), ("ipv6", "2001:db8::7")}
    assert set(IOC.objects.values_list("tlp", flat=True)) == {TLP.AMBER}
    assert list(threat.actors.values_list("name", flat=True)) == ["APT28"]  # Fancy Bear, canonical name
    assert set(threat.malware.values_list("name", "kind")) == {("Zebrocy", "malware"), ("Mimikatz", "tool")}
    assert list(threat.attack_patterns.values_list("technique_id", "tactics")) == [("T1059.001", ["execution"])]
    assert list(threat.vulnerabilities.values_list("cve_id", flat=True)) == ["CVE-2023-23397"]
    assert Sighting.objects.get(ioc__value="198.51.100.7").context == "Zebrocy C2"
    assert Article.objects.filter(url="https://blog.example.org/zebrocy", threat=threat).exists()
    assert result.iocs_new == 6 and result.threats_new == 1


@pytest.mark.django_db
def test_importing_the_same_bundle_again_creates_nothing():
    data = json.dumps(bundle())
    import_stix(data, name="b.json", default_tlp=TLP.CLEAR)
    before = (Threat.objects.count(), Article.objects.count(), IOC.objects.count(), Sighting.objects.count())
    again = import_stix(data, name="b.json", default_tlp=TLP.CLEAR)
    assert (Threat.objects.count(), Article.objects.count(), IOC.objects.count(), Sighting.objects.count()) == before
    assert (again.threats_new, again.iocs_new, again.iocs_seen) == (0, 0, 6)


@pytest.mark.django_db
def test_a_bundle_without_report_is_one_threat_and_bad_input_fails_cleanly():
    objects = [o for o in bundle()["objects"] if o["type"] != "report"]
    import_stix(json.dumps({"type": "bundle", "id": "bundle--11111111-2222-4333-8444-555555555555",
                            "objects": objects}), name="x", default_tlp=TLP.GREEN)
    threat = Threat.objects.get(uuid="11111111-2222-4333-8444-555555555555")
    assert threat.title.startswith("STIX bundle: ") and threat.tlp == TLP.AMBER
    with pytest.raises(InvalidImport, match=r"broken.json: invalid JSON at line 1 column"):
        import_stix('{"type": "bundle", ', name="broken.json", default_tlp=TLP.CLEAR)
    with pytest.raises(InvalidImport, match=r"not a STIX 2\.1 bundle"):
        import_stix('{"Event": {}}', name="misp.json", default_tlp=TLP.CLEAR)
    assert Threat.objects.count() == 1
