"""Rate limits per tier and per credential, counted by django-ratelimit in the shared cache.

The bucket is the credential (API key, feed token or session user) or, for anonymous callers,
the client IP. Rates come from ``settings.RATE_LIMITS[group][tier]``; views pick their group
(``rate_group``): heavy endpoints (exports, full feeds) have lower limits. When the cache is
down, django-ratelimit fails open (``RATELIMIT_FAIL_OPEN``): requests pass and nothing breaks.
"""

from __future__ import annotations

import time

from django.conf import settings
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle

from .clearance import tier_of
from .models import APIKey, FeedToken
from .network import client_ip
from .tiers import Tier


def rate_for(group: str, tier: Tier) -> str | None:
    table = settings.RATE_LIMITS.get(group) or settings.RATE_LIMITS["default"]
    return table.get(tier.label.lower())


def bucket_of(request) -> str:
    auth = getattr(request, "auth", None)
    if isinstance(auth, APIKey):
        return f"key:{auth.pk}"
    if isinstance(auth, FeedToken):
        return f"token:{auth.pk}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{client_ip(request)}"


class TieredRateThrottle(BaseThrottle):
    """A DRF throttle over django-ratelimit; leaves the usage on the request for the X-RateLimit-* headers."""

    def allow_request(self, request, view) -> bool:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff and request.auth is None:
            return True  # staff sessions (the admin, reviews) are not metered
        group = getattr(view, "rate_group", "default")
        rate = rate_for(group, tier_of(user))
        if not rate:
            return True
        bucket = bucket_of(request)
        usage = get_usage(request, group=f"tc.{group}", key=lambda _group, _request: bucket, rate=rate,
                          increment=True)
        if usage is None:  # rate limiting disabled
            return True
        request.META["tc.ratelimit"] = {
            "limit": usage["limit"],
            "remaining": max(0, usage["limit"] - usage["count"]),
            "reset": int(time.time()) + int(usage["time_left"]),
            "retry_after": max(1, int(usage["time_left"])),
        }
        self._wait = usage["time_left"]
        return not usage["should_limit"]

    def wait(self) -> float | None:
        return max(1, int(getattr(self, "_wait", 1)))


def ratelimit_headers(request) -> dict[str, str]:
    usage = request.META.get("tc.ratelimit")
    if not usage:
        return {}
    return {
        "X-RateLimit-Limit": str(usage["limit"]),
        "X-RateLimit-Remaining": str(usage["remaining"]),
        "X-RateLimit-Reset": str(usage["reset"]),
    }
