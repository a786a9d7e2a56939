"""TAXII 2.1 discovery, API root and collections: what each caller can reach, in the TAXII media type."""

from __future__ import annotations

import pytest

from tests.taxii_helpers import ROOT, TAXII
from threats.taxii.collections import find_collection

pytestmark = pytest.mark.django_db


def aliases(caller, client) -> dict[str, dict]:
    response = caller.get(client, f"{ROOT}collections/")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == TAXII
    return {c["alias"]: c for c in response.json()["collections"]}


def test_discovery_tells_anonymous_callers_how_to_authenticate(client, callers):
    response = callers["anonymous"].get(client, "/taxii2/")
    assert response.status_code == 200
    assert response["Content-Type"] == TAXII
    body = response.json()
    assert body["title"] and body["api_roots"] == [] and "default" not in body
    assert "feed token as password" in body["description"]


@pytest.mark.parametrize(("name", "clearance"), [("researcher", "TLP:GREEN"), ("business", "TLP:AMBER"),
                                                  ("staff", "TLP:RED")])
def test_discovery_lists_the_api_root_for_researchers_and_above(client, callers, name, clearance):
    body = callers[name].get(client, "/taxii2/").json()
    assert body["api_roots"] == [f"http://testserver{ROOT}"] == [body["default"]]
    assert clearance in body["description"]


def test_discovery_uses_site_url(client, callers, settings):
    settings.SITE_URL = "https://cti.example.org"
    assert callers["researcher"].get(client, "/taxii2/").json()["api_roots"] == ["https://cti.example.org/taxii2/api/"]


def test_api_root(client, callers):
    response = callers["researcher"].get(client, ROOT)
    assert response.status_code == 200 and response["Content-Type"] == TAXII
    body = response.json()
    assert body["versions"] == [TAXII]
    assert isinstance(body["max_content_length"], int) and body["title"]


def test_collections_follow_the_tlp_clearance(client, callers):
    assert set(aliases(callers["researcher"], client)) == {"indicators", "threats", "tlp-clear", "tlp-green"}
    assert set(aliases(callers["business"], client)) == {"indicators", "threats", "tlp-clear", "tlp-green",
                                                         "tlp-amber"}
    assert set(aliases(callers["business_green"], client)) == {"indicators", "threats", "tlp-clear", "tlp-green"}
    assert set(aliases(callers["staff"], client)) == {"indicators", "threats", "tlp-clear", "tlp-green", "tlp-amber",
                                                      "tlp-amber-strict", "tlp-red"}


def test_collection_resources_are_complete_and_read_only(client, callers):
    for alias, collection in aliases(callers["business"], client).items():
        assert collection["id"] == find_collection(alias).id
        assert collection["can_read"] is True and collection["can_write"] is False
        assert collection["media_types"] == ["application/stix+json;version=2.1"]
        assert collection["title"] and collection["description"]
        one = callers["business"].get(client, f"{ROOT}collections/{collection['id']}/")
        assert one.status_code == 200 and one.json() == collection


def test_api_key_scopes_decide_can_read(client, callers):
    listed = aliases(callers["business_iocs"], client)
    assert listed["threats"]["can_read"] is False and listed["indicators"]["can_read"] is True
    denied = callers["business_iocs"].get(client, f"{ROOT}collections/threats/objects/")
    assert denied.status_code == 403 and denied["Content-Type"] == TAXII
    assert "threats:read" in denied.json()["description"]
    assert "threats" not in callers["business_iocs"].get(client, "/taxii2/").json()["description"].split(": ")[-1]


def test_collection_ids_are_stable_per_deployment(settings):
    first = find_collection("indicators").id
    assert find_collection(first).alias == "indicators"
    settings.ORG_UUID = "0f0e0d0c-0b0a-4908-8706-050403020100"
    assert find_collection("indicators").id != first
