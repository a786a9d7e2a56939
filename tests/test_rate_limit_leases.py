"""Rate-limit leases: a worker reserves a few hits at once, and no caller ever passes its limit.

Runs on the configured cache (Redis in CI, the in-process cache on a laptop); several workers are
several lease stores over the one shared counter, as gunicorn's processes are.
"""

import threading
import uuid
from itertools import cycle

import pytest
from django.core.cache import caches

from apikeys import throttling


@pytest.fixture
def bucket():
    return f"ip:lease-test-{uuid.uuid4().hex}"


@pytest.fixture
def reservations(monkeypatch):
    """Every round trip to the shared counter: (amount reserved, total after it)."""
    calls: list[tuple[int, int]] = []
    real = throttling._reserve

    def counted(cache, key, amount, timeout):
        total = real(cache, key, amount, timeout)
        calls.append((amount, total))
        return total

    monkeypatch.setattr(throttling, "_reserve", counted)
    return calls


def counter_value(bucket: str, limit: int, period: int):
    end = throttling.window_end(bucket, period, int(throttling.time.time()))
    return caches["default"].get(f"rl:tc.default:{limit}/{period}s:{bucket}:{end}")


@pytest.mark.parametrize(("limit", "known_total", "size"), [
    (60, None, 1), (300, None, 1), (399, None, 1),  # small limits count every hit, as before
    (1200, None, 6), (6000, None, 30), (100_000_000, None, 32),  # 0.5% of the limit, at most 32
    (1200, 1000, 6), (1200, 1105, 1), (6000, 5600, 1),  # within 16 leases of the limit: one at a time
])
def test_a_lease_is_half_a_percent_of_the_limit_and_one_near_the_end(limit, known_total, size):
    assert throttling.lease_size(limit, known_total) == size


def test_a_busy_bucket_asks_the_counter_once_per_lease(bucket, reservations):
    counts = [throttling.count_hit("tc.default", bucket, "6000/m")["count"] for _ in range(100)]
    assert counts == list(range(1, 101))  # each hit has its own position: X-RateLimit-Remaining goes down by one
    assert [amount for amount, _ in reservations] == [30] * 4
    assert counter_value(bucket, 6000, 60) == 120  # what was reserved, every hit of it accounted for


def test_small_limits_count_every_hit_and_a_full_window_costs_nothing(bucket, reservations):
    usages = [throttling.count_hit("tc.default", bucket, "60/m") for _ in range(75)]
    assert [u["should_limit"] for u in usages] == [False] * 60 + [True] * 15
    assert [u["count"] for u in usages[:60]] == list(range(1, 61))
    assert reservations == [(1, n) for n in range(1, 61)]  # none after the window was found full
    assert counter_value(bucket, 60, 60) == 60


def test_workers_together_never_pass_the_limit(bucket, reservations, monkeypatch):
    """Three workers taking turns: exactly the limit is let through, whatever each reserved."""
    workers = [throttling._Leases() for _ in range(3)]
    turn = cycle(workers)
    allowed = 0
    for _ in range(1300):
        monkeypatch.setattr(throttling, "leases", next(turn))
        allowed += not throttling.count_hit("tc.default", bucket, "1000/m")["should_limit"]
    # Never more than the limit; fewer only by the hits a worker reserved and did not get to spend.
    assert 1000 - 3 * 5 <= allowed <= 1000
    # Near the end, every worker reserved one hit at a time.
    assert [amount for amount, _ in reservations][-3:] == [1, 1, 1]
    assert max(amount for amount, _ in reservations) == 5


def test_threads_of_one_worker_never_pass_the_limit(bucket):
    """Threads (a gthread worker) reserve and spend concurrently; each has its own cache connection."""
    allowed = []

    def hammer():
        n = 0
        for _ in range(400):
            n += not throttling.count_hit("tc.default", bucket, "1000/m")["should_limit"]
        allowed.append(n)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(allowed) == 1000  # nothing counted twice; every thread spent what it reserved


def test_the_window_full_state_ends_with_the_window(bucket, monkeypatch):
    clock = [1_800_000_000.0]
    monkeypatch.setattr(throttling.time, "time", lambda: clock[0])
    assert [throttling.count_hit("tc.default", bucket, "2/s")["should_limit"] for _ in range(3)] == [False, False, True]
    clock[0] += 1
    assert throttling.count_hit("tc.default", bucket, "2/s")["should_limit"] is False

