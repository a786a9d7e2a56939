"""STIX 2.1 feed: a bundle of Indicators (shared STIX core), the publisher's Identity and TLP 2.0
markings, accepted by the OASIS validator; deltas carry revoked indicators and valid_until."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from apikeys.tlp import TLP
from iocs.models import IOC
from tests.access import make_callers
from tests.feeds_helpers import body, make_ioc
from tests.validators import assert_valid
from threats import stix

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_env")]


@pytest.fixture
def callers(db):
    return make_callers()


def bundle(client, caller, **params) -> dict:
    response = caller.get(client, "/api/iocs/feed", data={"format": "stix", **params})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/stix+json;version=2.1"
    return json.loads(body(response))


@pytest.mark.shared
def test_bundle_of_every_type_is_valid(client, callers):
    for value, ioc_type in [("evil.example.com", "domain"), ("198.51.100.7", "ipv4"), ("2001:db8::7", "ipv6"),
                            ("http://evil.example.com/it's", "url"), ("d41d8cd98f00b204e9800998ecf8427e", "md5"),
                            ("da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha1"), ("0" * 63 + "1", "sha256"),
                            ("phish@evil.example.com", "email"), ("0x" + "ab" * 20, "eth")]:
        make_ioc(value, ioc_type)
    make_ioc("amber.example.com", tlp=TLP.AMBER)
    make_ioc("red.example.com", tlp=TLP.RED)
    doc = bundle(client, callers["staff"])
    assert doc["type"] == "bundle" and "spec_version" not in doc
    indicators = {o["name"]: o for o in doc["objects"] if o["type"] == "indicator"}
    assert len(indicators) == 11
    assert indicators["evil.example.com"]["id"] == stix.indicator_id("domain", "evil.example.com")
    assert indicators["red.example.com"]["object_marking_refs"] == [stix.marking_id(TLP.RED)]
    assert indicators["evil.example.com"]["object_marking_refs"] == [stix.marking_id(TLP.CLEAR)]
    assert any(o["type"] == "identity" for o in doc["objects"])
    assert_valid("validate_stix.py", data=doc)


def test_markings_stop_at_the_callers_clearance(client, callers):
    make_ioc("green.example.com", tlp=TLP.GREEN)
    doc = bundle(client, callers["researcher_token"])
    markings = {o["id"] for o in doc["objects"] if o["type"] == "marking-definition"}
    assert markings == {stix.marking_id(TLP.CLEAR), stix.marking_id(TLP.GREEN)}


@pytest.mark.shared
def test_delta_revokes_and_expires(client, callers):
    two_hours_ago = timezone.now() - timedelta(hours=2)
    gone = make_ioc("gone.example.com")
    make_ioc("expiring.example.com", age_days=10 + 0.5 / 24)
    IOC.objects.update(updated_at=two_hours_ago)
    make_ioc("new.example.com")
    IOC.objects.filter(pk=gone.pk).update(status="false_positive", confidence="")
    since = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    doc = bundle(client, callers["researcher_token"], since=since, days="10")
    indicators = {o["name"]: o for o in doc["objects"] if o["type"] == "indicator"}
    assert set(indicators) == {"gone.example.com", "expiring.example.com", "new.example.com"}
    assert indicators["gone.example.com"]["revoked"] is True
    assert indicators["gone.example.com"]["id"] == stix.indicator_id("domain", "gone.example.com")
    assert indicators["gone.example.com"]["modified"] > stix.stix_time(two_hours_ago)
    assert "revoked" not in indicators["expiring.example.com"] and indicators["expiring.example.com"]["valid_until"]
    assert "revoked" not in indicators["new.example.com"]
    assert_valid("validate_stix.py", data=doc)


def test_stix_refuses_defang(client, callers):
    response = callers["researcher_token"].get(client, "/api/iocs/feed", data={"format": "stix", "defang": "true"})
    assert response.status_code == 400 and "defang" in response.json()["errors"]


def test_same_generation_same_bytes(client, callers):
    make_ioc("a.example.com")
    first = callers["researcher_token"].get(client, "/api/iocs/feed", data={"format": "stix"})
    second = callers["researcher_token"].get(client, "/api/iocs/feed", data={"format": "stix"})
    assert body(first) == body(second) and first["ETag"] == second["ETag"]
