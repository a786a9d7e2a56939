"""Background work for the feeds, called by the Celery tasks (``tasks.py``) and by tests.

- :func:`refresh_feeds`: verify the default datasets (so ``feed/status.json`` tells the truth),
  pre-build the public blocklists, so that no anonymous download waits for a full query, and the
  token feeds someone polled in the last day (:func:`keep_warm`, :mod:`.warm`).
- :func:`prune_feeds`: delete unused artifacts, removal-log entries no ``since`` can reach, and
  stored CSV blocks nobody reads or that nothing can be kept of (:mod:`.segments`).

Pre-building needs ``settings.SITE_URL``: the body prints the feed's own URL, which without it is
taken from each request's host, so a file built here could not be the one a request would build.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from apikeys.tiers import Tier

from . import artifacts, generation, segments, warm
from . import params as feed_params
from .http import prebuild
from .pipeline import meta_factory, rows_for
from .query import prune_removals
from .renderers import CsvRenderer, JsonRenderer, TxtRenderer
from .specs import FEED_SPEC, PUBLIC_SPEC, variant
from .status import default_datasets

PROFILE_TITLES = {feed_params.FEED.name: feed_params.FEED.title}
PUBLIC_RENDERERS = {"feeds:public-txt": TxtRenderer, "feeds:public-json": JsonRenderer,
                    "feeds:public-csv": CsvRenderer}


def refresh_feeds() -> dict[str, int]:
    verified: dict[str, object] = {}
    for tier in (Tier.RESEARCHER, Tier.BUSINESS, Tier.ENTERPRISE):
        for _name, _route, dataset in default_datasets(tier, tier.tlp_clearance):
            if dataset.key not in verified:
                verified[dataset.key] = generation.refresh(dataset)
    built = 0
    if settings.SITE_URL:
        for _name, route, dataset in default_datasets():
            renderer = PUBLIC_RENDERERS[route]()
            url = settings.SITE_URL + reverse(route)
            meta_for = meta_factory(dataset, title=feed_params.PUBLIC.title, url=url, base=settings.SITE_URL)
            prebuild(dataset=dataset, renderer=renderer, spec=PUBLIC_SPEC, meta_for=meta_for,
                     rows=rows_for(dataset, renderer), variant=variant(False))
            built += 1
    return {"verified": len(verified), "built": built, "warm": keep_warm()}


def keep_warm() -> int:
    """Build the current generation of each token feed polled in the last day (:mod:`.warm`), so
    that its pollers get the stored file instead of waiting for the build; returns how many."""
    done = 0
    for entry in warm.polled():
        dataset, renderer = entry.dataset(), entry.renderer()
        base = "{0.scheme}://{0.netloc}".format(urlsplit(entry.url))
        meta_for = meta_factory(dataset, title=PROFILE_TITLES[entry.profile], url=entry.url, base=base)
        prebuild(dataset=dataset, renderer=renderer, spec=FEED_SPEC, meta_for=meta_for,
                 rows=rows_for(dataset, renderer), variant=entry.variant)
        done += 1
    return done


def prune_feeds() -> dict[str, int]:
    pruned = segments.prune()
    return {"artifacts": artifacts.prune(), "removals": prune_removals(), "segments": pruned["segments"],
            "segment_changes": pruned["changes"]}
