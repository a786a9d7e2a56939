"""Plain text: one IOC per line, ``#`` provenance lines on top (Pi-hole, pfBlockerNG, DNS sinkholes,
firewall address lists read it as is, FORMATS.md 5).

On PostgreSQL the lines come written by the database (:mod:`..txtsql`); the loop below is the
reference those bytes are tested against and still writes SQLite's and ``defang``'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .base import FeedMeta, FeedRenderer, Prerendered, header_lines, one_line


class TxtRenderer(FeedRenderer):
    media_type = "text/plain"
    format = "txt"
    extension = "txt"
    fields = ("type", "value")
    hostnames_only = True

    def stream(self, rows: Iterable[dict] | Prerendered, meta: FeedMeta) -> Iterator[str]:
        yield from header_lines(meta, self.rows_in_body(meta))
        if isinstance(rows, Prerendered):  # the lines, written by PostgreSQL (iocs/feeds/txtsql.py)
            yield from rows.text
            rows = rows.rows
        for row in rows:
            if row.get("action") != "remove":
                yield one_line(row["value"]) + "\n"


class RemovedTxtRenderer(FeedRenderer):
    """``feed/removed.txt``: the values to delete from a copy taken at ``since``, one per line."""

    media_type = "text/plain"
    format = "txt"
    extension = "txt"
    fields = ("type", "value")

    def rows_in_body(self, meta: FeedMeta) -> int:
        return meta.removals

    def stream(self, rows: Iterable[dict], meta: FeedMeta) -> Iterator[str]:
        yield from (line for line in header_lines(meta, meta.removals) if not line.startswith("# Changes since"))
        for row in rows:
            if row.get("action") == "remove":
                yield one_line(row["value"]) + "\n"
