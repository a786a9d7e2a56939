"""TAXII errors: a TAXII error message in the TAXII media type, with the status the spec asks for."""

from __future__ import annotations

import pytest

from tests.feeds_helpers import make_ioc
from tests.taxii_helpers import ROOT, TAXII, basic, collection_url

pytestmark = pytest.mark.django_db
OBJECTS = collection_url("indicators")


def assert_taxii_error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == TAXII
    body = response.json()
    assert body["http_status"] == str(status) and body["title"]
    return body


@pytest.mark.parametrize("accept", ["application/json", "text/html", "application/taxii+json;version=2.0",
                                    "application/stix+json;version=2.1", "application/taxii+json;q=0"])
def test_unacceptable_accept_is_406(client, callers, accept):
    for url in ("/taxii2/", ROOT, OBJECTS):
        assert_taxii_error(callers["researcher"].get(client, url, accept=accept), 406)


@pytest.mark.parametrize("accept", [None, "*/*", "application/*", "application/taxii+json",
                                    "application/taxii+json; version=2.1", "application/json, application/taxii+json"])
def test_acceptable_accept(client, callers, accept):
    response = callers["researcher"].get(client, OBJECTS, accept=accept)
    assert response.status_code == 200 and response["Content-Type"] == TAXII


def test_missing_or_wrong_credentials_are_401_with_a_basic_challenge(client, callers):
    for url in (ROOT, f"{ROOT}collections/", OBJECTS, collection_url("threats", "manifest/")):
        body = assert_taxii_error(callers["anonymous"].get(client, url), 401)
        assert "Researcher" in body["description"]
    response = callers["anonymous"].get(client, ROOT, **basic("tcf_not-a-real-token"))
    assert_taxii_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Basic")
    assert_taxii_error(callers["anonymous"].get(client, ROOT, HTTP_X_API_KEY="tc_wrong_key"), 401)


def test_unknown_collection_and_object_are_404(client, callers):
    assert_taxii_error(callers["researcher"].get(client, f"{ROOT}collections/nope/"), 404)
    assert_taxii_error(callers["researcher"].get(client, collection_url("00000000-0000-4000-8000-000000000000")), 404)
    missing = "indicator--00000000-0000-4000-8000-000000000000"
    assert_taxii_error(callers["researcher"].get(client, collection_url("indicators", f"objects/{missing}/")), 404)
    assert_taxii_error(callers["researcher"].get(client, collection_url("indicators", "objects/not-an-id/")), 404)
    assert_taxii_error(callers["researcher"].get(client, collection_url("threats", f"objects/{missing}/versions/")),
                       404)


def test_tlp_collection_above_clearance_is_403(client, callers):
    body = assert_taxii_error(callers["researcher"].get(client, collection_url("tlp-amber")), 403)
    assert "TLP:GREEN" in body["description"]
    assert callers["business"].get(client, collection_url("tlp-amber")).status_code == 200
    assert_taxii_error(callers["business_green"].get(client, collection_url("tlp-amber")), 403)


@pytest.mark.parametrize(("params", "name"), [
    ({"added_after": "yesterday"}, "added_after"),
    ({"added_after": "2024-05-01"}, "added_after"),
    ({"limit": "0"}, "limit"),
    ({"limit": "-5"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"next": "garbage"}, "next"),
    ({"match[type]": "Indicator!"}, "match[type]"),
    ({"match[type]": ""}, "match[type]"),
    ({"match[id]": "indicator--nope"}, "match[id]"),
    ({"match[version]": "latest"}, "match[version]"),
    ({"match[spec_version]": "two"}, "match[spec_version]"),
    ({"match[color]": "red"}, "parameter"),
])
def test_malformed_parameters_are_400(client, callers, params, name):
    for url in (OBJECTS, collection_url("threats"), collection_url("indicators", "manifest/")):
        body = assert_taxii_error(callers["researcher"].get(client, url, params), 400)
        assert name in body["title"].lower() or name in body["description"], body


def test_next_is_bound_to_its_query(client, callers):
    for n in range(8):
        make_ioc(f"bound-{n}.example.com")
    first = callers["researcher"].get(client, OBJECTS, {"limit": 2}).json()
    assert first["more"]
    again = callers["researcher"].get(client, OBJECTS, {"limit": 2, "next": first["next"]})
    assert again.status_code == 200
    other = {"limit": 2, "next": first["next"], "match[type]": "indicator"}
    assert "another query" in assert_taxii_error(callers["researcher"].get(client, OBJECTS, other), 400)["description"]
    elsewhere = callers["researcher"].get(client, collection_url("tlp-clear"), {"limit": 2, "next": first["next"]})
    assert_taxii_error(elsewhere, 400)
    tampered = first["next"][:-3] + ("AAA" if not first["next"].endswith("AAA") else "BBB")
    assert_taxii_error(callers["researcher"].get(client, OBJECTS, {"limit": 2, "next": tampered}), 400)


def test_writes_are_refused(client, callers):
    researcher = callers["researcher"]
    object_url = collection_url("indicators", "objects/indicator--00000000-0000-4000-8000-000000000000/")
    # A read-only collection: adding or deleting objects is forbidden (TAXII 2.1 sections 5.5 and 5.7).
    assert "read-only" in assert_taxii_error(researcher.request(client, "post", OBJECTS), 403)["description"]
    assert_taxii_error(researcher.request(client, "delete", object_url), 403)
    assert_taxii_error(researcher.request(client, "post", collection_url("nope")), 404)
    # Methods no TAXII endpoint has here.
    for method, url in (("put", OBJECTS), ("post", "/taxii2/"), ("post", f"{ROOT}collections/"),
                        ("delete", OBJECTS), ("patch", object_url), ("post", collection_url("threats", "manifest/")),
                        ("post", object_url)):
        response = researcher.request(client, method, url)
        assert_taxii_error(response, 405)
        assert "GET" in response["Allow"]


def test_rate_limited_polls_are_a_taxii_429(client, callers, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "misp": {**settings.RATE_LIMITS["misp"], "researcher": "2/m"}}
    researcher = callers["researcher"]
    assert [researcher.get(client, OBJECTS).status_code for _ in range(2)] == [200, 200]
    response = researcher.get(client, OBJECTS)
    assert_taxii_error(response, 429)
    assert int(response["Retry-After"]) >= 1 and response["X-RateLimit-Remaining"] == "0"


def test_unrouted_taxii_paths_are_taxii_errors(client, callers):
    for url in ("/taxii2/api/nope/", "/taxii2/other-root/", f"{ROOT}collections/indicators/objects/a/b/c/"):
        assert_taxii_error(callers["researcher"].get(client, url), 404)
