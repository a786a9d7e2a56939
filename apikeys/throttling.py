"""Rate limits per tier and per credential, counted in the shared cache (django-ratelimit's windows).

The bucket is the credential (API key, feed token or session user) or, for anonymous callers,
the client IP. Rates come from ``settings.RATE_LIMITS[group][tier]``; views pick their group
(``rate_group``): heavy endpoints (exports, full feeds) have lower limits.

Counting follows django-ratelimit's ``get_usage`` (fixed windows whose edges are offset per bucket,
keys under ``RATELIMIT_CACHE_PREFIX``), with fewer round trips: on Redis one ``EVALSHA`` (INCRBY,
and EXPIRE when it created the key; ``threatcluster.cache``), elsewhere an ``incr`` that falls back
to ``add`` for a window's first request; and not one per request. A worker reserves a lease of a
few hits in the shared counter (0.5% of the limit, at most 32; one at a time for small limits and
near a window's end) and spends it locally, so the counter is never exceeded and a busy bucket pays
the round trip once per lease. Every API request used to pay it, the lookup included: under wrk it
was ~19% of a lookup worker's time (py-spy), the largest single share.

When the cache is down, requests pass un-metered and nothing breaks (fail open): django-ratelimit
returns no usage (``RATELIMIT_FAIL_OPEN``) or the backend raises, and either way the throttle lets
the request through, logs once, and skips the cache for ``FAIL_OPEN_SECONDS`` so that a Redis that
times out does not add its timeout to every request.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import re
import threading
import time
import weakref
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import BaseThrottle

from .clearance import tier_of
from .models import APIKey, FeedToken
from .network import client_ip
from .tiers import Tier

logger = logging.getLogger(__name__)
FAIL_OPEN_SECONDS = 10.0
IPV6_BUCKET_PREFIX = 64  # one IPv6 customer gets a /64: counting single addresses would be no limit at all


class _Breaker:
    """Process-local: after a cache failure, rate limiting is skipped for a while."""

    def __init__(self) -> None:
        self._open_until = 0.0
        self._lock = threading.Lock()

    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    def trip(self, reason: object) -> None:
        with self._lock:
            if not self.is_open():
                logger.warning("rate limiting skipped for %.0f s: cache unavailable (%s)", FAIL_OPEN_SECONDS, reason)
            self._open_until = time.monotonic() + FAIL_OPEN_SECONDS

    def reset(self) -> None:
        self._open_until = 0.0


breaker = _Breaker()


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
    return f"ip:{_ip_bucket(client_ip(request))}"


@functools.lru_cache(maxsize=4096)  # a pure function of the address text, parsed by ipaddress on every request
def _ip_bucket(ip: str) -> str:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if addr.version == 6:
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{addr}/{IPV6_BUCKET_PREFIX}", strict=False))
    return str(addr)


_RATE = re.compile(r"^(\d+)/(\d*)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
EXPIRATION_FUDGE = 5  # seconds a window's key outlives the window (django-ratelimit's value)


def split_rate(rate: str) -> tuple[int, int]:
    """``"60/m"`` -> (60, 60); ``"100/5m"`` -> (100, 300), as django-ratelimit reads rates."""
    match = _RATE.match(rate.strip())
    if not match:
        raise ValueError(f"rate {rate!r}: use N/s, N/m, N/h, N/d (or N/<k><unit>)")
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * _UNIT_SECONDS[unit]


def window_end(bucket: str, period: int, now: int) -> int:
    """The end of the bucket's current window: fixed windows offset by a per-bucket jitter, so that
    all buckets do not reset in the same second (django-ratelimit's ``_get_window``)."""
    if period == 1:
        return now
    end = now - (now % period) + (zlib.crc32(bucket.encode()) % period)
    return end + period if end < now else end


LEASE_SHARE = 200  # a process reserves at most 1/200 of a limit at once (0.5%)...
MAX_LEASE = 32  # ...and never more than 32 hits
NEAR_END_LEASES = 16  # within 16 leases of the limit, hits are reserved one at a time
MAX_LEASES_KEPT = 10_000  # windows a process remembers per cache before forgetting them all


@dataclass
class _Lease:
    """Hits of one window reserved in the shared counter by this process and not yet spent."""

    ranges: list[list[int]]  # [next position, last position] of each reservation, oldest first
    total: int  # the counter after this process's latest reservation (every process's hits)


class _Leases:
    """Process-local leases, per cache object: Django gives each thread its own, and a test's or a
    reconfigured cache starts empty."""

    def __init__(self) -> None:
        self._by_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def spend(self, cache, key: str) -> tuple[int | None, int | None]:
        """(position of a reserved hit, None), or (None, the window's last known total) when none is left."""
        with self._lock:
            lease = self._by_cache.get(cache, {}).get(key)
            if lease is None:
                return None, None
            while lease.ranges:
                span = lease.ranges[0]
                if span[0] <= span[1]:
                    span[0] += 1
                    return span[0] - 1, None
                lease.ranges.pop(0)
            return None, lease.total

    def keep(self, cache, key: str, next_count: int, last_count: int, total: int) -> None:
        """Add a reservation's unspent positions (threads of one process may reserve at once)."""
        with self._lock:
            leases = self._by_cache.setdefault(cache, {})
            lease = leases.get(key)
            if lease is None:
                if len(leases) >= MAX_LEASES_KEPT:
                    leases.clear()  # past windows pile up; forgetting a lease only wastes its unspent hits
                lease = leases[key] = _Lease(ranges=[], total=total)
            if next_count <= last_count:
                lease.ranges.append([next_count, last_count])
            lease.total = max(lease.total, total)

    def forget(self) -> None:
        with self._lock:
            self._by_cache = weakref.WeakKeyDictionary()


leases = _Leases()


def lease_size(limit: int, known_total: int | None) -> int:
    """How many hits to reserve: one for small limits and near the end of a window, else 0.5% of the
    limit (at most 32). Unspent reserved hits of a process are the only cost: a caller spread over
    several processes may be refused up to ``processes x lease`` hits before its limit, never after."""
    size = min(MAX_LEASE, limit // LEASE_SHARE)
    if size <= 1:
        return 1
    if known_total is not None and limit - known_total < size * NEAR_END_LEASES:
        return 1
    return size


def _reserve(cache, key: str, amount: int, timeout: int) -> int | None:
    """Add ``amount`` to the window's shared counter; the new total (None: the cache gave no answer)."""
    counter = getattr(getattr(cache, "client", None), "count_in_window", None)  # Redis: one round trip
    if counter is not None:
        return counter(key, timeout, amount)
    try:
        return cache.incr(key, amount)
    except ValueError:  # no such key yet: this request opens the window
        return amount if cache.add(key, amount, timeout) else cache.incr(key, amount)


def count_hit(group: str, bucket: str, rate: str) -> dict | None:
    """Count one request in the bucket's window; None when the cache gave no answer (fail open).

    The shared counter is never exceeded and is not asked on every request: a process reserves a
    few hits at once (:func:`lease_size`; one at a time for small limits, so those count exactly as
    before) and spends them locally. Under load the counter's round trip (a fifth of a lookup's time
    in a worker) is paid once per lease. A window found full is remembered until it ends, so a
    caller hammering past its limit costs no round trip either.
    """
    limit, period = split_rate(rate)
    now = int(time.time())
    end = window_end(bucket, period, now)
    prefix = getattr(settings, "RATELIMIT_CACHE_PREFIX", "rl:")
    key = f"{prefix}{group}:{limit}/{period}s:{bucket}:{end}"
    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    usage = {"limit": limit, "time_left": end - now}
    count, known_total = leases.spend(cache, key)
    if count is not None:
        return {**usage, "count": count, "should_limit": False}
    if known_total is not None and known_total >= limit:
        return {**usage, "count": known_total + 1, "should_limit": True}
    amount = lease_size(limit, known_total)
    total = _reserve(cache, key, amount, period + EXPIRATION_FUDGE)
    if total is None or total is False:
        return None
    first = total - amount + 1  # this reservation holds the positions first..total
    last = min(total, limit)
    leases.keep(cache, key, first + 1, last, total)
    if first > limit:
        return {**usage, "count": total, "should_limit": True}
    return {**usage, "count": first, "should_limit": False}


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
        if not getattr(settings, "RATELIMIT_ENABLE", True) or breaker.is_open():
            return True
        bucket = bucket_of(request)
        try:
            usage = count_hit(f"tc.{group}", bucket, rate)
        except Exception as exc:  # any cache backend error: fail open, never a 500
            breaker.trip(exc)
            return True
        if usage is None or usage["time_left"] < 0:  # the cache answered nothing: fail open
            breaker.trip("no answer")
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
