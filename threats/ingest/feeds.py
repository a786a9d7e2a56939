"""Polling RSS/Atom sources: conditional GET, per-source interval, back-off, the last error kept.

A poll stores one :class:`Article` row per feed entry (its link, title, date and the feed's summary
as provisional text) and returns the ids still to process; the page itself is fetched later, one
article per task. ``ETag``/``Last-Modified`` are sent back, so an unchanged feed costs a 304.

Back-off: after ``n`` consecutive failures the next poll waits ``interval * 2**n``, at most
:data:`MAX_BACKOFF`; the error text stays on the Source for staff until a poll succeeds.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin

import feedparser
from django.db.models import Q
from django.utils import timezone

from threats.models import Article, Source, SourceKind

from . import fetch, text
from .articles import publisher_of

logger = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(hours=24)
MAX_ENTRIES = 200
CLAIM_LEASE = timedelta(minutes=15)
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"


@dataclass
class PollResult:
    source_id: int
    status: str  # "fetched", "not_modified", "not_due", "disabled", "error"
    article_ids: list[int] = field(default_factory=list)
    new_articles: int = 0
    error: str = ""


@dataclass
class Entry:
    url: str
    title: str
    summary: str
    published_at: datetime | None


def due_sources(now: datetime | None = None):
    """Enabled feed sources whose next poll time has come."""
    now = now or timezone.now()
    return (Source.objects.filter(enabled=True, kind=SourceKind.RSS)
            .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now)).order_by("next_poll_at", "pk"))


def claim_due_sources(now: datetime | None = None, lease: timedelta = CLAIM_LEASE) -> list[int]:
    """Due sources, each claimed with a conditional UPDATE that moves its next poll ``lease`` ahead,
    so that a slow poll is not queued again by the next beat tick, nor by a second beat."""
    now = now or timezone.now()
    claimed = []
    for pk in due_sources(now).values_list("pk", flat=True)[:1000]:
        won = (Source.objects.filter(pk=pk).filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now))
               .update(next_poll_at=now + lease))
        if won:
            claimed.append(pk)
    return claimed


def backoff_delay(source: Source) -> timedelta:
    interval = timedelta(minutes=max(1, source.poll_interval_minutes))
    return min(MAX_BACKOFF, interval * (2 ** min(source.error_count, 16)))


def parse_feed(body: bytes, base_url: str) -> tuple[str, list[Entry]]:
    """The feed's title and entries; :class:`fetch.FetchError` when the body is not a feed."""
    parsed = feedparser.parse(body)
    if not parsed.entries and (parsed.bozo or not parsed.feed):
        reason = getattr(parsed, "bozo_exception", None) or "no entries"
        raise fetch.FetchError(f"not an RSS/Atom feed: {reason}"[:500])
    entries = []
    for item in parsed.entries[:MAX_ENTRIES]:
        link = item.get("link") or next((x.get("href") for x in item.get("links", []) if x.get("href")), "")
        if not link:
            continue
        url = urljoin(base_url, link.strip())
        if not url.startswith(("http://", "https://")):
            continue
        content = item.get("content") or []
        summary = max([c.get("value", "") for c in content] + [item.get("summary", "")], key=len)
        stamp = item.get("published_parsed") or item.get("updated_parsed")
        published = datetime.fromtimestamp(calendar.timegm(stamp), tz=UTC) if stamp else None
        entries.append(Entry(url, text.fragment_to_text(item.get("title", ""))[:500],
                             text.fragment_to_text(summary), published))
    return text.fragment_to_text(parsed.feed.get("title", ""))[:200], entries


def store_entries(source: Source | None, entries: list[Entry]) -> tuple[list[int], int]:
    """Article rows for the entries (upsert on URL); ids still unprocessed, and how many are new."""
    pending, new = [], 0
    for entry in entries:
        article, created = Article.objects.get_or_create(url=entry.url[:2000], defaults={
            "title": entry.title, "publisher": publisher_of(entry.url), "source": source,
            "published_at": entry.published_at, "text": entry.summary,
        })
        new += created
        if not article.content_hash:
            pending.append(article.pk)
    return pending, new


def poll_source(source_id: int, *, force: bool = False, now: datetime | None = None) -> PollResult:
    """Poll one feed if it is enabled and due (or ``force``); never raises for feed errors."""
    source = Source.objects.get(pk=source_id)
    now = now or timezone.now()
    if not force and not source.enabled:
        return PollResult(source.pk, "disabled")
    if not force and source.next_poll_at and source.next_poll_at > now:
        return PollResult(source.pk, "not_due")
    try:
        resp = fetch.get(source.url, trusted=True, etag=source.etag, last_modified=source.last_modified,
                         max_bytes=fetch.MAX_FEED_BYTES, accept=FEED_ACCEPT)
        if resp.not_modified:
            _succeeded(source, now, resp)
            return PollResult(source.pk, "not_modified")
        _, entries = parse_feed(resp.body, resp.url)
    except fetch.FetchError as exc:
        _failed(source, now, str(exc))
        return PollResult(source.pk, "error", error=str(exc))
    pending, new = store_entries(source, entries)
    _succeeded(source, now, resp)
    return PollResult(source.pk, "fetched", pending, new)


def _succeeded(source: Source, now: datetime, resp: fetch.Response) -> None:
    source.etag = resp.headers.get("ETag", source.etag if resp.not_modified else "")[:500]
    source.last_modified = resp.headers.get("Last-Modified", source.last_modified if resp.not_modified else "")[:100]
    source.last_polled_at = now
    source.error_count = 0
    source.last_error = ""
    source.next_poll_at = now + timedelta(minutes=max(1, source.poll_interval_minutes))
    source.save(update_fields=["etag", "last_modified", "last_polled_at", "error_count", "last_error",
                               "next_poll_at"])


def _failed(source: Source, now: datetime, error: str) -> None:
    source.error_count += 1
    source.last_error = f"{now:%Y-%m-%d %H:%M:%SZ} {error}"[:2000]
    source.last_polled_at = now
    source.next_poll_at = now + backoff_delay(source)
    source.save(update_fields=["error_count", "last_error", "last_polled_at", "next_poll_at"])
    logger.warning("source %s (%s) failed %d time(s): %s", source.pk, source.url, source.error_count, error)
