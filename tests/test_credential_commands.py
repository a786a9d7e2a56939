"""The operators' commands: set_tier, create_feed_token, create_api_key."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from apikeys.clearance import tier_of
from apikeys.models import APIKey, FeedToken
from apikeys.tiers import Tier
from apikeys.tlp import TLP

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


@pytest.fixture
def ada():
    return get_user_model().objects.create_user("ada")


def test_set_tier(ada):
    out, _ = run("set_tier", "ada", "Business")
    ada.refresh_from_db()
    assert tier_of(ada) is Tier.BUSINESS and "Business" in out
    run("set_tier", "ada", "researcher")
    ada.refresh_from_db()
    assert tier_of(ada) is Tier.RESEARCHER


def test_set_tier_create_and_errors(db):
    with pytest.raises(CommandError, match=r"unknown user 'nobody'.*--create"):
        run("set_tier", "nobody", "researcher")
    run("set_tier", "newbie", "enterprise", "--create")
    user = get_user_model().objects.get(username="newbie")
    assert tier_of(user) is Tier.ENTERPRISE and not user.has_usable_password()
    with pytest.raises(CommandError, match=r"unknown tier 'platinum'.*researcher"):
        run("set_tier", "newbie", "platinum")


def test_create_feed_token_prints_a_working_token(ada):
    run("set_tier", "ada", "researcher")
    out, err = run("create_feed_token", "ada")
    assert out.startswith("tcf_") and "\n" not in out and not err
    assert FeedToken.verify(out).user == ada
    again, _ = run("create_feed_token", "ada")
    assert FeedToken.verify(out) is None and FeedToken.verify(again).user == ada


def test_create_feed_token_warns_below_researcher_and_rejects_unknown_users(ada):
    out, err = run("create_feed_token", "ada")
    assert out.startswith("tcf_") and "set_tier ada researcher" in err
    with pytest.raises(CommandError, match="unknown user"):
        run("create_feed_token", "ghost")


def test_create_api_key_prints_it_once_with_every_option(ada):
    run("set_tier", "ada", "business")
    out, _ = run("create_api_key", "ada", "--scopes", "iocs:read,threats:read", "--expires", "30d",
                 "--name", "SIEM prod", "--tlp-ceiling", "green", "--networks", "192.0.2.0/24", "2001:db8::1")
    assert out.startswith("tc_")
    key = APIKey.find(out)
    assert key.user == ada and key.name == "SIEM prod"
    assert key.scopes == ["iocs:read", "threats:read"] and key.tlp_ceiling == TLP.GREEN
    assert key.allowed_networks == ["192.0.2.0/24", "2001:db8::1/128"]
    assert timedelta(days=29) < key.expires_at - timezone.now() <= timedelta(days=30)
    assert out not in str(APIKey.objects.filter(pk=key.pk).values().first())


def test_create_api_key_expiry_forms(ada):
    run("set_tier", "ada", "business")
    day = (timezone.now() + timedelta(days=400)).date()
    out, _ = run("create_api_key", "ada", "--scopes", "misp:read", "--expires", day.isoformat())
    assert APIKey.find(out).expires_at.isoformat() == f"{day.isoformat()}T00:00:00+00:00"
    out, _ = run("create_api_key", "ada", "--scopes", "misp:read", "--expires", "12h")
    assert timedelta(hours=11) < APIKey.find(out).expires_at - timezone.now() <= timedelta(hours=12)
    with pytest.raises(CommandError, match="more than 3650 days"):
        run("create_api_key", "ada", "--scopes", "misp:read", "--expires", "4000d")
    out, _ = run("create_api_key", "ada", "--scopes", "misp:read")
    assert APIKey.find(out).expires_at is None


@pytest.mark.parametrize(("args", "message"), [
    (["ghost", "--scopes", "iocs:read"], "unknown user 'ghost'"),
    (["ada", "--scopes", "iocs:write"], "unknown scope.*iocs:write"),
    (["ada", "--scopes", ","], "at least one scope"),
    (["ada", "--scopes", "iocs:read", "--expires", "yesterday"], "expiry 'yesterday'"),
    (["ada", "--scopes", "iocs:read", "--expires", "2001-01-01"], "in the past"),
    (["ada", "--scopes", "iocs:read", "--tlp-ceiling", "purple"], "TLP ceiling 'purple'"),
    (["ada", "--scopes", "iocs:read", "--networks", "10.0.0.300/8"], "not a network"),
])
def test_create_api_key_errors(ada, args, message):
    run("set_tier", "ada", "business")
    with pytest.raises(CommandError, match=message):
        run("create_api_key", *args)
    assert not APIKey.objects.exists()


def test_create_api_key_needs_business(ada):
    run("set_tier", "ada", "researcher")
    with pytest.raises(CommandError, match="Business tier or above; ada is Researcher"):
        run("create_api_key", "ada", "--scopes", "iocs:read")
