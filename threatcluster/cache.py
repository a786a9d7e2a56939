"""The Redis cache client: ``clear()`` deletes the cache's own keys, not the whole Redis database.

django-redis's ``clear()`` is ``FLUSHDB``. Here the cache, the rate-limit counters and the Celery
broker share one Redis database (``REDIS_URL``; managed and clustered Redis often offer only db 0),
so a ``cache.clear()`` from a shell, an admin action or a deploy script would also drop every queued
ingestion task and result. This client scopes ``clear()`` to the keys under the cache's
``KEY_PREFIX`` (a ``SCAN``, never ``KEYS``), which is what clearing a cache should mean.
"""

from __future__ import annotations

from django_redis.client import DefaultClient
from django_redis.client.default import glob_escape
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError


class PrefixScopedClient(DefaultClient):
    """``DefaultClient`` whose ``clear()`` removes only this cache's keys (every version)."""

    def clear(self, client=None) -> None:
        client = client or self.get_client(write=True)
        # Keys are "<KEY_PREFIX>:<version>:<key>" (Django's default key function).
        pattern = f"{glob_escape(self._backend.key_prefix)}:*"
        try:
            batch = []
            for key in client.scan_iter(match=pattern, count=1000):
                batch.append(key)
                if len(batch) >= 1000:
                    client.delete(*batch)
                    batch.clear()
            if batch:
                client.delete(*batch)
        except RedisError as exc:
            raise ConnectionInterrupted(connection=client) from exc

    def count_in_window(self, key: str, timeout: int) -> int:
        """Count one hit on a rate-limit window's counter, created with ``timeout`` if absent: one
        round trip (``SET NX EX`` + ``INCR`` pipelined), where ``incr``/``add`` take one or two and
        django-redis's ``incr`` sends a Lua script each time. Errors raise (the caller fails open)."""
        client = self.get_client(write=True)
        made = self.make_key(key)
        pipe = client.pipeline(transaction=False)
        pipe.set(made, 0, ex=timeout, nx=True)
        pipe.incr(made)
        try:
            _created, count = pipe.execute()
        except RedisError as exc:
            raise ConnectionInterrupted(connection=client) from exc
        return int(count)
