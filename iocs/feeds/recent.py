"""Registries, in the shared cache, of what callers used recently: the polled token feeds the Celery
task keeps built (:mod:`.warm`), the stored CSV variants kept from pruning (:mod:`.segments`).

Each registry is one cache entry, ``{ident: record}``, each record with ``at`` (``time.time()``).
A use is noted at most once every ``every`` seconds per ident (one cache read per use, a write
rarely), and entries older than ``keep`` are dropped. Read-modify-write: two uses at the same
moment may drop one entry; its next use adds it back. A registry lost with the cache only makes a
feed wait for its next poll to be kept warm, or a stored variant be pruned and rendered again.
"""

from __future__ import annotations

import time

from django.core.cache import cache


def note(key: str, ident: str, record: dict | None = None, *, every: float, keep: float) -> None:
    """Note that ``ident`` (described by ``record``) was used now."""
    now = time.time()
    index = _read(key)
    seen = index.get(ident)
    if seen is not None and now - seen.get("at", 0) < every:
        return
    index[ident] = (record or {}) | {"at": now}
    cache.set(key, {k: v for k, v in index.items() if now - v.get("at", 0) < keep}, keep)


def entries(key: str, keep: float, now: float | None = None) -> dict[str, dict]:
    """The records used within ``keep`` seconds of ``now``, by ident."""
    now = time.time() if now is None else now
    return {k: v for k, v in _read(key).items() if now - v.get("at", 0) < keep}


def _read(key: str) -> dict[str, dict]:
    data = cache.get(key)
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)}  # anything else: another version's
