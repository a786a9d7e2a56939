"""Counting a request costs at most one cache call once its window is open, none once it is full.

(Busy buckets with large limits cost one call per lease: ``test_rate_limit_leases.py``.)
"""

import uuid
from unittest import mock

import pytest
from django.core.cache import caches

from apikeys import throttling


@pytest.fixture
def cache():
    return caches["default"]  # buckets of their own below: nothing to clear, nobody else's counts touched


@pytest.fixture
def ip():
    return f"ip:test-{uuid.uuid4().hex}"


def on_redis(cache) -> bool:
    return hasattr(getattr(cache, "client", None), "count_in_window")


@pytest.fixture
def plain_cache(settings):
    """A cache without the Redis client's counter: the portable incr/add path."""
    settings.CACHES = {**settings.CACHES, "plain": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                                   "LOCATION": "rate-limit-round-trips"}}
    settings.RATELIMIT_USE_CACHE = "plain"
    return caches["plain"]


def test_a_window_is_opened_once_then_each_hit_is_one_increment(plain_cache, ip):
    cache = plain_cache
    assert not on_redis(cache)
    calls = []
    real_incr, real_add = cache.incr, cache.add
    with mock.patch.object(cache, "incr", side_effect=lambda *a, **k: calls.append("incr") or real_incr(*a, **k)), \
            mock.patch.object(cache, "add", side_effect=lambda *a, **k: calls.append("add") or real_add(*a, **k)):
        first = throttling.count_hit("tc.default", ip, "3/h")
        opened = list(calls)
        calls.clear()
        later = [throttling.count_hit("tc.default", ip, "3/h") for _ in range(4)]
    assert opened == ["incr", "add"]
    assert calls == ["incr"] * 2  # the window is known to be full after the third: no call for the rest
    assert [first["count"]] + [u["count"] for u in later] == [1, 2, 3, 4, 4]
    assert [u["should_limit"] for u in later] == [False, False, True, True]
    assert 0 <= later[-1]["time_left"] <= 3600


def test_on_redis_each_hit_is_one_command_and_the_window_expires(cache, ip):
    if not on_redis(cache):
        pytest.skip("needs REDIS_URL (the counter is the Redis client's)")
    from redis import Redis

    commands = []
    real = Redis.execute_command
    with mock.patch.object(Redis, "execute_command", autospec=True,
                           side_effect=lambda client, *a, **k: commands.append(a[0]) or real(client, *a, **k)), \
            mock.patch.object(cache, "incr", side_effect=AssertionError("incr")), \
            mock.patch.object(cache, "add", side_effect=AssertionError("add")):
        counts = [throttling.count_hit("tc.default", ip, "3/h")["count"] for _ in range(5)]
    assert counts == [1, 2, 3, 4, 4]
    # One command per hit until the window is full (the script is loaded once per client, the first
    # time it is missing); past the limit the process knows the window is full and asks nothing.
    assert [c for c in commands if c != "SCRIPT LOAD"] == ["EVALSHA"] * 3
    end = throttling.window_end(ip, 3600, int(throttling.time.time()))
    key = f"rl:tc.default:3/3600s:{ip}:{end}"
    assert cache.get(key) == 3  # readable as django-ratelimit's counters are
    assert 0 < cache.ttl(key) <= 3600 + throttling.EXPIRATION_FUDGE


def test_on_redis_a_counter_lives_no_longer_than_its_window(cache, ip):
    if not on_redis(cache):
        pytest.skip("needs REDIS_URL (the counter is the Redis client's)")
    counter = cache.client.count_in_window
    assert [counter(f"{ip}:short", 1) for _ in range(3)] == [1, 2, 3]
    throttling.time.sleep(2.1)
    assert counter(f"{ip}:short", 1) == 1  # the window expired with its key


def test_buckets_and_groups_count_apart(cache, ip):
    other = f"{ip}-other"
    assert throttling.count_hit("tc.default", ip, "5/h")["count"] == 1
    assert throttling.count_hit("tc.default", other, "5/h")["count"] == 1
    assert throttling.count_hit("tc.feeds", ip, "5/h")["count"] == 1
    assert throttling.count_hit("tc.default", ip, "5/h")["count"] == 2


@pytest.mark.parametrize(("rate", "expected"), [("60/m", (60, 60)), ("100/5m", (100, 300)), ("7/h", (7, 3600)),
                                                ("2/d", (2, 86400)), ("9/s", (9, 1))])
def test_rates_read_as_django_ratelimit_reads_them(rate, expected):
    assert throttling.split_rate(rate) == expected


def test_windows_end_after_now_and_differ_per_bucket():
    ends = {throttling.window_end(f"ip:192.0.2.{n}", 3600, 1_800_000_000) for n in range(20)}
    assert all(1_800_000_000 <= end < 1_800_000_000 + 3600 for end in ends)
    assert len(ends) > 1
