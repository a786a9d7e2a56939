"""Source citations for feed rows: up to five reports per IOC (article title, URL, date, threat id).

This module is part of the feeds' API layer, the one place ``iocs`` reads ``threats.models``
(DESIGN.md). Rows stream through it in chunks: for each chunk of IOC ids, one query fetches their
citations (a window function keeps the newest five per IOC), so a million rows cost a few hundred
queries and the memory of one chunk, never N+1 and never the whole table.

A citation is only shown when its threat is within the caller's clearance: an IOC visible at
TLP:CLEAR may also be cited by a TLP:RED incident, whose article must not leak through the feed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

from django.db import connection
from django.db.models import F, Window
from django.db.models.functions import Coalesce, RowNumber

from threats.models import Sighting

MAX_CITATIONS = 5


def citation_chunk() -> int:
    # SQLite caps bound parameters per statement; PostgreSQL takes big IN lists happily.
    return 5000 if connection.vendor == "postgresql" else 900


def citations_for(ioc_ids: list[int], clearance: int) -> dict[int, list[dict]]:
    """``{ioc_id: [{"title", "url", "date", "threat_id"}, …]}``, newest first, at most MAX_CITATIONS each."""
    if not ioc_ids:
        return {}
    published = Coalesce(F("article__published_at"), F("article__fetched_at"))
    qs = (Sighting.objects.filter(ioc_id__in=ioc_ids, threat__tlp__lte=clearance)
          .annotate(when=published,
                    rank=Window(RowNumber(), partition_by=[F("ioc_id")],
                                order_by=[published.desc(), F("article_id").desc()]))
          .filter(rank__lte=MAX_CITATIONS)
          .order_by("ioc_id", "rank")
          .values_list("ioc_id", "article__title", "article__url", "when", "threat__public_id"))
    out: dict[int, list[dict]] = {}
    for ioc_id, title, url, when, threat_id in qs:
        out.setdefault(ioc_id, []).append({"title": title, "url": url, "date": when, "threat_id": threat_id})
    return out


def with_citations(rows: Iterable[dict], clearance: int) -> Iterator[dict]:
    """Add ``sources`` to each row, one citation query per chunk of rows (removals get none)."""
    iterator = iter(rows)
    size = citation_chunk()
    while chunk := list(islice(iterator, size)):
        ids = [row["id"] for row in chunk if row.get("action") != "remove"]
        cites = citations_for(ids, clearance)
        for row in chunk:
            row["sources"] = cites.get(row["id"], []) if row.get("action") != "remove" else []
            yield row
