"""X-IOC-Pending-Count costs no cache round trip per request: each process keeps the number a few
seconds (``iocs.stats.LOCAL_TTL``); its own invalidation is seen at once, another process's within
LOCAL_TTL."""

from unittest import mock

import pytest
from django.core.cache import cache

from iocs import stats
from iocs.models import Status
from tests.scenario import fresh_cache, make_ioc  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


def test_repeated_reads_within_the_memo_do_not_touch_the_cache():
    make_ioc("domain", "pending-one.example", status=Status.PENDING)
    assert stats.pending_count() == 1
    with mock.patch.object(stats.cache, "get", side_effect=AssertionError("cache read")):
        assert [stats.pending_count() for _ in range(50)] == [1] * 50


def test_another_process_invalidating_is_seen_after_the_memo_expires():
    make_ioc("domain", "pending-two.example", status=Status.PENDING)
    assert stats.pending_count() == 1
    make_ioc("domain", "pending-three.example", status=Status.PENDING)
    cache.delete(stats.PENDING_COUNT_KEY)  # what the classifier does in a worker process
    assert stats.pending_count() == 1  # this process's memo
    with mock.patch.object(stats.time, "monotonic", return_value=stats.time.monotonic() + stats.LOCAL_TTL + 1):
        assert stats.pending_count() == 2


def test_this_process_invalidating_is_seen_at_once():
    make_ioc("domain", "pending-four.example", status=Status.PENDING)
    assert stats.pending_count() == 1
    make_ioc("domain", "pending-five.example", status=Status.PENDING)
    stats.invalidate_pending_count()
    assert stats.pending_count() == 2
