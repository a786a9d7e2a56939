"""A page of a collection: positioned objects in (date added, rank, id, index) order.

Both kinds of collection produce :class:`Entry` items sorted by :class:`Position`; the views turn
a :class:`Page` into an envelope, a manifest or the ``X-TAXII-Date-Added-*`` headers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from .params import ObjectQuery, Position


@dataclass(frozen=True)
class Entry:
    position: Position
    obj: dict

    @property
    def date_added(self) -> datetime:
        return self.position.added


@dataclass
class Page:
    """``entries`` to show; ``resume`` is where the next page starts (``None``: this is the last page)."""

    entries: list[Entry]
    resume: Position | None

    @property
    def more(self) -> bool:
        return self.resume is not None

    @classmethod
    def cut(cls, entries: list[Entry], limit: int, horizon: Position | None) -> Page:
        """At most ``limit`` of ``entries`` in order; ``horizon`` is the last position scanned when the
        scan stopped early (more candidates exist past it)."""
        entries = sorted(entries, key=lambda e: e.position)
        if len(entries) > limit:
            entries = entries[:limit]
            return cls(entries, entries[-1].position)
        return cls(entries, horizon)


def fixed_time(stix_timestamp: str) -> datetime:
    """The datetime of a constant STIX timestamp (the dates of the marking definitions and identity)."""
    return datetime.strptime(stix_timestamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def after_cursor(position: Position, query: ObjectQuery) -> bool:
    """Is ``position`` past the query's ``next`` and ``added_after`` (exclusive, like medallion)?"""
    if query.after is not None and position <= query.after:
        return False
    return query.added_after is None or position.added > query.added_after
