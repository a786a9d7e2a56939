"""Owner self-service under /api/account/: feed token reset, API keys listed, created, revoked."""

import pytest
from django.test import Client

from apikeys.models import APIKey, FeedToken
from apikeys.services import MAX_ACTIVE_KEYS_PER_USER
from apikeys.tiers import Tier
from tests.access import assert_matrix, make_callers, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def business(client):
    user = make_user("bob", Tier.BUSINESS)
    client.force_login(user)
    return user


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def test_overview(client, business):
    body = client.get("/api/account/").json()
    assert body["username"] == "bob" and body["tier"] == "business" and body["clearance"] == "amber"
    assert body["feed_token"] is None
    assert body["api_keys"]["allowed"] is True and body["api_keys"]["active"] == 0
    assert "iocs:read" in body["api_keys"]["scopes"]


def test_feed_token_reset_returns_the_token_once(client, business):
    response = post(client, "/api/account/feed-token/reset")
    assert response.status_code == 201
    token = response.json()["token"]
    assert FeedToken.verify(token).user == business
    info = client.get("/api/account/feed-token").json()["feed_token"]
    assert info["prefix"] == token[:12] and token not in str(info) and info["last_used_at"] is None
    second = post(client, "/api/account/feed-token/reset").json()["token"]
    assert FeedToken.verify(token) is None and FeedToken.verify(second).user == business
    assert second not in client.get("/api/account/").content.decode()


def test_create_list_and_revoke_a_key(client, business):
    response = post(client, "/api/account/keys", {
        "name": "SIEM", "scopes": ["iocs:read", "misp:read"], "expires": "90d", "tlp_ceiling": "green",
        "allowed_networks": ["192.0.2.0/24"],
    })
    assert response.status_code == 201, response.content
    created = response.json()
    plaintext = created["key"]
    key = APIKey.find(plaintext)
    assert key.user == business and created["prefix"] == key.prefix and created["state"] == "active"
    assert created["tlp_ceiling"] == "green" and created["allowed_networks"] == ["192.0.2.0/24"]
    assert created["expires_at"].endswith("Z")

    listing = client.get("/api/account/keys")
    assert plaintext not in listing.content.decode() and key.digest not in listing.content.decode()
    [row] = listing.json()["keys"]
    assert row["prefix"] == key.prefix and row["name"] == "SIEM" and row["last_used_at"] is None
    assert set(row) == {"prefix", "name", "scopes", "state", "tlp_ceiling", "allowed_networks", "created_at",
                        "expires_at", "revoked_at", "last_used_at"}

    revoked = post(client, f"/api/account/keys/{key.prefix}/revoke")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert APIKey.objects.get(pk=key.pk).is_revoked
    # revocation takes effect at once, on the very next request with the key
    anonymous = Client()
    response = anonymous.get("/api/account/feed-token", headers={"X-API-Key": plaintext})
    assert response.status_code == 401


def test_form_encoded_create(client, business):
    response = client.post("/api/account/keys", {"scopes": ["iocs:read", "threats:read"], "name": "form"})
    assert response.status_code == 201
    assert APIKey.find(response.json()["key"]).scopes == ["iocs:read", "threats:read"]


@pytest.mark.parametrize(("data", "field"), [
    ({}, "scopes"),
    ({"scopes": ["iocs:write"]}, "scopes"),
    ({"scopes": "iocs:read", "expires": "soon"}, "expires"),
    ({"scopes": "iocs:read", "expires": 30}, "expires"),
    ({"scopes": "iocs:read", "tlp_ceiling": "purple"}, "tlp_ceiling"),
    ({"scopes": "iocs:read", "allowed_networks": ["not-a-net"]}, "allowed_networks"),
    ({"scopes": "iocs:read", "allowed_networks": 5}, "allowed_networks"),
    ({"scopes": {"a": 1}}, "scopes"),
    ({"scopes": "iocs:read", "name": ["x"]}, "name"),
    ({"scopes": "iocs:read", "name": "x" * 101}, "name"),
    ({"scopes": "iocs:read", "owner": "eve"}, "owner"),
])
def test_bad_create_requests_are_400_naming_the_parameter(client, business, data, field):
    response = post(client, "/api/account/keys", data)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "invalid_parameter" and field in body["errors"], body
    assert not APIKey.objects.exists()


def test_malformed_json_is_a_400(client, business):
    response = client.post("/api/account/keys", "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["error"] == "parse_error"
    response = client.post("/api/account/keys", "[1, 2]", content_type="application/json")
    assert response.status_code == 400


def test_key_limit(client, business):
    for n in range(MAX_ACTIVE_KEYS_PER_USER):
        APIKey.issue(business, scopes=["iocs:read"], name=f"k{n}")
    response = post(client, "/api/account/keys", {"scopes": ["iocs:read"]})
    assert response.status_code == 400 and "revoke some" in response.json()["detail"]


def test_someone_elses_key_is_a_404(client, business):
    other = make_user("eve", Tier.BUSINESS)
    key, _ = APIKey.issue(other, scopes=["iocs:read"])
    assert post(client, f"/api/account/keys/{key.prefix}/revoke").status_code == 404
    assert post(client, "/api/account/keys/tc_nothere/revoke").status_code == 404
    assert not APIKey.objects.get(pk=key.pk).is_revoked
    assert client.get("/api/account/keys").json()["keys"] == []


def test_researchers_cannot_create_keys_but_can_reset_tokens(client):
    client.force_login(make_user("rita", Tier.RESEARCHER))
    response = post(client, "/api/account/keys", {"scopes": ["iocs:read"]})
    assert response.status_code == 403 and "Business" in response.json()["detail"]
    assert post(client, "/api/account/feed-token/reset").status_code == 201
    client.force_login(make_user("paul", Tier.PUBLIC))
    response = post(client, "/api/account/feed-token/reset")
    assert response.status_code == 403 and "Researcher" in response.json()["detail"]


def test_posts_need_the_csrf_token():
    user = make_user("bob", Tier.BUSINESS)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    response = browser.post("/api/account/feed-token/reset")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert not FeedToken.objects.exists()
    browser.get("/admin/login/")  # a page with a form sets the CSRF cookie, as the account pages will
    token = browser.cookies["csrftoken"].value
    response = browser.post("/api/account/feed-token/reset", headers={"X-CSRFToken": token})
    assert response.status_code == 201


def test_access_matrix():
    client = Client()
    callers = make_callers()
    signed_in_only = {"anonymous": 401, "researcher_token": 401, "researcher_session": 200, "business_key": 401,
                      "business_key_noscope": 401, "revoked_key": 401, "expired_key": 401, "wrong_key": 401,
                      "staff": 200}
    for url in ("/api/account/", "/api/account/feed-token", "/api/account/keys"):
        assert_matrix(client, callers, url, signed_in_only)
    assert_matrix(client, callers, "/api/account/feed-token/reset", {**signed_in_only, "researcher_session": 201,
                                                                     "staff": 201}, method="post")
    assert_matrix(client, callers, "/api/account/keys", {**signed_in_only, "researcher_session": 403, "staff": 201},
                  method="post", data={"scopes": ["iocs:read"]})
    business_key = APIKey.objects.get(name="all scopes")
    assert_matrix(client, callers, f"/api/account/keys/{business_key.prefix}/revoke",
                  {**signed_in_only, "researcher_session": 404, "staff": 404}, method="post")
    assert not APIKey.objects.get(pk=business_key.pk).is_revoked


def test_get_only_routes_refuse_other_methods(client, business):
    assert post(client, "/api/account/").status_code == 405
    assert client.get("/api/account/feed-token/reset").status_code == 405
    assert client.get("/api/account/keys/tc_x/revoke").status_code == 405
