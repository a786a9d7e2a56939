"""Rate limits: per tier, per credential (per IP for the public), per endpoint group, on Redis too,
and failing open (no 500, no delay) when the cache is down."""

import os
import socket
import subprocess
import sys
import uuid
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import override_settings
from django.urls import path
from rest_framework.response import Response

from apikeys import throttling
from apikeys.api import TCAPIView
from apikeys.models import APIKey
from apikeys.tiers import Tier
from tests.access import make_callers
from tests.conftest import ROOT


class DefaultView(TCAPIView):
    def get(self, request):
        return Response({"ok": True})


class FeedView(DefaultView):
    rate_group = "feeds"


class ResearcherFeedView(FeedView):
    required_tier = Tier.RESEARCHER


urlpatterns = [
    path("t/default", DefaultView.as_view()),
    path("t/feed", FeedView.as_view()),
    path("t/researcher-feed", ResearcherFeedView.as_view()),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

# Hourly windows: a window that rolls over in the middle of a test would reset its counts.
LIMITS = {
    "default": {"public": "4/h", "researcher": "6/h", "business": "8/h", "enterprise": "10/h"},
    "feeds": {"public": "2/h", "researcher": "3/h", "business": "4/h", "enterprise": "5/h"},
}


@pytest.fixture(autouse=True)
def fresh_buckets():
    throttling.breaker.reset()
    caches["default"].clear()
    with override_settings(RATE_LIMITS=LIMITS):
        yield
    throttling.breaker.reset()


@pytest.fixture
def callers(db):
    return make_callers()


def statuses(caller, client, url, n, **extra) -> list[int]:
    return [caller.get(client, url, **extra).status_code for _ in range(n)]


def test_each_tier_has_its_limit(client, callers):
    assert statuses(callers["anonymous"], client, "/t/default", 5) == [200] * 4 + [429]
    assert statuses(callers["researcher_token"], client, "/t/default", 7) == [200] * 6 + [429]
    assert statuses(callers["business_key"], client, "/t/default", 9) == [200] * 8 + [429]


def test_each_credential_has_its_bucket(client, callers):
    assert statuses(callers["business_key"], client, "/t/default", 9)[-1] == 429
    # the same owner's other key, and the researcher's session beside their token, count apart
    assert callers["business_key_noscope"].get(client, "/t/default").status_code == 200
    assert statuses(callers["researcher_token"], client, "/t/default", 7)[-1] == 429
    assert callers["researcher_session"].get(client, "/t/default").status_code == 200


def test_public_callers_are_counted_per_ip_and_ipv6_per_64(client, callers):
    anonymous = callers["anonymous"]
    assert statuses(anonymous, client, "/t/default", 5, REMOTE_ADDR="198.51.100.7")[-1] == 429
    assert anonymous.get(client, "/t/default", REMOTE_ADDR="198.51.100.8").status_code == 200
    assert statuses(anonymous, client, "/t/default", 4, REMOTE_ADDR="2001:db8:1:2::1") == [200] * 4
    # another address of the same /64 shares the bucket; another /64 does not
    assert anonymous.get(client, "/t/default", REMOTE_ADDR="2001:db8:1:2:ffff::9").status_code == 429
    assert anonymous.get(client, "/t/default", REMOTE_ADDR="2001:db8:1:3::1").status_code == 200


def test_heavy_endpoints_have_their_own_lower_limits(client, callers):
    anonymous = callers["anonymous"]
    assert statuses(anonymous, client, "/t/feed", 3) == [200, 200, 429]
    assert anonymous.get(client, "/t/feed")["X-RateLimit-Limit"] == "2"
    # the feed bucket is apart from the default one
    assert anonymous.get(client, "/t/default").status_code == 200
    assert statuses(callers["researcher_token"], client, "/t/researcher-feed", 4) == [200] * 3 + [429]


def test_every_limited_response_has_the_headers_and_429_says_when(client, callers):
    caller = callers["researcher_token"]
    for expected_remaining in (5, 4, 3, 2, 1, 0):
        response = caller.get(client, "/t/default")
        assert response.status_code == 200
        assert response["X-RateLimit-Limit"] == "6"
        assert response["X-RateLimit-Remaining"] == str(expected_remaining)
        assert int(response["X-RateLimit-Reset"]) > 1_600_000_000
    response = caller.get(client, "/t/default")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    body = response.json()
    assert body["error"] == "throttled" and body["retry_after"] == int(response["Retry-After"])
    assert "retry in" in body["detail"]
    assert response["X-RateLimit-Remaining"] == "0" and response["Content-Type"] == "application/json"


def test_staff_sessions_are_not_metered(client, callers):
    assert statuses(callers["staff"], client, "/t/default", 6) == [200] * 6
    assert not callers["staff"].get(client, "/t/default").has_header("X-RateLimit-Limit")


def test_rates_come_from_the_environment():
    code = "from django.conf import settings as s; print(s.RATE_LIMITS['feeds']['public'], s.RATE_LIMITS['default'])"
    env = {**os.environ, "RATE_LIMIT_FEEDS_PUBLIC": "7/h", "RATE_LIMIT_DEFAULT_ENTERPRISE": "9/s", "DEBUG": "1"}
    out = subprocess.run([sys.executable, "manage.py", "shell", "--no-imports", "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.startswith("7/h ") and "'enterprise': '9/s'" in out


#
# Redis
#
def _redis_url() -> str | None:
    url = os.environ.get("TC_TEST_REDIS_URL") or settings.REDIS_URL
    if not url:
        return None
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port or 6379), timeout=1).close()
    except OSError:
        return None
    return url


def redis_cache(location: str, *, ignore_exceptions: bool = True) -> dict:
    """The production cache settings (see settings.py) at ``location``, under a prefix of this test's own."""
    return {"default": {
        "BACKEND": "django_redis.cache.RedisCache", "LOCATION": location, "KEY_PREFIX": f"tc-test-{uuid.uuid4().hex}",
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient", "IGNORE_EXCEPTIONS": ignore_exceptions,
                    "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
    }}


def test_limits_count_in_redis(client, callers):
    url = _redis_url()
    if url is None:
        pytest.skip("needs Redis (REDIS_URL or TC_TEST_REDIS_URL)")
    with override_settings(CACHES=redis_cache(url)):
        assert caches["default"].__class__.__name__ == "RedisCache"
        assert statuses(callers["anonymous"], client, "/t/default", 5) == [200] * 4 + [429]
        assert statuses(callers["business_key"], client, "/t/feed", 5) == [200] * 4 + [429]
        response = callers["business_key"].get(client, "/t/feed")
        assert response["X-RateLimit-Remaining"] == "0" and int(response["Retry-After"]) >= 1
        keys = caches["default"].keys("*")
        assert keys and all(k.startswith("rl:") for k in keys)
        caches["default"].clear()
    assert not throttling.breaker.is_open()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens there


@pytest.mark.parametrize("ignore_exceptions", [True, False])
def test_redis_down_fails_open(client, callers, ignore_exceptions):
    dead = f"redis://127.0.0.1:{_closed_port()}/2"
    with override_settings(CACHES=redis_cache(dead, ignore_exceptions=ignore_exceptions)):
        for name in ("anonymous", "researcher_token", "business_key"):
            for _ in range(12):  # past every limit of LIMITS["default"]
                response = callers[name].get(client, "/t/default")
                assert response.status_code == 200, (name, response.content)
                assert not response.has_header("X-RateLimit-Limit")
        assert throttling.breaker.is_open()  # later requests skip the dead cache instead of waiting on it
        # errors still work as usual
        assert callers["revoked_key"].get(client, "/t/default").status_code == 401
        key = APIKey.objects.get(name="all scopes")
        assert key.last_used_at is not None


def test_the_breaker_closes_again(client, callers, monkeypatch):
    throttling.breaker.trip("test")
    assert callers["anonymous"].get(client, "/t/default").status_code == 200
    assert not callers["anonymous"].get(client, "/t/default").has_header("X-RateLimit-Limit")
    monkeypatch.setattr(throttling, "FAIL_OPEN_SECONDS", 0.0)
    throttling.breaker.trip("test")
    assert callers["anonymous"].get(client, "/t/default")["X-RateLimit-Limit"] == "4"
