"""Account pages: sign in and out, tier, feed token reset (shown once), API keys create (shown once) and revoke."""

import pytest

from apikeys.authentication import APIKeyAuthentication  # noqa: F401 - the key must authenticate below
from apikeys.models import APIKey, FeedToken
from apikeys.tiers import Tier
from tests.access import make_user
from tests.scenario import fresh_cache  # noqa: F401
from tests.threat_fixtures import roomy_rate_limits  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache", "roomy_rate_limits")]


def secret_in(html: str, block: str) -> str:
    return html.split(f'id="{block}"', 1)[1].split("<code>", 1)[1].split("</code>", 1)[0]


def test_sign_in_and_out_with_csrf(db):
    from django.test import Client

    make_user("alice", Tier.RESEARCHER)
    browser = Client(enforce_csrf_checks=True)
    assert browser.get("/account/").url.startswith("/login?next=/account/")
    page = browser.get("/login")
    token = page.cookies["csrftoken"].value
    assert browser.post("/login", {"username": "alice", "password": "wrong", "csrfmiddlewaretoken": token}
                        ).status_code == 200
    done = browser.post("/login", {"username": "alice", "password": "pw-alice", "csrfmiddlewaretoken": token,
                                   "next": "/account/"})
    assert done.status_code == 302 and done.url == "/account/"
    html = browser.get("/account/").content.decode()
    assert '<dd id="tier">Researcher</dd>' in html
    assert browser.post("/account/feed-token").status_code == 403  # no CSRF token: refused
    assert browser.post("/logout", {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value}).status_code == 302
    assert browser.get("/account/").status_code == 302


def test_a_researcher_resets_the_feed_token_once_and_it_works(client):
    user = make_user("rita", Tier.RESEARCHER)
    client.force_login(user)
    first = secret_in(client.post("/account/feed-token").content.decode(), "new-token")
    second_page = client.post("/account/feed-token")
    second = secret_in(second_page.content.decode(), "new-token")
    assert first != second and second.startswith("tcf_")
    assert "no-store" in second_page["Cache-Control"]
    assert FeedToken.objects.get(user=user).prefix in client.get("/account/").content.decode()
    assert second not in client.get("/account/").content.decode()  # never shown again
    client.logout()
    assert client.get("/api/iocs/feed", {"token": second}).status_code == 200
    assert client.get("/api/iocs/feed", {"token": first}).status_code == 401


def test_a_public_user_sees_the_tier_but_no_token_or_key_forms(client):
    client.force_login(make_user("paul", Tier.PUBLIC))
    html = client.get("/account/").content.decode()
    assert '<dd id="tier">Public</dd>' in html and 'id="reset-token"' not in html and 'id="create-key"' not in html
    assert client.post("/account/feed-token").status_code == 403
    assert client.post("/account/keys", {"scopes": ["iocs:read"]}).status_code == 403


def test_a_researcher_cannot_create_keys(client):
    client.force_login(make_user("rex", Tier.RESEARCHER))
    assert 'id="create-key"' not in client.get("/account/").content.decode()
    assert client.post("/account/keys", {"scopes": ["iocs:read"]}).status_code == 403
    assert APIKey.objects.count() == 0


def test_business_creates_a_key_shown_once_and_revokes_it(client):
    user = make_user("bea", Tier.BUSINESS)
    client.force_login(user)
    page = client.post("/account/keys", {"name": "SIEM", "scopes": ["iocs:read", "threats:read"], "expires": "30d"})
    assert page.status_code == 200
    key = secret_in(page.content.decode(), "new-key")
    stored = APIKey.objects.get(user=user)
    assert key.startswith("tc_") and stored.scopes == ["iocs:read", "threats:read"] and stored.expires_at
    assert key not in client.get("/account/").content.decode()
    client.logout()
    assert client.get("/api/public/v1/iocs/feed", headers={"X-API-Key": key}).status_code == 200
    client.force_login(user)
    assert client.post(f"/account/keys/{stored.prefix}/revoke").status_code == 302
    client.logout()
    assert client.get("/api/public/v1/iocs/feed", headers={"X-API-Key": key}).status_code == 401


def test_invalid_key_requests_are_400_with_the_reason(client):
    client.force_login(make_user("bob", Tier.BUSINESS))
    response = client.post("/account/keys", {"name": "x", "scopes": ["root"]})
    assert response.status_code == 400 and "unknown scope" in response.content.decode()
    assert client.post("/account/keys", {"scopes": ["iocs:read"], "expires": "yesterday"}).status_code == 400
    assert client.post("/account/keys", {"scopes": ["iocs:read"], "allowed_networks": "not-a-net"}).status_code == 400


def test_nobody_revokes_someone_elses_key(client):
    owner = make_user("own", Tier.BUSINESS)
    key, _ = APIKey.issue(owner, scopes=["iocs:read"])
    client.force_login(make_user("thief", Tier.BUSINESS))
    assert client.post(f"/account/keys/{key.prefix}/revoke").status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None
