"""Revoked and expired API keys and reset feed tokens stop working at once: on the very next request,
on every endpoint, also where the answer itself is cached (MISP files, feed artifacts) and with the
``If-None-Match`` of an answer given before (a 401, never a 304 or the cached bytes)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client

from apikeys.models import APIKey, FeedToken, Scope
from apikeys.tiers import Tier
from apikeys.tlp import TLP
from tests.access import make_user
from tests.scenario import make_ioc, make_threat, sight
from tests.threat_fixtures import roomy_rate_limits  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roomy_rate_limits", "feeds_env")]

KEY_URLS = ["/api/public/v1/iocs/feed?format=csv", "/api/public/v1/iocs/export?format=json",
            "/api/public/v1/threats/{threat}/stix", "/api/misp/manifest.json", "/api/misp/hashes.csv",
            "/api/iocs/lookup?value=c2.revoke-test.net"]
TOKEN_URLS = ["/api/iocs/feed?format=txt", "/api/iocs/export?format=csv", "/api/threats/{threat}/iocs",
              "/api/misp/manifest.json", "/api/misp/{uuid}.json", "/api/iocs/lookup?value=c2.revoke-test.net"]


@pytest.fixture
def threat():
    threat = make_threat("Revocation test campaign", tlp=TLP.CLEAR)
    sight(make_ioc("domain", "c2.revoke-test.net", tlp=TLP.CLEAR), threat)
    return threat


def urls(templates: list[str], threat) -> list[str]:
    return [t.format(threat=threat.public_id, uuid=threat.uuid) for t in templates]


def warm(client: Client, targets: list[str], headers: dict) -> dict[str, str]:
    """Every URL answers 200 twice (the second from the cache where there is one); their ETags."""
    etags = {}
    for url in targets:
        for _ in range(2):
            response = client.get(url, headers=headers)
            assert response.status_code == 200, (url, response.content[:200])
        etags[url] = response.get("ETag", "")
    return etags


def assert_refused(client: Client, etags: dict[str, str], headers: dict, reason: str) -> None:
    for url, etag in etags.items():
        for extra in ({}, {"If-None-Match": etag} if etag else {}):
            response = client.get(url, headers={**headers, **extra})
            assert response.status_code == 401, (url, extra, response.status_code)
            assert reason in json.loads(response.content)["detail"], (url, response.content)


def test_a_key_revoked_through_the_account_api_fails_on_the_next_request(client, threat):
    owner = make_user("revoker", Tier.BUSINESS)
    _, plaintext = APIKey.issue(owner, scopes=list(Scope.values), name="to revoke")
    headers = {"X-API-Key": plaintext}
    etags = warm(client, urls(KEY_URLS, threat), headers)
    session = Client()
    session.force_login(owner)
    prefix = APIKey.find(plaintext).prefix
    assert session.post(f"/api/account/keys/{prefix}/revoke", content_type="application/json").status_code == 200
    assert_refused(client, etags, headers, "revoked")


def test_a_key_fails_the_moment_it_expires(client, threat, clock):
    owner = make_user("expirer", Tier.BUSINESS)
    _, plaintext = APIKey.issue(owner, scopes=list(Scope.values), name="short",
                                expires_at=clock.now() + timedelta(minutes=5))
    headers = {"X-API-Key": plaintext}
    etags = warm(client, urls(KEY_URLS, threat), headers)
    clock.advance(minutes=5, seconds=1)
    assert_refused(client, etags, headers, "expired")


def test_a_reset_feed_token_fails_on_the_next_request_and_the_new_one_works(client, threat):
    owner = make_user("resetter", Tier.RESEARCHER)
    _, old = FeedToken.issue(owner)
    targets = urls(TOKEN_URLS, threat)
    etags = warm(client, targets, {"Authorization": f"Token {old}"})
    session = Client()
    session.force_login(owner)
    new = session.post("/api/account/feed-token/reset", content_type="application/json").json()["token"]
    assert_refused(client, etags, {"Authorization": f"Token {old}"}, "Invalid feed token")
    for url in targets:  # and in the query string, as MISP-less scripts send it
        sep = "&" if "?" in url else "?"
        assert client.get(f"{url}{sep}token={old}").status_code == 401, url
    warm(client, targets, {"Authorization": f"Token {new}"})
