"""Hostile bodies on the account API (session only, so outside the machine API's OpenAPI schema that
schemathesis covers): any JSON, or none, is a 201/200 or a 4xx JSON error, never a 500."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apikeys.models import APIKey
from apikeys.tiers import Tier
from tests.access import make_user

pytestmark = pytest.mark.django_db

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30),
                    st.sampled_from(["90d", "⁴d", "0d", "green", "amber+strict", "red", "iocs:read", "*",
                                     "10.0.0.0/8", "::/0", "2001:db8::/129", "-1h", "9" * 30]))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                         max_size=4), max_leaves=12)
KEY_BODY = st.one_of(JSON, st.fixed_dictionaries({}, optional={
    "name": SCALARS, "scopes": st.one_of(SCALARS, st.lists(SCALARS, max_size=4)), "expires": SCALARS,
    "tlp_ceiling": SCALARS, "allowed_networks": st.one_of(SCALARS, st.lists(SCALARS, max_size=3))}))


def check(response) -> None:
    assert response.status_code < 500, response.content[:300]
    if response.status_code >= 400:
        body = json.loads(response.content)
        assert body["error"] and body["detail"], body


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(body=KEY_BODY, raw=st.binary(max_size=40))
def test_any_body_on_the_account_endpoints_is_answered_without_a_500(body, raw):
    owner = get_user_model().objects.filter(username="hostile-owner").first()
    user = owner or make_user("hostile-owner", Tier.BUSINESS)
    client = Client()
    client.force_login(user)
    check(client.post("/api/account/keys", json.dumps(body), content_type="application/json"))
    check(client.post("/api/account/keys", raw, content_type="application/json"))
    check(client.post("/api/account/feed-token/reset", json.dumps(body), content_type="application/json"))
    check(client.post(f"/api/account/keys/{str(body)[:20]}/revoke", content_type="application/json"))
    APIKey.objects.filter(user=user).delete()  # stay under the per-user key cap
