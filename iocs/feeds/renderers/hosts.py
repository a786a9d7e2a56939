"""hosts file: ``0.0.0.0 <domain>``, one name per line (pfBlockerNG keeps only the second token of
a line, FORMATS.md 5), ``#`` provenance lines on top. Domains only: a hosts file cannot block an IP."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .base import FeedMeta, FeedRenderer, header_lines, is_dns_name


class HostsRenderer(FeedRenderer):
    media_type = "text/plain"
    format = "hosts"
    extension = "hosts"
    types = ("domain",)
    defang_ok = False
    hostnames_only = True

    def stream(self, rows: Iterable[dict], meta: FeedMeta) -> Iterator[str]:
        yield from header_lines(meta, self.rows_in_body(meta))
        for row in rows:
            if row.get("action") != "remove" and is_dns_name(row["value"]):
                yield f"0.0.0.0 {row['value']}\n"
