"""The callers of the access matrix, and a helper to call a route as one of them.

Every endpoint issue extends the matrix: ``assert_matrix(client, url, {"anonymous": 200, ...})``
with one expected status per caller in ``CALLERS``. Routes that change things are called with
``method="post"`` (and a JSON ``data`` body); the feed token then travels in the query string.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from apikeys.models import APIKey, FeedToken, Scope
from apikeys.tiers import Tier

CALLERS = (
    "anonymous",
    "researcher_token",
    "researcher_session",
    "business_key",
    "business_key_noscope",
    "revoked_key",
    "expired_key",
    "wrong_key",
    "staff",
)


@dataclass
class Caller:
    name: str
    user: object | None = None
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    login: bool = False

    def get(self, client: Client, url: str, **extra):
        if self.login:
            client.force_login(self.user)
        else:
            client.logout()
        url, _, query_string = url.partition("?")  # Django drops a URL's query string when data is given
        params = dict(parse_qsl(query_string))
        params.update(self.query)
        params.update(extra.pop("data", {}) or {})
        headers = {**self.headers, **(extra.pop("headers", None) or {})}
        return client.get(url, data=params or None, headers=headers, **extra)

    def post(self, client: Client, url: str, data=None, **extra):
        """POST ``data`` as JSON; the caller's query parameters (a feed token) go in the URL."""
        if self.login:
            client.force_login(self.user)
        else:
            client.logout()
        if self.query:
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(self.query)}"
        body = {} if data is None else data
        return client.post(url, data=body, content_type="application/json", headers=self.headers, **extra)


def make_user(username: str, tier: Tier, **kwargs):
    user = get_user_model().objects.create_user(username, password="pw-" + username, **kwargs)
    user.profile.tier = tier
    user.profile.save()
    return user


def make_callers() -> dict[str, Caller]:
    researcher = make_user("researcher", Tier.RESEARCHER)
    business = make_user("business", Tier.BUSINESS)
    staff = make_user("staff", Tier.PUBLIC, is_staff=True)
    _, token = FeedToken.issue(researcher)
    _, key = APIKey.issue(business, scopes=list(Scope.values), name="all scopes")
    _, noscope = APIKey.issue(business, scopes=[], name="no scopes")
    revoked_obj, revoked = APIKey.issue(business, scopes=list(Scope.values), name="revoked")
    revoked_obj.revoke()
    _, expired = APIKey.issue(business, scopes=list(Scope.values), name="expired",
                              expires_at=timezone.now() - timedelta(minutes=1))
    return {
        "anonymous": Caller("anonymous"),
        "researcher_token": Caller("researcher_token", researcher, query={"token": token}),
        "researcher_session": Caller("researcher_session", researcher, login=True),
        "business_key": Caller("business_key", business, headers={"X-API-Key": key}),
        "business_key_noscope": Caller("business_key_noscope", business, headers={"X-API-Key": noscope}),
        "revoked_key": Caller("revoked_key", business, headers={"X-API-Key": revoked}),
        "expired_key": Caller("expired_key", business, headers={"X-API-Key": expired}),
        "wrong_key": Caller("wrong_key", business, headers={"X-API-Key": key[:-4] + "AAAA"}),
        "staff": Caller("staff", staff, login=True),
    }


def assert_matrix(client: Client, callers: dict[str, Caller], url: str, expected: dict[str, int], *,
                  method: str = "get", data=None, post=None) -> None:
    """Call ``url`` as every caller and compare the statuses; errors must be JSON with a reason.

    With ``method="post"`` and ``data`` (or ``post=body``) the route is called with a JSON POST.
    """
    if post is not None:
        method, data = "post", post
    assert set(expected) == set(CALLERS), f"matrix for {url} must name every caller"
    seen = {}
    for name in CALLERS:
        caller = callers[name]
        response = caller.get(client, url) if method == "get" else caller.post(client, url, data)
        seen[name] = response.status_code
        if response.status_code in (401, 403):
            body = response.json()
            assert body["error"] and body["detail"], (url, name, body)
        if response.status_code == 401:
            assert response.has_header("WWW-Authenticate"), (url, name)
    assert seen == expected, f"{url}: got {seen}"
