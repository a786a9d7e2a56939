"""hashes.csv: "<md5 of the value as emitted>,<event uuid>" for every attribute of every listed event
(object attributes included, no header), exactly what PyMISP's feed generator writes."""

import hashlib
import json
from collections import Counter

import pytest
from pymisp import MISPEvent

from tests.access import make_callers
from tests.scenario import VALUES, fresh_cache, make_ioc, make_threat, sight, the_ioc  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


@pytest.fixture
def world(db):
    threats = []
    for k in range(3):
        threat = make_threat(f"Incident {k}", cves=["CVE-2023-4966"], actors=["FIN7"], articles=2)
        for ioc_type in VALUES:
            sight(the_ioc(ioc_type), threat)
        threats.append(threat)
    sight(make_ioc("domain", "benign.example.org", status="false_positive"), threats[0])
    return threats


def md5(value: str) -> str:
    return hashlib.md5(value.encode()).hexdigest()  # noqa: S324 - the feed format's hash


def test_one_line_per_attribute_value(client, world):
    response = client.get("/misp/hashes.csv")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode()
    assert text.endswith("\n") and not text.startswith("md5")
    lines = text.splitlines()
    expected = []
    for event_uuid in client.get("/misp/manifest.json").json():
        ev = client.get(f"/misp/{event_uuid}.json").json()["Event"]
        values = [a["value"] for a in ev["Attribute"]]
        values += [a["value"] for o in ev.get("Object", []) for a in o["Attribute"]]
        expected += [f"{md5(v)},{event_uuid}" for v in values]
    assert Counter(lines) == Counter(expected)
    assert f"{md5('198.51.100.7')},{world[0].uuid}" in lines
    assert f"{md5('ETH')},{world[0].uuid}" in lines  # object attributes count, as in PyMISP


def test_it_equals_pymisps_feed_generator(client, world):
    lines = client.get("/misp/hashes.csv").content.decode().splitlines()
    pymisp_lines = []
    for event_uuid in client.get("/misp/manifest.json").json():
        me = MISPEvent()
        me.load(client.get(f"/misp/{event_uuid}.json").content.decode())
        pymisp_lines += [f"{h},{event_uuid}" for h in me.to_feed(with_meta=True)["Event"]["_hashes"]]
    assert lines == pymisp_lines  # same lines, same order, duplicates included


def test_only_events_of_the_feed_are_hashed(client, world):
    secret = make_threat("Amber", tlp=2)
    sight(make_ioc("domain", "amber-only.example.net"), secret)
    public = client.get("/misp/hashes.csv").content.decode()
    assert str(secret.uuid) not in public
    business = make_callers()["business_key"].get(client, "/api/misp/hashes.csv").content.decode()
    assert f"{md5('amber-only.example.net')},{secret.uuid}" in business.splitlines()
    assert json.loads(client.get("/misp/manifest.json").content).keys() >= {str(t.uuid) for t in world}
