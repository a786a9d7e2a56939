"""``objects/``, ``objects/{id}/``, ``versions/`` and ``manifest/`` of the indicator collections, and
every filter: ``added_after`` (exclusive), ``match[id]``, ``match[type]``, ``match[version]``,
``match[spec_version]``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apikeys.tlp import TLP
from iocs.models import IOC
from tests.feeds_helpers import make_ioc
from tests.taxii_helpers import collection_url, walk
from tests.threat_fixtures import make_threat
from threats import stix
from threats.taxii.protocol import parse_time

pytestmark = pytest.mark.django_db
OBJECTS = collection_url("indicators")


def objects(caller, client, params=None, url=OBJECTS) -> list[dict]:
    return [obj for page in walk(caller, client, url, params, limit=100) for obj in page["objects"]]


def by_type(objs: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for obj in objs:
        out.setdefault(obj["type"], []).append(obj)
    return out


@pytest.fixture
def iocs(db):
    made = {
        "clear": make_ioc("clear.example.com"),
        "green": make_ioc("green.example.com", tlp=TLP.GREEN, confidence="low"),
        "amber": make_ioc("amber.example.com", tlp=TLP.AMBER),
        "pending": make_ioc("pending.example.com", status="pending"),
        "fp": make_ioc("fp.example.com", status="false_positive"),
        "ip": make_ioc("198.51.100.7", "ipv4", confidence="medium"),
    }
    return made


def test_only_confirmed_iocs_up_to_the_clearance(client, callers, iocs):
    got = by_type(objects(callers["researcher"], client))
    assert {i["name"] for i in got["indicator"]} == {"clear.example.com", "green.example.com", "198.51.100.7"}
    assert [m["name"] for m in got["marking-definition"]] == ["TLP:CLEAR", "TLP:GREEN"]
    assert [i["id"] for i in got["identity"]] == [stix.publisher_identity_id()]
    staff = by_type(objects(callers["staff"], client))
    assert {i["name"] for i in staff["indicator"]} == {"clear.example.com", "green.example.com", "198.51.100.7",
                                                       "amber.example.com"}
    assert len(staff["marking-definition"]) == 5


def test_indicators_come_from_the_shared_builder(client, callers, iocs):
    got = {i["name"]: i for i in by_type(objects(callers["researcher"], client))["indicator"]}
    for key in ("clear", "green", "ip"):
        ioc = IOC.objects.filter(pk=iocs[key].pk).values(*stix.INDICATOR_FIELDS, "tlp").get()
        assert got[ioc["value"]] == stix.indicator(ioc, marking_id=stix.marking_id(ioc["tlp"]))
    assert got["green.example.com"]["object_marking_refs"] == [stix.marking_id(TLP.GREEN)]
    assert got["green.example.com"]["confidence"] == 15


def test_same_ids_as_the_threat_bundle(client, callers):
    make_threat(TLP.CLEAR)
    bundle = client.get("/api/threats/0a1b2c3d/stix").json()
    confirmed = {o["id"]: o for o in bundle["objects"]
                 if o["type"] == "indicator" and o["indicator_types"] == ["malicious-activity"]}
    taxii = {o["id"]: o for o in objects(callers["researcher"], client) if o["type"] == "indicator"}
    assert set(taxii) == set(confirmed) and len(taxii) == 12  # 15 listed, 3 of them pending
    assert all(taxii[i] == confirmed[i] for i in taxii)


def test_match_type_id_spec_version(client, callers, iocs):
    researcher = callers["researcher"]
    only = objects(researcher, client, {"match[type]": "indicator"})
    assert {o["type"] for o in only} == {"indicator"} and len(only) == 3
    heads = objects(researcher, client, {"match[type]": "identity,marking-definition"})
    assert sorted(o["type"] for o in heads) == ["identity", "marking-definition", "marking-definition"]
    assert objects(researcher, client, {"match[type]": "malware"}) == []
    target = stix.indicator_id("domain", "green.example.com")
    amber = stix.indicator_id("domain", "amber.example.com")
    found = objects(researcher, client, {"match[id]": f"{target},{amber},{stix.publisher_identity_id()}"})
    assert {o["id"] for o in found} == {target, stix.publisher_identity_id()}  # amber: above the clearance
    assert objects(researcher, client, {"match[spec_version]": "2.0"}) == []
    assert len(objects(researcher, client, {"match[spec_version]": "2.0,2.1"})) == 6


def test_match_version(client, callers, iocs):
    researcher = callers["researcher"]
    target = stix.indicator_id("domain", "clear.example.com")
    current = objects(researcher, client, {"match[id]": target})[0]["modified"]
    for version in ("last", "first", "all", current, f"2001-01-01T00:00:00.000Z,{current}"):
        assert [o["id"] for o in objects(researcher, client, {"match[id]": target, "match[version]": version})] \
            == [target], version
    assert objects(researcher, client, {"match[id]": target, "match[version]": "2001-01-01T00:00:00.000Z"}) == []


def test_added_after_is_exclusive_and_follows_changes(client, callers, iocs):
    researcher = callers["researcher"]
    response = researcher.get(client, OBJECTS, {"limit": 1000})
    last = response["X-TAXII-Date-Added-Last"]
    newest = IOC.objects.filter(status="confirmed", tlp__lte=TLP.GREEN).latest("updated_at")
    assert parse_time(last) == newest.updated_at
    assert objects(researcher, client, {"added_after": last}) == []
    # A verdict change is a new version: it is added again, and only it.
    IOC.objects.filter(pk=iocs["pending"].pk).update(status="confirmed", confidence="high")
    again = objects(researcher, client, {"added_after": last})
    assert [o["name"] for o in again] == ["pending.example.com"]
    assert again[0]["modified"] > again[0]["created"]


def test_object_versions_and_manifest(client, callers, iocs):
    researcher = callers["researcher"]
    target = stix.indicator_id("ipv4", "198.51.100.7")
    one = researcher.get(client, collection_url("indicators", f"objects/{target}/"))
    assert one.status_code == 200
    assert [o["id"] for o in one.json()["objects"]] == [target] and one.json()["more"] is False
    assert one["X-TAXII-Date-Added-First"] == one["X-TAXII-Date-Added-Last"]
    versions = researcher.get(client, collection_url("indicators", f"objects/{target}/versions/")).json()
    assert versions == {"more": False, "versions": [one.json()["objects"][0]["modified"]]}
    # An object the caller may not see is as unknown as one that does not exist.
    amber = stix.indicator_id("domain", "amber.example.com")
    assert researcher.get(client, collection_url("indicators", f"objects/{amber}/")).status_code == 404
    assert callers["business"].get(client, collection_url("indicators", f"objects/{amber}/")).status_code == 200

    full = objects(researcher, client)
    manifest = [e for page in walk(researcher, client, collection_url("indicators", "manifest/"), limit=4)
                for e in page["objects"]]
    assert [e["id"] for e in manifest] == [o["id"] for o in full]
    assert [e["version"] for e in manifest] == [o.get("modified", o["created"]) for o in full]
    assert {e["media_type"] for e in manifest} == {"application/stix+json;version=2.1"}
    dates = [parse_time(e["date_added"]) for e in manifest]
    assert dates == sorted(dates)


def test_date_added_is_when_the_version_appeared(client, callers, iocs):
    moment = timezone.now() - timedelta(days=3)
    IOC.objects.filter(pk=iocs["clear"].pk).update(updated_at=moment)
    entry = next(e for e in walk(callers["researcher"], client, collection_url("indicators", "manifest/"))[0]["objects"]
                 if e["id"] == stix.indicator_id("domain", "clear.example.com"))
    assert parse_time(entry["date_added"]) == moment
    assert entry["date_added"].endswith("Z") and len(entry["date_added"]) == len("2024-05-01T10:00:00.123456Z")
