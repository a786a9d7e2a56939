"""Callers and requests for the TAXII tests: a feed token sent as HTTP Basic (what TAXII clients send),
API keys, a staff session, and the TAXII Accept header on every request."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache

from apikeys.models import APIKey, FeedToken, Scope
from apikeys.tiers import Tier
from tests.access import make_user

TAXII = "application/taxii+json;version=2.1"
ROOT = "/taxii2/api/"


@dataclass
class TaxiiCaller:
    headers: dict[str, str] = field(default_factory=dict)
    user: object | None = None
    login: bool = False
    secret: str = ""  # the feed token or API key, for clients outside the test client

    def get(self, client, url: str, params: dict | None = None, accept: str | None = TAXII, **headers):
        if self.login:
            client.force_login(self.user)
        else:
            client.logout()
        sent = {**self.headers, **headers}
        if accept is not None:
            sent["Accept"] = accept
        return client.get(url, params or {}, headers=sent)

    def request(self, client, method: str, url: str, **headers):
        if self.login:
            client.force_login(self.user)
        else:
            client.logout()
        return getattr(client, method)(url, headers={"Accept": TAXII, **self.headers, **headers})


def basic(password: str, user: str = "taxii") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture
def callers(settings, db) -> dict[str, TaxiiCaller]:
    """anonymous, researcher (feed token via Basic), business (key, all scopes), business_iocs (key,
    iocs:read only), business_green (key with a TLP:GREEN ceiling), staff (session, clearance RED)."""
    settings.RATE_LIMITS = {group: dict.fromkeys(table, "100000/m") for group, table in settings.RATE_LIMITS.items()}
    cache.clear()
    researcher = make_user("researcher", Tier.RESEARCHER)
    business = make_user("business", Tier.BUSINESS)
    staff = make_user("staff", Tier.PUBLIC, is_staff=True)
    _, token = FeedToken.issue(researcher)
    _, key = APIKey.issue(business, scopes=list(Scope.values), name="all")
    _, iocs_key = APIKey.issue(business, scopes=[Scope.IOCS_READ], name="iocs")
    _, green_key = APIKey.issue(business, scopes=list(Scope.values), name="green", tlp_ceiling=1)
    return {
        "anonymous": TaxiiCaller(),
        "researcher": TaxiiCaller(basic(token), researcher, secret=token),
        "researcher_token": TaxiiCaller({"Authorization": f"Token {token}"}, researcher),
        "business": TaxiiCaller({"X-API-Key": key}, business),
        "business_iocs": TaxiiCaller({"X-API-Key": iocs_key}, business),
        "business_green": TaxiiCaller({"X-API-Key": green_key}, business),
        "staff": TaxiiCaller(user=staff, login=True),
    }


def collection_url(alias: str, suffix: str = "objects/") -> str:
    return f"{ROOT}collections/{alias}/{suffix}"


def walk(caller: TaxiiCaller, client, url: str, params: dict | None = None, *, limit: int = 10) -> list[dict]:
    """Every envelope of a paged GET, following ``next`` with the same filters."""
    params = {**(params or {}), "limit": limit}
    pages = []
    for _ in range(10_000):
        response = caller.get(client, url, params)
        assert response.status_code == 200, response.content
        assert response["Content-Type"] == TAXII
        page = response.json()
        pages.append(page)
        if not page["more"]:
            return pages
        params["next"] = page["next"]
    raise AssertionError("pagination never ends")
