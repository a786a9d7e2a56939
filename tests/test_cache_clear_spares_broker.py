"""``cache.clear()`` on the Redis cache removes the cache's keys only: the Celery broker's queues and
results live in the same Redis database and must survive it (see ``threatcluster/cache.py``)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache


@pytest.fixture
def redis_client():
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL (the Redis cache)")
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at {settings.REDIS_URL} is unreachable: {exc}")
    yield client
    client.delete("celery", "celery-task-meta-test-clear")


def test_clear_removes_cache_keys_and_spares_the_broker(redis_client):
    redis_client.rpush("celery", b'{"task": "queued"}')
    redis_client.set("celery-task-meta-test-clear", b"result")
    cache.set("feeds:artifact", "cached body")
    cache.set("ratelimit:counter", 3, version=2)

    cache.clear()

    assert cache.get("feeds:artifact") is None
    assert cache.get("ratelimit:counter", version=2) is None
    assert redis_client.lrange("celery", 0, -1) == [b'{"task": "queued"}']
    assert redis_client.get("celery-task-meta-test-clear") == b"result"


def test_the_worker_isolation_url_is_a_different_database():
    from tests.xdist_isolation import _worker_url

    assert _worker_url("redis://127.0.0.1:6379/15", "gw0") == "redis://127.0.0.1:6379/14"
    assert _worker_url("redis://127.0.0.1:6379/15", "gw1") == "redis://127.0.0.1:6379/13"
    assert _worker_url("redis://:pw@h:6379", "gw0") == "redis://:pw@h:6379/15"
