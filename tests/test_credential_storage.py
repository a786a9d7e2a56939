"""API keys and feed tokens are stored hashed, verifiable, and shown only once."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from apikeys.models import APIKey, FeedToken


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("bea")


def test_api_key_is_stored_hashed_and_verifiable(user):
    key, plaintext = APIKey.issue(user, scopes=["iocs:read"], name="siem")
    assert plaintext.startswith("tc_") and len(plaintext) >= 40
    stored = APIKey.objects.get(pk=key.pk)
    row_text = " ".join(str(v) for v in APIKey.objects.filter(pk=key.pk).values().first().values())
    assert plaintext not in row_text
    assert plaintext.startswith(stored.prefix) and len(stored.prefix) < len(plaintext) // 3
    assert stored.digest != plaintext and len(stored.digest) == 64
    assert APIKey.find(plaintext) == stored
    assert APIKey.find(plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")) is None
    assert APIKey.find("tc_nonsense") is None
    assert APIKey.find("") is None


def test_api_key_states(user):
    key, _ = APIKey.issue(user, scopes=["iocs:read", "threats:read"], expires_at=timezone.now() + timedelta(days=1))
    assert key.is_active
    key.expires_at = timezone.now() - timedelta(seconds=1)
    assert key.is_expired and not key.is_active
    key.expires_at = None
    key.revoke()
    assert key.is_revoked and not key.is_active
    with pytest.raises(ValueError):
        APIKey.issue(user, scopes=["iocs:write"])


def test_api_key_networks(user):
    key, _ = APIKey.issue(user, scopes=["iocs:read"], allowed_networks=["10.0.0.0/8", "2001:db8::/32"])
    assert key.allows_client("10.1.2.3") and key.allows_client("2001:db8::1")
    assert not key.allows_client("192.0.2.1") and not key.allows_client(None) and not key.allows_client("junk")


def test_feed_token_reset_invalidates_the_old_one(user):
    _, first = FeedToken.issue(user)
    assert FeedToken.verify(first).user == user
    _, second = FeedToken.issue(user)
    assert first != second
    assert FeedToken.verify(first) is None
    assert FeedToken.verify(second).user == user
    assert FeedToken.objects.filter(user=user).count() == 1
    assert second not in str(FeedToken.objects.filter(user=user).values().first())
