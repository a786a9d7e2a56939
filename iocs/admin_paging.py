"""A changelist paginator that never counts a whole large table.

Django's admin counts the filtered queryset to draw its pagination; on a million IOCs that count
alone costs more than the page. This paginator counts at most ``cap + 1`` rows (a ``LIMIT`` inside
the ``COUNT``), and past the cap reports "10,000+": staff narrow the filters rather than page
through more than 100 pages anyway.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property

DEFAULT_CAP = 10_000


class AtLeast(int):
    """A count that is a lower bound: compares as the number, prints as ``10,000+``."""

    def __str__(self) -> str:
        return f"{int(self):,}+"

    __repr__ = __str__


class BoundedCountPaginator(Paginator):
    cap = DEFAULT_CAP

    @cached_property
    def count(self) -> int:
        return bounded_count(self.object_list, self.cap)


def bounded_count(queryset, cap: int = DEFAULT_CAP) -> int:
    """``queryset.count()`` bounded by ``cap`` (an :class:`AtLeast` past it)."""
    found = queryset.order_by()[: cap + 1].count()
    return AtLeast(cap) if found > cap else found
