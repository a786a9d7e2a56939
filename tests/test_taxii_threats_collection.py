"""The ``threats`` collection: every visible threat's full graph from the one STIX builder, each object
once (in the slot of the latest threat holding it), TLP-filtered, resumable with ``added_after``."""

from __future__ import annotations

from datetime import timedelta

import pytest

from apikeys.models import APIKey, Scope
from apikeys.tlp import TLP
from iocs.models import IOC
from tests.taxii_helpers import TaxiiCaller, collection_url, walk
from tests.threat_fixtures import T0, make_threat
from tests.validators import assert_valid
from threats import stix
from threats.models import Article, Malware, Sighting, Threat
from threats.stix.graph import report_id

pytestmark = pytest.mark.django_db
OBJECTS = collection_url("threats")


@pytest.fixture
def two_threats(db):
    """A (CLEAR, every IOC type) and B (GREEN, later): B shares A's malware, actor and three IOCs."""
    a = make_threat(TLP.CLEAR)
    b = make_threat(TLP.GREEN, public_id="1b2c3d4e", title="Second wave", with_iocs=False)
    b.malware.add(Malware.objects.create(name="QakBot"))
    article = Article.objects.create(url="https://news.example.org/b/1", title="B", threat=b)
    for ioc in IOC.objects.filter(status="confirmed").order_by("id")[:3]:
        Sighting.objects.create(ioc=ioc, article=article, threat=b)
    Threat.objects.filter(pk=b.pk).update(updated_at=T0 + timedelta(days=5))
    return a, b


def everything(caller, client, params=None, limit=7) -> list[dict]:
    return [o for page in walk(caller, client, OBJECTS, params, limit=limit) for o in page["objects"]]


def bundle(client, caller, public_id: str) -> dict[str, dict]:
    response = caller.get(client, f"/api/threats/{public_id}/stix", accept="application/stix+json;version=2.1")
    assert response.status_code == 200, response.content
    return {o["id"]: o for o in response.json()["objects"]}


def test_union_of_the_bundles_each_object_once_from_the_latest_threat(client, callers, two_threats):
    staff = callers["staff"]
    objs = everything(staff, client)
    ids = [o["id"] for o in objs]
    assert len(ids) == len(set(ids))
    a, b = bundle(client, staff, "0a1b2c3d"), bundle(client, staff, "1b2c3d4e")
    markings = {stix.marking_id(level) for level in TLP}  # every level up to the clearance
    assert set(ids) == set(a) | set(b) | markings
    tlp_of = {stix.indicator_id(t, v): tlp for t, v, tlp in IOC.objects.values_list("type", "value", "tlp")}
    for obj in objs:
        if obj["type"] == "marking-definition":
            continue
        if obj["type"] == "indicator":  # marked with the IOC's own TLP, as in the indicator collections
            assert obj == {**a[obj["id"]], "object_marking_refs": [stix.marking_id(tlp_of[obj["id"]])]}
        elif obj["type"] == "identity":
            assert obj == stix.publisher_identity(marking_id=stix.marking_id(TLP.CLEAR))
        else:  # in the slot of the latest threat holding it, as that threat's bundle has it
            assert obj == (b[obj["id"]] if obj["id"] in b else a[obj["id"]])
    assert sum(o["type"] == "report" for o in objs) == 2
    shared = [o for o in objs if o["id"] in a and o["id"] in b and o["type"] in ("malware", "threat-actor")]
    assert shared and all(o["object_marking_refs"] == [stix.marking_id(TLP.GREEN)] for o in shared)


def test_tlp_filtering(client, callers, two_threats):
    _, key = APIKey.issue(callers["business"].user, scopes=[Scope.THREATS_READ], name="clear", tlp_ceiling=TLP.CLEAR)
    clear_only = TaxiiCaller({"X-API-Key": key})
    objs = everything(clear_only, client)
    a = bundle(client, clear_only, "0a1b2c3d")
    assert {o["id"] for o in objs} == set(a)
    assert all(o == a[o["id"]] for o in objs)
    assert clear_only.get(client, OBJECTS, {"match[id]": report_id(two_threats[1].uuid)}).json()["objects"] == []


@pytest.mark.shared
def test_the_collection_validates(client, callers, two_threats):
    objs = everything(callers["researcher"], client, limit=50)
    assert_valid("validate_stix.py", data={"type": "bundle", "id": "bundle--8d2b1e4c-0f3a-4a5e-9b7c-2d6e8f1a3c5b",
                                           "objects": objs})


def test_added_after_returns_a_changed_threat_whole(client, callers, two_threats):
    researcher = callers["researcher"]
    full = researcher.get(client, OBJECTS, {"limit": 1000})
    last = full["X-TAXII-Date-Added-Last"]
    assert researcher.get(client, OBJECTS, {"added_after": last}).json()["objects"] == []
    two_threats[0].touch()  # A changed: it is now the latest and its whole graph is added again
    again = everything(researcher, client, {"added_after": last})
    assert {o["id"] for o in again} == {i for i, o in bundle(client, researcher, "0a1b2c3d").items()
                                        if o["type"] not in ("indicator", "identity", "marking-definition")}
    # A verdict on one of its IOCs is a new version of that indicator: added again, alone.
    last = researcher.get(client, OBJECTS, {"limit": 1000})["X-TAXII-Date-Added-Last"]
    pending = IOC.objects.filter(status="pending").first()
    IOC.objects.filter(pk=pending.pk).update(status="confirmed", confidence="medium")
    again = everything(researcher, client, {"added_after": last})
    assert [(o["id"], o["indicator_types"]) for o in again] == [
        (stix.indicator_id(pending.type, pending.value), ["malicious-activity"])]


def test_match_filters(client, callers, two_threats):
    researcher = callers["researcher"]
    objs = {o["id"]: o for o in everything(researcher, client)}
    reports = everything(researcher, client, {"match[type]": "report"})
    assert {r["id"] for r in reports} == {report_id(t.uuid) for t in two_threats}
    for kind in ("report", "indicator", "malware", "relationship", "identity", "attack-pattern", "marking-definition"):
        target = next(i for i, o in objs.items() if o["type"] == kind)
        assert everything(researcher, client, {"match[id]": target}) == [objs[target]], kind
        one = researcher.get(client, collection_url("threats", f"objects/{target}/"))
        assert one.status_code == 200 and one.json()["objects"] == [objs[target]]
    manifest = [e["id"] for p in walk(researcher, client, collection_url("threats", "manifest/"), limit=11)
                for e in p["objects"]]
    assert manifest == list(objs)


def test_link_changes_are_seen_at_once(client, callers, two_threats):
    researcher = callers["researcher"]

    def current() -> dict[str, dict]:
        listed = everything(researcher, client, limit=500)
        objs = {o["id"]: o for o in listed}
        assert len(objs) == len(listed)
        assert set(objs) == set(bundle(client, researcher, "0a1b2c3d")) | set(bundle(client, researcher, "1b2c3d4e"))
        return objs

    current()
    qakbot = Malware.objects.get(name="QakBot")
    qakbot.name = "Qbot"  # renamed in the admin: a new id, no threat touched
    qakbot.save()
    assert {o["name"] for o in current().values() if o["type"] == "malware"} == {"AgentTesla", "Qbot"}
    two_threats[0].malware.add(Malware.objects.create(name="Emotet"))  # linked without touch()
    assert {o["name"] for o in current().values() if o["type"] == "malware"} == {"AgentTesla", "Emotet", "Qbot"}
