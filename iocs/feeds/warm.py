"""Keep the polled token feeds warm: their next generation is built by the Celery task, not by a caller.

A stored feed body (the token feed's default parameters, any format) is built by the first request
of each generation and served from its artifact after that. With ingestion running, generations
change every few minutes, so some poller of the 221 MB token CSV kept paying the build (6-7 s at
1,000,000 IOCs, 17-29 s before the CSV was written by PostgreSQL). The public feeds are pre-built
by ``feeds-refresh``; this does the same for the token feeds, but only for those someone actually
polled in the last ``WARM_SECONDS`` (each (profile, format, tier, clearance, defang, printed URL) is
one entry): nobody's feed is built for nobody.

The feed view remembers a poll (:func:`remember`, at most one cache write per entry every
``REMEMBER_EVERY`` seconds); :func:`polled` lists the live entries for the task, which rebuilds each
one's dataset exactly as the view does (same key, same printed URL: the same artifact a request
would look for).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

from django.http import QueryDict

from apikeys.tiers import Tier
from apikeys.tlp import TLP

from . import params as feed_params
from . import recent
from .query import Dataset
from .renderers import FEED_RENDERERS
from .renderers.base import FeedRenderer

INDEX_KEY = "feeds:polled"
WARM_SECONDS = 24 * 3600
REMEMBER_EVERY = 600  # seconds between two writes of the same entry
PROFILES = {feed_params.FEED.name: feed_params.FEED}  # exports are named by date: a new file every day
RENDERERS = {renderer.format: renderer for renderer in FEED_RENDERERS}


@dataclass(frozen=True)
class Polled:
    profile: str
    fmt: str
    tier: int
    clearance: int
    defang: bool
    url: str  # the URL the body prints (part of the artifact's identity)
    variant: str
    at: float = 0.0  # when it was last polled (time.time())

    @property
    def ident(self) -> str:
        text = f"{self.profile}|{self.fmt}|{self.tier}|{self.clearance}|{self.defang}|{self.url}|{self.variant}"
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def renderer(self) -> FeedRenderer:
        return RENDERERS[self.fmt]()

    def dataset(self) -> Dataset:
        """The dataset the view builds for this caller with the feed's default parameters."""
        renderer, profile, tier = self.renderer(), PROFILES[self.profile], Tier(self.tier)
        query = QueryDict("defang=1" if self.defang else "")
        params = feed_params.parse_params(query, profile, tier=tier, fmt=renderer.format,
                                          format_types=renderer.types, defang_ok=renderer.defang_ok)
        return Dataset(params, clearance=TLP(self.clearance), tier=tier, hostnames_only=renderer.hostnames_only)


def remember(dataset: Dataset, renderer: FeedRenderer, url: str, variant: str) -> None:
    """Note that a stored token feed was polled (called by the view for default-parameter GETs)."""
    p = dataset.params
    if p.profile.name not in PROFILES or p.explicit or renderer.format not in RENDERERS:
        return
    entry = Polled(profile=p.profile.name, fmt=renderer.format, tier=int(dataset.tier),
                   clearance=int(dataset.clearance), defang=p.defang, url=url, variant=variant)
    recent.note(INDEX_KEY, entry.ident, asdict(entry), every=REMEMBER_EVERY, keep=WARM_SECONDS)


def polled(now: float | None = None) -> list[Polled]:
    """The entries polled within WARM_SECONDS."""
    out = []
    for data in recent.entries(INDEX_KEY, WARM_SECONDS, now).values():
        try:
            entry = Polled(**data)
        except TypeError:  # a record from another version
            continue
        if entry.profile in PROFILES and entry.fmt in RENDERERS:
            out.append(entry)
    return out
