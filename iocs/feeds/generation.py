"""Generations: a dataset's current version, what ETag, Last-Modified and the provenance show.

A generation is identified by the dataset's fingerprint (aggregates, ``Dataset.state``). Its
``generated_at`` is when that fingerprint was first seen, and stays while the data stays the same,
so a poller's ``If-Modified-Since`` and ``If-None-Match`` keep answering 304 until something
changes. ``checked_at`` is when the fingerprint was last verified: a generation younger than the
feed's cache period (15 minutes) is trusted without touching the database, which is what "cached
15 minutes" means here. Records live in the shared cache (Redis in production), keyed by the
dataset key (parameters, clearance, tier): never by credential, never across tiers.

The row count printed in a body is the generation's (an aggregate taken just before the body is
built); a row written in the moment between the two may make them differ by that row. The next
generation picks it up: nothing is lost, the count is only as exact as a concurrent write allows.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, replace
from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

from .query import Dataset

RECORD_TTL = 7 * 24 * 3600  # keep generated_at across quiet days; freshness is checked_at's job
CACHE_PREFIX = "feeds:generation:"
RENDER_VERSION = "1"  # bump when a renderer's output changes for the same data


@dataclass(frozen=True)
class Generation:
    key: str
    fingerprint: str
    generated_at: datetime
    checked_at: datetime
    additions: int
    removals: int
    newest: datetime | None

    def age(self, now: datetime | None = None) -> float:
        return ((now or timezone.now()) - self.checked_at).total_seconds()

    def etag_base(self, *parts: object) -> str:
        """Hex digest of this generation plus whatever else shapes the bytes (format, defang, URL)."""
        text = "|".join(str(p) for p in (self.key, self.fingerprint, self.generated_at.isoformat(), RENDER_VERSION,
                                         *parts))
        return hashlib.sha256(text.encode()).hexdigest()[:40]


def load(key: str) -> Generation | None:
    data = cache.get(CACHE_PREFIX + key)
    return Generation(**data) if isinstance(data, dict) else None


def _save(generation: Generation) -> None:
    cache.set(CACHE_PREFIX + generation.key, asdict(generation), RECORD_TTL)


def refresh(dataset: Dataset, previous: Generation | None = None) -> Generation:
    """Verify against the database now: same fingerprint keeps ``generated_at``, a new one starts a generation."""
    state = dataset.state()
    previous = previous or load(dataset.key)
    now = timezone.now().replace(microsecond=0)
    if previous is not None and previous.fingerprint == state.fingerprint:
        generation = replace(previous, checked_at=now)
    else:
        generation = Generation(key=dataset.key, fingerprint=state.fingerprint, generated_at=now, checked_at=now,
                                additions=state.additions, removals=state.removals, newest=state.newest)
    _save(generation)
    return generation


def current(dataset: Dataset, max_age: int) -> Generation:
    """The cached generation when verified less than ``max_age`` seconds ago, else a fresh one."""
    generation = load(dataset.key)
    if generation is not None and generation.age() < max_age:
        return generation
    return refresh(dataset, previous=generation)
