"""From a dataset to the rows a renderer needs, and the provenance it prints (views' helpers).

Part of the feeds' API layer: it may add citations (``threats.models`` via :mod:`.citations`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from itertools import chain
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from iocs.normalize import defang

from . import csvsql, segments, txtsql
from .citations import with_citations
from .generation import Generation
from .query import Dataset
from .renderers.base import FeedMeta, FeedRenderer, Prerendered, iso
from .renderers.csv import CsvRenderer
from .renderers.txt import TxtRenderer


def _defanged(rows: Iterator[dict]) -> Iterator[dict]:
    for row in rows:
        row["value"] = defang(row["type"], row["value"])
        yield row


def rows_for(dataset: Dataset, renderer: FeedRenderer, *, removals_only: bool = False,
             in_database: bool = True) -> Callable[[], Iterator[dict] | Prerendered]:
    """A callable (run when the body is streamed, after the response headers) giving the rows.

    CSV and plain text on PostgreSQL come as text the database rendered (:mod:`.csvsql`,
    :mod:`.txtsql`; a feed's default CSV as stored compressed blocks, :mod:`.segments`), a CSV
    delta's removals after it as rows; ``in_database=False`` keeps the Python
    path (the reference the tests compare).
    """

    def produce() -> Iterator[dict] | Prerendered:
        csv_lines = in_database and isinstance(renderer, CsvRenderer) and not removals_only
        if csv_lines and segments.usable(dataset):
            return Prerendered(segments.chunks(dataset))  # stored blocks, re-rendered where the data changed
        if csv_lines and csvsql.available(dataset):
            rest: Iterator[dict] = dataset.removal_rows() if dataset.is_delta else iter(())
            return Prerendered(csvsql.chunks(dataset), _defanged(rest) if dataset.params.defang else rest)
        if in_database and type(renderer) is TxtRenderer and txtsql.available(dataset):
            return Prerendered(txtsql.chunks(dataset))  # a txt delta lists additions only
        if removals_only:
            rows: Iterator[dict] = dataset.removal_rows()
        else:
            rows = dataset.addition_rows(renderer.fields, text_times=renderer.text_times)
            if dataset.is_delta and renderer.actions:
                rows = chain(rows, dataset.removal_rows())
        if renderer.citations:
            rows = with_citations(rows, dataset.clearance, ids=dataset.additions())
        if dataset.params.defang:
            rows = _defanged(rows)
        return rows

    return produce


def site_base(request=None) -> str:
    """``settings.SITE_URL`` or, without it, the scheme and host of the request."""
    if settings.SITE_URL or request is None:
        return settings.SITE_URL
    return f"{request.scheme}://{request.get_host()}"


def public_url(base: str, path: str, query=None) -> str:
    """The feed's URL as printed in provenance lines: never the caller's ``token``."""
    pairs = []
    if query is not None:
        pairs = sorted((k, v) for k in query for v in (query.getlist(k) if hasattr(query, "getlist") else [query[k]])
                       if k != "token")
    return f"{base}{path}" + (f"?{urlencode(pairs)}" if pairs else "")


def removed_url(base: str, dataset: Dataset) -> str | None:
    p = dataset.params
    if p.since is None:
        return None
    query = {"since": iso(p.since), "confidence": ",".join(p.confidence), "types": ",".join(p.types)}
    seconds = int(p.window.total_seconds())
    if seconds % 86400 == 0:
        query["days"] = str(seconds // 86400)
    else:
        query["hours"] = str(seconds // 3600)
    return f"{base}{reverse('feeds:removed')}?{urlencode(query)}"


def meta_factory(dataset: Dataset, *, title: str, url: str, base: str) -> Callable[[Generation], FeedMeta]:
    def build(gen: Generation) -> FeedMeta:
        return FeedMeta(
            title=title, url=url, generated_at=gen.generated_at, additions=gen.additions, removals=gen.removals,
            license=settings.FEED_LICENSE, publisher=settings.ORG_NAME, parameters=dataset.params.as_dict(),
            since=dataset.params.since, removed_url=removed_url(base, dataset), clearance=dataset.clearance,
            version=gen.fingerprint,
        )

    return build


def dated_filename(stem: str, extension: str, moment: datetime) -> str:
    return f"{stem}-{moment:%Y-%m-%d}.{extension}"
