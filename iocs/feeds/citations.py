"""Source citations for feed rows: up to five reports per IOC (article title, URL, date, threat id).

This module is part of the feeds' API layer, the one place ``iocs`` reads ``threats.models``
(DESIGN.md). Citations arrive as a second stream beside the rows: one query, ordered by IOC id,
with a window function keeping the newest five per IOC, merged with the rows (also in id order) as
both go by. The whole feed costs two queries and the memory of one row's citations, never N+1 and
never a table in memory. (One query per chunk of ids was ~6 times slower at a million rows: a
nested-loop plan per chunk, where one hash join and one sort serve them all.)

A citation is only shown when its threat is within the caller's clearance: an IOC visible at
TLP:CLEAR may also be cited by a TLP:RED incident, whose article must not leak through the feed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db import connection
from django.db.models import F, QuerySet, Window
from django.db.models.functions import Coalesce, RowNumber

from threats.models import Sighting

from .sqltext import IsoDate

MAX_CITATIONS = 5


def citation_stream(ioc_ids: QuerySet, clearance: int) -> Iterator[tuple]:
    """``(ioc_id, title, url, "YYYY-MM-DD", threat public id)`` for the IOCs in ``ioc_ids`` (a
    queryset of ids, run as a subquery), newest first within an IOC, IOCs in ascending id order."""
    qs = citation_values(ioc_ids, clearance)
    return qs.iterator(chunk_size=5000 if connection.vendor == "postgresql" else 2000)


def citation_values(ioc_ids: QuerySet, clearance: int) -> QuerySet:
    """The query behind :func:`citation_stream` (``bench/run.py`` times it under ``COPY``)."""
    published = Coalesce(F("article__published_at"), F("article__fetched_at"))
    return (Sighting.objects.filter(ioc_id__in=ioc_ids, threat__tlp__lte=clearance)
            .annotate(when=IsoDate(published),
                      rank=Window(RowNumber(), partition_by=[F("ioc_id")],
                                  order_by=[published.desc(), F("article_id").desc()]))
            .filter(rank__lte=MAX_CITATIONS)
            .order_by("ioc_id", "rank")
            .values_list("ioc_id", "article__title", "article__url", "when", "threat__public_id"))


def with_citations(rows: Iterable[dict], clearance: int, ids: QuerySet) -> Iterator[dict]:
    """Add ``sources`` to each row. ``rows`` must come in ascending ``id`` order and ``ids`` must
    select them (the dataset's queryset); removals (``action = remove``) get none."""
    stream = citation_stream(ids.values("pk"), clearance)
    pending = next(stream, None)
    for row in rows:
        sources: list[dict] = []
        if row.get("action") != "remove":
            row_id = row["id"]
            while pending is not None and pending[0] < row_id:
                pending = next(stream, None)
            while pending is not None and pending[0] == row_id:
                _, title, url, date, threat_id = pending
                sources.append({"title": title, "url": url, "date": date, "threat_id": threat_id})
                pending = next(stream, None)
        row["sources"] = sources
        yield row
