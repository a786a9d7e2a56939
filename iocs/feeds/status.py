"""``feed/status.json``: for each feed the caller may read, when it was generated, how many rows,
and whether it is stale, so that a consumer can tell "empty" from "broken".

It reads the generation records only (no query on the IOC table): the Celery beat task verifies
the default datasets every few minutes (``tasks.refresh_feeds``), requests verify theirs. A feed
whose generation was not verified within its cache period plus one task interval is stale: the
task is not running or the database is not answering, and its data may be older than promised.
"""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from apikeys.tiers import Tier
from apikeys.tlp import TLP

from . import generation
from . import params as feed_params
from .http import FEED_CACHE_SECONDS as CACHE_SECONDS
from .query import Dataset
from .renderers.base import iso

STALE_GRACE = timedelta(minutes=10)


def default_datasets(tier: Tier | None = None, clearance: TLP | None = None) -> list[tuple[str, str, Dataset]]:
    """(feed name, route name, dataset) of the default feeds, for the public and, if given, one caller."""
    public = feed_params.parse_params({}, feed_params.PUBLIC, tier=Tier.PUBLIC)
    out = [("public/feed.txt", "feeds:public-txt", Dataset(public, TLP.CLEAR, Tier.PUBLIC, hostnames_only=True))]
    out += [(f"public/feed.{ext}", f"feeds:public-{ext}", Dataset(public, TLP.CLEAR, Tier.PUBLIC))
            for ext in ("json", "csv")]
    if tier is not None and clearance is not None and tier >= Tier.RESEARCHER:
        # What the default request gets (txt, the first format): the domain list's host-name rule applies.
        feed = Dataset(feed_params.parse_params({}, feed_params.FEED, tier=tier), clearance, tier, hostnames_only=True)
        export = Dataset(feed_params.parse_params({}, feed_params.EXPORT, tier=tier), clearance, tier,
                         hostnames_only=True)
        out += [("feed", "feeds:feed", feed), ("export", "feeds:export", export)]
        if tier >= Tier.BUSINESS:
            out += [("v1/iocs/feed", "feeds_v1:feed", feed), ("v1/iocs/export", "feeds_v1:export", export)]
    return out


def entry(name: str, url: str, dataset: Dataset, now) -> dict:
    gen = generation.load(dataset.key)
    limit = timedelta(seconds=CACHE_SECONDS) + STALE_GRACE
    if gen is None:
        return {"feed": name, "url": url, "state": "never generated", "stale": True, "generated_at": None,
                "checked_at": None, "rows": None, "newest_change": None, "max_age_seconds": CACHE_SECONDS}
    stale = now - gen.checked_at > limit
    return {"feed": name, "url": url, "state": "stale" if stale else ("empty" if gen.additions == 0 else "ok"),
            "stale": stale, "generated_at": iso(gen.generated_at), "checked_at": iso(gen.checked_at),
            "rows": gen.additions, "newest_change": iso(gen.newest), "max_age_seconds": CACHE_SECONDS}


def feed_status(base: str, *, tier: Tier, clearance: TLP) -> dict:
    now = timezone.now()
    feeds = [entry(name, base + reverse(route), dataset, now)
             for name, route, dataset in default_datasets(tier, clearance)]
    return {"generated_at": iso(now), "feeds": feeds}
