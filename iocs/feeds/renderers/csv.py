"""CSV (RFC 4180): a header row, CRLF line ends, quoting where needed, one IOC per row.

``sources`` holds up to five citations in one cell, separated by `` | ``; each citation is
``<date> <threat id> <article URL> <article title>`` (the title last, as it may contain spaces;
a ``|`` inside a title is written ``/``). Cells a spreadsheet would run as a formula (first
character ``=``, ``+``, ``-``, ``@``, tab or CR) are prefixed with ``'`` (OWASP CSV injection):
IOC values and article titles come from attackers. Deltas (``since``) add ``action``, ``cause``
and ``removed_at`` columns.

On PostgreSQL the database writes the additions' lines itself (:mod:`..csvsql`) and :meth:`stream`
gets them as :class:`~.base.Prerendered` text; the code below is then the reference those bytes are
tested against, and still renders SQLite, small datasets and a delta's removals.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from .base import FeedMeta, FeedRenderer, Prerendered, iso, tlp_slug, when

COLUMNS = ("type", "value", "confidence", "reason", "tlp", "first_seen", "last_seen", "sources")
DELTA_COLUMNS = ("action", "cause", "removed_at")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose ``write`` returns what it was given: csv.writer yields text lines."""

    def write(self, value: str) -> str:
        return value


def neutralise(cell: object) -> str:
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def sources_cell(sources: list[dict]) -> str:
    parts = []
    for s in sources:
        date = s.get("date") or "-"
        title = " ".join((s.get("title") or "").replace("|", "/").split())
        parts.append(f"{date} {s.get('threat_id') or '-'} {s.get('url') or '-'} {title}".rstrip())
    return " | ".join(parts)


class CsvRenderer(FeedRenderer):
    media_type = "text/csv"
    format = "csv"
    extension = "csv"
    fields = ("type", "value", "confidence", "reason", "tlp", "first_seen", "last_seen")
    citations = True
    actions = True
    text_times = True

    def stream(self, rows: Iterable[dict] | Prerendered, meta: FeedMeta) -> Iterator[str]:
        writer = csv.writer(_Echo(), lineterminator="\r\n")
        delta = meta.since is not None
        yield writer.writerow(COLUMNS + DELTA_COLUMNS if delta else COLUMNS)
        if isinstance(rows, Prerendered):
            yield from rows.text
            rows = rows.rows
        for row in rows:
            # Only the cells that carry outside text can start with a formula character; ours cannot.
            cells = [row["type"], neutralise(row["value"]), row.get("confidence"), neutralise(row.get("reason")),
                     tlp_slug(row.get("tlp")), when(row, "first_seen"), when(row, "last_seen"),
                     neutralise(sources_cell(row.get("sources", [])))]
            if delta:
                cells += [row.get("action", "add"), row.get("cause", ""), iso(row.get("removed_at"))]
            yield writer.writerow(cells)
