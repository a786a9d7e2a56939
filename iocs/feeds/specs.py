"""How each family of endpoints is served (shared by the views and the Celery task that pre-builds)."""

from __future__ import annotations

from django.utils import timezone

from .http import FEED_CACHE_SECONDS, FeedResponseSpec
from .pipeline import dated_filename

FEED_SPEC = FeedResponseSpec(cache_seconds=FEED_CACHE_SECONDS, store=True)
PUBLIC_SPEC = FeedResponseSpec(cache_seconds=FEED_CACHE_SECONDS, public=True, store=True, cors=True)
REMOVED_SPEC = FeedResponseSpec(cache_seconds=FEED_CACHE_SECONDS)


def export_spec(extension: str) -> FeedResponseSpec:
    """Exports are downloads named by date: ``threatcluster-iocs-2024-05-01.csv``."""
    name = dated_filename("threatcluster-iocs", extension, timezone.now())
    return FeedResponseSpec(cache_seconds=FEED_CACHE_SECONDS, store=True, filename=name)


def variant(defang: bool) -> str:
    """The options part of an artifact's identity."""
    return f"defang={defang}"
