"""Built feed files with their validators (ETag, Last-Modified), cached for a documented period.

The MISP feeds are served live from the database and the bytes of each file are cached for
``settings.MISP_FEED_CACHE_SECONDS`` (default 300): a file is never staler than that. Caching the
bytes (not only the data) keeps the ETag stable between polls, so MISP's ``If-None-Match`` gets a
304 without the event being rebuilt.

- ETag: strong, ``"<sha256 of the body>"``, so it changes exactly when the bytes do.
- Last-Modified: the time these exact bytes were first served. The current (etag, time) pair of
  each file is remembered in the cache for 30 days; when the bytes change, the time becomes now.
  That is what makes ``If-Modified-Since`` as safe as ``If-None-Match`` (a file can change without
  any event timestamp growing, e.g. when an event leaves the manifest). After a cache flush the
  time restarts at "now", which costs each poller one full download, never a wrong 304.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.cache import cache

PREFIX = "misp-feed"
VERSION_TTL = 30 * 24 * 3600


@dataclass(frozen=True)
class Artifact:
    body: bytes
    content_type: str
    etag: str
    last_modified: int


def cache_seconds() -> int:
    return int(getattr(settings, "MISP_FEED_CACHE_SECONDS", 300))


def strong_etag(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()[:40]}"'


def _last_modified(key: str, etag: str) -> int:
    version_key = f"{PREFIX}:version:{key}"
    current = cache.get(version_key)
    previous = 0
    if isinstance(current, list | tuple) and len(current) == 2:
        if current[0] == etag:
            return int(current[1])
        previous = int(current[1])
    # HTTP dates have one-second resolution: new bytes must never share their predecessor's time.
    modified = max(int(time.time()), previous + 1)
    cache.set(version_key, (etag, modified), VERSION_TTL)
    return modified


def get_or_build(key: str, build: Callable[[], tuple[bytes, str] | None]) -> Artifact | None:
    """The cached artifact ``key``, or ``build()`` it (None: nothing to serve, not cached)."""
    ttl = cache_seconds()
    cache_key = f"{PREFIX}:file:{key}"
    if ttl > 0:
        hit = cache.get(cache_key)
        if isinstance(hit, dict):
            return Artifact(**hit)
    built = build()
    if built is None:
        return None
    body, content_type = built
    etag = strong_etag(body)
    artifact = Artifact(body, content_type, etag, _last_modified(key, etag))
    if ttl > 0:
        cache.set(cache_key, asdict(artifact), ttl)
    return artifact


def cached_value(key: str, compute: Callable[[], object]) -> object:
    """A small derived value (e.g. the uuids a manifest lists) cached like the files."""
    ttl = cache_seconds()
    cache_key = f"{PREFIX}:value:{key}"
    if ttl > 0:
        hit = cache.get(cache_key)
        if hit is not None:
            return hit
    value = compute()
    if ttl > 0:
        cache.set(cache_key, value, ttl)
    return value
