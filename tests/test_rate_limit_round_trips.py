"""Counting a request costs one cache call once its window is open (every API request pays it)."""

from unittest import mock

import pytest
from django.core.cache import caches

from apikeys import throttling


@pytest.fixture
def cache():
    caches["default"].clear()
    yield caches["default"]
    caches["default"].clear()


def test_a_window_is_opened_once_then_each_hit_is_one_increment(cache):
    calls = []
    real_incr, real_add = cache.incr, cache.add
    with mock.patch.object(cache, "incr", side_effect=lambda *a, **k: calls.append("incr") or real_incr(*a, **k)), \
            mock.patch.object(cache, "add", side_effect=lambda *a, **k: calls.append("add") or real_add(*a, **k)):
        first = throttling.count_hit("tc.default", "ip:192.0.2.1", "3/h")
        opened = list(calls)
        calls.clear()
        later = [throttling.count_hit("tc.default", "ip:192.0.2.1", "3/h") for _ in range(3)]
    assert opened == ["incr", "add"]
    assert calls == ["incr"] * 3
    assert [first["count"]] + [u["count"] for u in later] == [1, 2, 3, 4]
    assert [u["should_limit"] for u in later] == [False, False, True]
    assert 0 <= later[-1]["time_left"] <= 3600


def test_buckets_and_groups_count_apart(cache):
    assert throttling.count_hit("tc.default", "ip:192.0.2.1", "5/m")["count"] == 1
    assert throttling.count_hit("tc.default", "ip:192.0.2.2", "5/m")["count"] == 1
    assert throttling.count_hit("tc.feeds", "ip:192.0.2.1", "5/m")["count"] == 1
    assert throttling.count_hit("tc.default", "ip:192.0.2.1", "5/m")["count"] == 2


@pytest.mark.parametrize(("rate", "expected"), [("60/m", (60, 60)), ("100/5m", (100, 300)), ("7/h", (7, 3600)),
                                                ("2/d", (2, 86400)), ("9/s", (9, 1))])
def test_rates_read_as_django_ratelimit_reads_them(rate, expected):
    assert throttling.split_rate(rate) == expected


def test_windows_end_after_now_and_differ_per_bucket():
    ends = {throttling.window_end(f"ip:192.0.2.{n}", 3600, 1_800_000_000) for n in range(20)}
    assert all(1_800_000_000 <= end < 1_800_000_000 + 3600 for end in ends)
    assert len(ends) > 1
