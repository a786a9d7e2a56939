"""Tier and credential management in the admin: tier inline, API keys (secret shown once), revocation,
feed token resets, last use."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from apikeys.clearance import tier_of
from apikeys.models import APIKey, FeedToken
from apikeys.tiers import Tier
from apikeys.tlp import TLP
from tests.access import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("admin1", "a@example.org", "pw")
    client.force_login(user)
    return user


def user_form(user, **changes) -> dict:
    """The user change form as the admin page posts it, with the tier inline."""
    data = {
        "username": user.username, "first_name": "", "last_name": "", "email": user.email, "is_active": "on",
        "date_joined_0": "2025-01-01", "date_joined_1": "00:00:00",
        "profile-TOTAL_FORMS": "1", "profile-INITIAL_FORMS": "1", "profile-MIN_NUM_FORMS": "0",
        "profile-MAX_NUM_FORMS": "1", "profile-0-id": str(user.profile.pk), "profile-0-user": str(user.pk),
        "profile-0-tier": str(user.profile.tier),
        "feed_token-TOTAL_FORMS": "0", "feed_token-INITIAL_FORMS": "0", "feed_token-MIN_NUM_FORMS": "0",
        "feed_token-MAX_NUM_FORMS": "0",
        "api_keys-TOTAL_FORMS": "0", "api_keys-INITIAL_FORMS": "0", "api_keys-MIN_NUM_FORMS": "0",
        "api_keys-MAX_NUM_FORMS": "0",
    }
    data.update(changes)
    return data


def test_tier_is_set_inline_on_the_user_page(client, staff):
    user = make_user("carol", Tier.RESEARCHER)
    page = client.get(f"/admin/auth/user/{user.pk}/change/")
    assert page.status_code == 200 and b"profile-0-tier" in page.content
    response = client.post(f"/admin/auth/user/{user.pk}/change/", user_form(user, **{"profile-0-tier": "30"}))
    assert response.status_code == 302, response.context["adminform"].errors if response.context else ""
    user.refresh_from_db()
    assert tier_of(user) is Tier.ENTERPRISE
    listing = client.get("/admin/auth/user/", {"profile__tier__exact": "30"}).content.decode()
    assert "carol" in listing and "Enterprise" in listing


def test_user_page_shows_credentials_and_last_use(client, staff):
    user = make_user("dan", Tier.BUSINESS)
    key, _ = APIKey.issue(user, scopes=["iocs:read"], name="SOC")
    APIKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now() - timedelta(hours=2))
    FeedToken.issue(user)
    page = client.get(f"/admin/auth/user/{user.pk}/change/").content.decode()
    assert key.prefix in page and "SOC" in page and user.feed_token.prefix in page
    assert key.digest not in page and user.feed_token.digest not in page


def test_create_api_key_shows_the_secret_once(client, staff):
    user = make_user("erin", Tier.BUSINESS)
    expires = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    response = client.post("/admin/apikeys/apikey/add/", {
        "user": user.pk, "name": "SIEM", "scopes": ["iocs:read", "misp:read"],
        "expires_at_0": expires.strftime("%Y-%m-%d"), "expires_at_1": expires.strftime("%H:%M:%S"),
        "tlp_ceiling": str(TLP.GREEN), "allowed_networks": "192.0.2.0/24\n2001:db8::/48",
    })
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    plaintext = response.context["secrets"][0][2]
    assert plaintext.startswith("tc_") and plaintext in response.content.decode()
    key = APIKey.find(plaintext)
    assert key.user == user and key.scopes == ["iocs:read", "misp:read"] and key.tlp_ceiling == TLP.GREEN
    assert key.allowed_networks == ["192.0.2.0/24", "2001:db8::/48"] and key.expires_at == expires
    change = client.get(f"/admin/apikeys/apikey/{key.pk}/change/").content.decode()
    assert key.prefix in change and plaintext not in change and key.digest not in change


def test_create_api_key_refuses_lower_tiers_and_bad_input(client, staff):
    user = make_user("fay", Tier.RESEARCHER)
    response = client.post("/admin/apikeys/apikey/add/", {"user": user.pk, "scopes": ["iocs:read"],
                                                           "allowed_networks": "nonsense"})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Business tier" in str(errors["user"]) and "allowed_networks" in errors
    assert not APIKey.objects.exists()


def test_edit_scopes_expiry_ceiling_and_networks(client, staff):
    user = make_user("gus", Tier.BUSINESS)
    key, plaintext = APIKey.issue(user, scopes=["iocs:read"], allowed_networks=["10.0.0.0/8"])
    page = client.get(f"/admin/apikeys/apikey/{key.pk}/change/").content.decode()
    assert "10.0.0.0/8" in page
    response = client.post(f"/admin/apikeys/apikey/{key.pk}/change/", {
        "name": "renamed", "scopes": ["threats:read"], "expires_at_0": "2020-01-01", "expires_at_1": "00:00:00",
        "tlp_ceiling": str(TLP.CLEAR), "allowed_networks": "",
    })
    assert response.status_code == 302
    key.refresh_from_db()
    assert (key.name, key.scopes, key.tlp_ceiling, key.allowed_networks) == ("renamed", ["threats:read"], 0, [])
    assert key.is_expired and key.prefix == plaintext[:11] and APIKey.find(plaintext) == key


def test_revoke_action(client, staff):
    user = make_user("hal", Tier.BUSINESS)
    key, plaintext = APIKey.issue(user, scopes=["iocs:read"])
    other, _ = APIKey.issue(user, scopes=["iocs:read"])
    response = client.post("/admin/apikeys/apikey/", {"action": "revoke", "_selected_action": [key.pk],
                                                      "index": 0}, follow=True)
    assert b"1 key(s) revoked" in response.content
    assert APIKey.objects.get(pk=key.pk).is_revoked and not APIKey.objects.get(pk=other.pk).is_revoked
    assert APIKey.find(plaintext).is_revoked  # authentication reads this on every request: effective at once
    listing = client.get("/admin/apikeys/apikey/").content.decode()
    assert "revoked" in listing and "active" in listing


def test_reset_feed_token_from_the_user_list(client, staff):
    ivy, jon = make_user("ivy", Tier.RESEARCHER), make_user("jon", Tier.RESEARCHER)
    _, old = FeedToken.issue(ivy)
    response = client.post("/admin/auth/user/", {"action": "reset_feed_token", "_selected_action": [ivy.pk, jon.pk],
                                                 "index": 0})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    shown = {owner: secret for owner, _label, secret in response.context["secrets"]}
    assert set(shown) == {"ivy", "jon"}
    assert FeedToken.verify(old) is None
    assert FeedToken.verify(shown["ivy"]).user == ivy and FeedToken.verify(shown["jon"]).user == jon
    assert shown["ivy"] in response.content.decode()


def test_reset_feed_token_from_the_token_list(client, staff):
    kim = make_user("kim", Tier.RESEARCHER)
    token, old = FeedToken.issue(kim)
    response = client.post("/admin/apikeys/feedtoken/", {"action": "reset", "_selected_action": [token.pk],
                                                         "index": 0})
    assert response.status_code == 200
    [(owner, _label, new)] = response.context["secrets"]
    assert owner == "kim" and FeedToken.verify(new).user == kim and FeedToken.verify(old) is None
    listing = client.get("/admin/apikeys/feedtoken/").content.decode()
    assert FeedToken.objects.get(user=kim).prefix in listing and new not in listing
    assert client.get("/admin/apikeys/feedtoken/add/").status_code == 403
