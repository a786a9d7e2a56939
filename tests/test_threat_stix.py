"""GET /api/threats/<id>/stix: the full graph, validated by the real consumers at every TLP level."""

from __future__ import annotations

import json
from collections import Counter

import pytest
import stix2
from django.utils import timezone

from apikeys.tlp import TLP
from iocs.models import IOC
from tests.threat_fixtures import make_threat, roomy_rate_limits
from tests.validators import assert_valid
from threats import stix
from threats.query import load_threat_graph
from threats.stix.graph import effective_tlp

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures(roomy_rate_limits.__name__)]
URL = "/api/threats/0a1b2c3d/stix"


def get_bundle(client, url=URL, **params) -> dict:
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/stix+json;version=2.1"
    assert response["Content-Disposition"] == 'attachment; filename="threat-0a1b2c3d.stix.json"'
    return json.loads(response.content)


def everything(objs: dict[str, list[dict]]) -> list[dict]:
    return [obj for group in objs.values() for obj in group]


def by_type(bundle: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for obj in bundle["objects"]:
        out.setdefault(obj["type"], []).append(obj)
    return out


@pytest.mark.shared
@pytest.mark.parametrize("level", list(TLP))
def test_every_type_validates_at_every_level(client, admin_user, level):
    make_threat(level)
    client.force_login(admin_user)  # staff: clearance RED
    bundle = get_bundle(client)
    stix2.parse(bundle, allow_custom=False)
    result = assert_valid("validate_stix.py", "--expect-tlp", TLP(level).slug, data=bundle)
    for sco in ("cryptocurrency-wallet", "domain-name", "email-addr", "file", "ipv4-addr", "ipv6-addr", "url"):
        assert f"{sco}=" in result.stdout


def test_graph_contents(client):
    make_threat()
    objs = by_type(get_bundle(client))
    counts = Counter({t: len(v) for t, v in objs.items()})
    assert counts["marking-definition"] == counts["identity"] == counts["report"] == 1
    assert counts["threat-actor"] == counts["malware"] == counts["tool"] == counts["vulnerability"] == 1
    assert counts["attack-pattern"] == 2
    assert counts["indicator"] == 15  # 14 of every type and awkward values + 1 injection; no false positive
    assert "benign.example.com" not in {i["name"] for i in objs["indicator"]}
    pending = [i for i in objs["indicator"] if i["indicator_types"] == ["unknown"]]
    assert len(pending) == 3 and all("confidence" not in i and i["labels"] == ["pending-review"] for i in pending)
    assert {i["confidence"] for i in objs["indicator"] if "confidence" in i} == {85, 50, 15}

    malware = objs["malware"][0]
    assert malware["is_family"] is True and malware["name"] == "AgentTesla"
    assert objs["threat-actor"][0]["aliases"] == ["Hidden Cobra"]
    technique = next(p for p in objs["attack-pattern"] if p["name"] == "Spearphishing Attachment")
    assert technique["external_references"][0]["source_name"] == "mitre-attack"
    assert technique["external_references"][0]["external_id"] == "T1566.001"
    assert technique["kill_chain_phases"] == [{"kill_chain_name": "mitre-attack", "phase_name": "initial-access"}]
    assert objs["vulnerability"][0]["external_references"][0] == {
        "source_name": "cve", "external_id": "CVE-2021-44228", "url": "https://nvd.nist.gov/vuln/detail/CVE-2021-44228"}

    report = objs["report"][0]
    others = {o["id"] for o in everything(objs) if o["type"] not in ("report", "marking-definition", "identity")}
    assert set(report["object_refs"]) == others
    assert report["report_types"] == ["threat-report"] and report["name"] == "Lazarus targets banks"
    assert [r["url"] for r in report["external_references"][1:]] == [
        "https://news.example.org/0a1b2c3d/0", "https://news.example.org/0a1b2c3d/1"]

    identity = objs["identity"][0]
    for obj in everything(objs):
        if obj["type"] != "marking-definition":
            assert obj["object_marking_refs"] == [stix.marking_id(TLP.CLEAR)], obj["id"]
        if obj["type"] not in ("marking-definition", "identity"):
            assert obj["created_by_ref"] == identity["id"]


def test_relationship_types(client):
    make_threat()
    objs = by_type(get_bundle(client))
    type_of = {o["id"]: o["type"] for o in everything(objs)}
    seen = Counter((type_of[r["source_ref"]], r["relationship_type"], type_of[r["target_ref"]])
                   for r in objs["relationship"])
    assert seen == {
        ("indicator", "indicates", "malware"): 15, ("indicator", "indicates", "tool"): 15,
        ("threat-actor", "uses", "malware"): 1, ("threat-actor", "uses", "tool"): 1,
        ("threat-actor", "uses", "attack-pattern"): 2, ("threat-actor", "targets", "vulnerability"): 1,
    }


def test_relationships_without_an_actor(client):
    make_threat(actor=False)
    objs = by_type(get_bundle(client))
    type_of = {o["id"]: o["type"] for o in everything(objs)}
    seen = {(type_of[r["source_ref"]], r["relationship_type"], type_of[r["target_ref"]])
            for r in objs["relationship"]}
    assert seen == {("indicator", "indicates", "malware"), ("indicator", "indicates", "tool"),
                    ("malware", "uses", "attack-pattern"), ("malware", "exploits", "vulnerability")}


def test_ids_are_the_same_across_two_downloads(client):
    make_threat()
    first, second = get_bundle(client), get_bundle(client)
    assert first == second  # bundle id included: same content, same bytes
    assert len({o["id"] for o in first["objects"]}) == len(first["objects"])


def test_modified_moves_only_with_the_object(client):
    threat = make_threat()
    before = {o["id"]: o for o in get_bundle(client)["objects"]}
    ioc = IOC.objects.get(value="o'brien@evil.example.com")
    ioc.confidence = "low"
    ioc.save()
    after = {o["id"]: o for o in get_bundle(client)["objects"]}
    assert before.keys() == after.keys()
    changed = {i for i in before if before[i] != after[i]}
    assert changed == {stix.indicator_id("email", ioc.value)}
    assert after[stix.indicator_id("email", ioc.value)]["modified"] > before[stix.indicator_id("email", ioc.value)][
        "modified"]

    threat.title = "Lazarus targets banks again"
    threat.updated_at = timezone.now()
    threat.save()
    report = next(o for o in get_bundle(client)["objects"] if o["type"] == "report")
    assert report["modified"] > next(o for o in before.values() if o["type"] == "report")["modified"]


def test_stricter_tlp_is_honoured(client):
    make_threat(TLP.GREEN)
    client.force_login(_staff())
    bundle = get_bundle(client, tlp="amber+strict")
    refs = {tuple(o.get("object_marking_refs", ())) for o in bundle["objects"] if o["type"] != "marking-definition"}
    assert refs == {(stix.marking_id(TLP.AMBER_STRICT),)}
    assert [o["name"] for o in bundle["objects"] if o["type"] == "marking-definition"] == ["TLP:AMBER+STRICT"]
    assert client.get(URL, {"tlp": "green"}).status_code == 200  # the same level is fine


def test_laxer_tlp_is_a_400_saying_why(client):
    make_threat(TLP.AMBER)
    client.force_login(_staff())
    response = client.get(URL, {"tlp": "clear"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_parameter" and "TLP:AMBER" in body["detail"] and "never laxer" in body["detail"]
    assert "tlp" in body["errors"]


def test_unknown_tlp_is_a_400(client):
    make_threat()
    body = client.get(URL, {"tlp": "purple"}).json()
    assert body["error"] == "invalid_parameter" and "amber+strict" in body["detail"]


def test_status_filter_and_formats(client):
    make_threat()
    confirmed = get_bundle(client, status="confirmed")
    assert all(o["indicator_types"] == ["malicious-activity"] for o in confirmed["objects"] if o["type"] == "indicator")
    assert client.get(URL, {"status": "bogus"}).status_code == 400
    as_json = client.get(URL, HTTP_ACCEPT="application/json")
    assert as_json.status_code == 200 and as_json["Content-Type"] == "application/json"
    assert client.get(URL, HTTP_ACCEPT="application/stix+json;version=2.1")["Content-Type"] == stix.MEDIA_TYPE
    assert client.get(URL, {"format": "csv"}).status_code == 400


def test_effective_tlp():
    assert effective_tlp(TLP.GREEN, None) == TLP.GREEN
    assert effective_tlp(TLP.GREEN, TLP.RED) == TLP.RED
    with pytest.raises(ValueError, match="never laxer"):
        effective_tlp(TLP.RED, TLP.AMBER_STRICT)


def test_no_n_plus_one(django_assert_num_queries):
    make_threat()
    with django_assert_num_queries(8):
        graph = load_threat_graph("0a1b2c3d", TLP.RED)
    assert len(graph.iocs) == 15


def _staff():
    from django.contrib.auth import get_user_model
    return get_user_model().objects.create_user("staffer", is_staff=True)


@pytest.mark.shared
def test_an_empty_threat_is_still_a_valid_bundle(client):
    from threats.models import Threat
    Threat.objects.create(public_id="0e0e0e0e", title="Nothing known yet", tlp=TLP.CLEAR)
    response = client.get("/api/threats/0e0e0e0e/stix")
    bundle = json.loads(response.content)
    report = next(o for o in bundle["objects"] if o["type"] == "report")
    assert report["object_refs"] == [stix.publisher_identity_id()]  # a report needs at least one ref
    assert_valid("validate_stix.py", "--expect-tlp", "clear", data=bundle)
