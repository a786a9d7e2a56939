"""Deleted and merged threats reach TAXII pollers: the ``threats`` collection sends each one's Report
again, once, with ``revoked: true``, dated by the withdrawal, so that OpenCTI or Sentinel drop their
copy (a merge would otherwise leave its parts there as stale duplicates of the survivor)."""

from __future__ import annotations

import time

import pytest

from apikeys.tlp import TLP
from tests.taxii_helpers import collection_url, walk
from tests.threat_fixtures import make_threat
from tests.validators import assert_valid
from threats import services, stix
from threats.demo import flush_demo_data
from threats.models import Threat, ThreatWithdrawal
from threats.stix.graph import report_id

pytestmark = pytest.mark.django_db
OBJECTS = collection_url("threats")


def objects(caller, client, params=None, limit=3) -> list[dict]:
    return [o for page in walk(caller, client, OBJECTS, params, limit=limit) for o in page["objects"]]


def reports(caller, client, params=None) -> dict[str, list[dict]]:
    """Report objects by id, every listing of each (an id must appear once)."""
    out: dict[str, list[dict]] = {}
    for obj in objects(caller, client, params):
        if obj["type"] == "report":
            out.setdefault(obj["id"], []).append(obj)
    return out


def last_added(caller, client) -> str:
    response = caller.get(client, OBJECTS, {"limit": 1000})
    assert response.json().get("more") is not True
    return response["X-TAXII-Date-Added-Last"]


@pytest.fixture
def parts(db):
    """Two threats an analyst will merge: A at TLP:GREEN, B at TLP:AMBER (the survivor)."""
    a = make_threat(TLP.GREEN)
    b = make_threat(TLP.AMBER, public_id="1b2c3d4e", title="Second wave", with_iocs=False)
    return a, b


def test_a_merged_part_is_revoked_and_points_at_the_survivor(client, callers, parts):
    a, b = parts
    researcher = callers["business"]  # clearance AMBER: sees both
    before = reports(researcher, client)
    (active,) = before[report_id(a.uuid)]
    assert "revoked" not in active
    mark = last_added(researcher, client)
    time.sleep(0.01)

    services.merge_threats(b, [a])

    since = reports(researcher, client, {"added_after": mark})
    assert set(since) == {report_id(a.uuid), report_id(b.uuid)}  # the part, revoked; the survivor, grown
    (revoked,) = since[report_id(a.uuid)]
    assert revoked["revoked"] is True
    assert revoked["created"] == active["created"] and revoked["modified"] > active["modified"]
    assert revoked["name"] == active["name"] and revoked["object_marking_refs"] == active["object_marking_refs"]
    assert revoked["object_refs"] == [report_id(b.uuid)]
    assert "merged" in revoked["description"]
    whole = reports(researcher, client)
    assert [r.get("revoked") for r in whole[report_id(a.uuid)]] == [True]  # listed once, as it is now
    one = researcher.get(client, f"{OBJECTS}{report_id(a.uuid)}/").json()
    assert [o["revoked"] for o in one["objects"]] == [True]
    manifest = [e for page in walk(researcher, client, collection_url("threats", "manifest/"), limit=5)
                for e in page["objects"] if e["id"] == report_id(a.uuid)]
    assert [e["version"] for e in manifest] == [revoked["modified"]]
    assert_valid("validate_stix.py", data={"type": "bundle", "id": "bundle--5c0e9a34-7d2f-4b51-9e1a-6f3b8c2d4e70",
                                            "objects": objects(researcher, client)})


def test_a_caller_who_cannot_see_the_survivor_is_not_told_of_it(client, callers, parts):
    a, b = parts
    services.merge_threats(b, [a])  # the survivor is AMBER
    (revoked,) = reports(callers["researcher"], client)[report_id(a.uuid)]  # clearance GREEN
    assert revoked["revoked"] is True
    assert revoked["object_refs"] == [stix.publisher_identity_id()]
    assert report_id(b.uuid) not in reports(callers["researcher"], client)


def test_only_callers_who_could_see_a_deleted_threat_learn_of_it(client, callers, parts):
    _, b = parts
    b.delete()  # AMBER
    assert [r.get("revoked") for r in reports(callers["business"], client)[report_id(b.uuid)]] == [True]
    assert report_id(b.uuid) not in reports(callers["researcher"], client)  # GREEN: never saw it
    (gone,) = reports(callers["staff"], client)[report_id(b.uuid)]
    assert "deleted" in gone["description"] and gone["object_refs"] == [stix.publisher_identity_id()]


def test_filters_and_pages_see_each_withdrawal_once(client, callers, db):
    threats = [make_threat(TLP.CLEAR, public_id=f"0000000{n}", title=f"Threat {n}", actor=False, with_iocs=False)
               for n in range(5)]
    Threat.objects.filter(pk__in=[t.pk for t in threats[:4]]).delete()  # a queryset delete logs each
    assert ThreatWithdrawal.objects.count() == 4
    staff = callers["staff"]
    for limit in (1, 2, 7):
        listed = [o["id"] for page in walk(staff, client, OBJECTS, {"match[type]": "report"}, limit=limit)
                  for o in page["objects"]]
        assert sorted(listed) == sorted(report_id(t.uuid) for t in threats)
    assert not any(o.get("revoked") for o in objects(staff, client, {"match[type]": "indicator"}))
    wanted = report_id(threats[1].uuid)
    (only,) = objects(staff, client, {"match[id]": wanted})
    assert only["id"] == wanted and only["revoked"] is True
    assert objects(staff, client, {"match[spec_version]": "2.0"}) == []


def test_a_rolled_back_delete_and_the_demo_flush_log_nothing(parts):
    a, _ = parts
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        a.delete()
        raise RuntimeError("the delete is rolled back")
    assert not ThreatWithdrawal.objects.exists()
    flush_demo_data()
    assert not Threat.objects.exists() and not ThreatWithdrawal.objects.exists()


def test_a_threat_deleted_while_a_page_is_built_is_skipped_not_a_500(client, callers, parts, monkeypatch):
    """The page lists the threats, then loads each one's graph: a delete in between drops that slot."""
    from threats.query import ThreatNotFound
    from threats.taxii import threat_graphs

    a, b = parts
    real = threat_graphs.load_threat_graph

    def racing(public_id, clearance, **kwargs):
        if public_id == a.public_id:
            raise ThreatNotFound(public_id)  # deleted after the list was read
        return real(public_id, clearance, **kwargs)

    monkeypatch.setattr(threat_graphs, "load_threat_graph", racing)
    listed = reports(callers["business"], client)
    assert report_id(b.uuid) in listed and report_id(a.uuid) not in listed
