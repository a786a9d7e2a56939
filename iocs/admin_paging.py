"""Changelists that never count a whole large table.

Django's admin counts the filtered queryset to draw its pagination; on a million IOCs that count
costs more than the page itself (a selective filter means scanning far for each match). Here the
count stops a few pages past the page being viewed (a ``LIMIT`` inside the ``COUNT``), so it
costs about as much as reading those pages: the admin shows "500+ IOCs" and pages 1-5, and the
further one goes the further it looks. Staff narrow the filters rather than page deep anyway.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.main import PAGE_VAR
from django.core.paginator import Paginator
from django.utils.functional import cached_property

LOOK_AHEAD_PAGES = 4


class AtLeast(int):
    """A count that is a lower bound: compares as the number, prints as ``500+``."""

    def __str__(self) -> str:
        return f"{int(self):,}+"

    __repr__ = __str__


def bounded_count(queryset, cap: int) -> int:
    """``queryset.count()`` if at most ``cap``, else :class:`AtLeast` ``(cap)``; never scans past ``cap + 1`` rows."""
    found = queryset.order_by()[: cap + 1].count()
    return AtLeast(cap) if found > cap else found


class LookAheadPaginator(Paginator):
    """Counts up to ``look_ahead`` pages past ``page_hint`` and no further."""

    def __init__(self, object_list, per_page, *args, page_hint: int = 1, look_ahead: int = LOOK_AHEAD_PAGES,
                 **kwargs) -> None:
        super().__init__(object_list, per_page, *args, **kwargs)
        self.page_hint = max(1, page_hint)
        self.look_ahead = look_ahead

    @cached_property
    def count(self) -> int:
        return bounded_count(self.object_list, (self.page_hint + self.look_ahead) * self.per_page)


class LargeTableAdmin(admin.ModelAdmin):
    """A ModelAdmin for tables of millions of rows: bounded counts, no full count, no facets."""

    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = LookAheadPaginator
    count_look_ahead = LOOK_AHEAD_PAGES

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        try:
            page = int(request.GET.get(PAGE_VAR, 1))
        except ValueError:
            page = 1
        return self.paginator(queryset, per_page, orphans, allow_empty_first_page, page_hint=page,
                              look_ahead=self.count_look_ahead)
