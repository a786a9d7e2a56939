"""Hostile input over every documented endpoint: schemathesis generates requests from ``/api/schema/``
(valid and invalid parameters, odd path ids, odd headers) and sends them to the WSGI app in-process.

Whatever it sends, the answer is never a 5xx, and every 4xx is a JSON body ``{"error": ..., "detail":
...}``. Each operation is tried anonymously and with an Enterprise caller's API key and feed token,
on a database holding a threat of every TLP, so that authorised code paths are fuzzed too.
"""

from __future__ import annotations

import gzip
import json

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from apikeys.models import APIKey, Scope
from apikeys.tiers import Tier
from apikeys.tlp import TLP
from tests.access import make_user
from tests.threat_fixtures import make_threat

MAX_EXAMPLES = 10


# Building the schema touches no database, so it is loaded once, at collection.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture
def keep_test_connection():
    """As Django's test client does: the WSGI handler must not close the test transaction's connection
    at the end of each request (``close_old_connections`` on request_started/finished)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(db, settings, keep_test_connection):
    """A threat at each TLP (with IOCs of every type) and a caller who may ask for everything."""
    settings.RATE_LIMITS = {group: dict.fromkeys(table, "1000000/m") for group, table in settings.RATE_LIMITS.items()}
    settings.MISP_FEED_CACHE_SECONDS = 0
    cache.clear()
    for n, tlp in enumerate((TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.RED)):
        make_threat(tlp, public_id=f"0a1b2c{n:02x}", title=f"Threat {n}", actor=n == 0, with_iocs=n == 0)
    _, key = APIKey.issue(make_user("fuzzer", Tier.ENTERPRISE), scopes=list(Scope.values), name="fuzz")
    return {"X-API-Key": key}


def check_error_is_json(response, case, *, authenticated: bool) -> None:
    """No 5xx; an error is JSON with an ``error`` code (MISP's own file names aside, every body the
    API sends for a 4xx is this envelope)."""
    status = response.status_code
    assert status < 500, f"{case.method} {case.formatted_path} -> {status}: {response.content[:500]!r}"
    if authenticated and _accepts_api_key(case):  # a valid key with every scope is never a 401
        assert status != 401, (case.formatted_path, response.content[:300])
    if status >= 400 and status != 405:
        headers = {name.lower(): value for name, value in response.headers.items()}
        content_type = (headers.get("content-type") or [""])[0]
        raw = response.content
        if (headers.get("content-encoding") or [""])[0] == "gzip":
            raw = gzip.decompress(raw)
        if case.formatted_path.startswith("/taxii2/"):
            # TAXII 2.1 has its own error resource and media type (spec section 3.6.1).
            assert content_type.startswith("application/taxii+json"), (case.formatted_path, status, content_type)
            body = json.loads(raw)
            assert isinstance(body, dict) and body.get("title") and body.get("http_status") == str(status), body
            return
        assert content_type.startswith("application/json"), (case.formatted_path, status, content_type)
        body = json.loads(raw)
        assert isinstance(body, dict) and body.get("error"), (case.formatted_path, status, body)


def _accepts_api_key(case) -> bool:
    """Whether the operation's documented security takes an API key (account endpoints take a session only)."""
    security = case.operation.definition.raw.get("security")
    return security is None or any("apiKey" in requirement for requirement in security)


def _call_as(case, credentials: dict[str, str]):
    """Send the case with these credentials instead of any the generator put in (it fills documented auth
    headers with arbitrary values, an empty ``X-API-Key`` included)."""
    ignored = {"x-api-key", "authorization", "cookie"}
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in ignored} | credentials
    return case.call()


@schema.parametrize()
@hypothesis_settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_input_gets_a_server_error_or_a_non_json_error(case, seeded):
    check_error_is_json(case.call(), case, authenticated=False)
    # then as an Enterprise caller whose API key has every scope
    check_error_is_json(_call_as(case, seeded), case, authenticated=True)
