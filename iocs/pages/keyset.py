"""Keyset ("seek") pagination for the pages' tables: never ``OFFSET``, which reads and discards every
skipped row (at 1,000,000 IOCs page 500 would read 25,000 rows to show 50).

A cursor is the sort key of the last row shown, as opaque URL-safe text. All sort columns are
descending; the next page is the rows strictly "after" that key in that order.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import datetime

from django.db.models import Q
from django.utils.dateparse import parse_datetime


class BadCursor(ValueError):
    """The ``after`` parameter was not produced by us (edited, truncated or from another table)."""


def encode(values: Sequence) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(text: str, kinds: Sequence[type]) -> list:
    """The sort key in ``text``, each value checked against ``kinds`` (``datetime``, ``int``)."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadCursor("malformed cursor") from exc
    if not isinstance(raw, list) or len(raw) != len(kinds):
        raise BadCursor("malformed cursor")
    values = []
    for value, kind in zip(raw, kinds, strict=True):
        if kind is datetime:
            parsed = parse_datetime(value) if isinstance(value, str) else None
            if parsed is None or parsed.tzinfo is None:
                raise BadCursor("malformed cursor")
            values.append(parsed)
        elif kind is int and isinstance(value, int) and not isinstance(value, bool):
            values.append(value)
        else:
            raise BadCursor("malformed cursor")
    return values


def after(fields: Sequence[str], values: Sequence) -> Q:
    """Rows strictly after ``values`` when ordering by ``fields`` all descending.

    ``(a, b, c) < (va, vb, vc)`` spelled out as ``a < va OR (a = va AND (b < vb OR ...))``, plus the
    redundant ``a <= va``: an OR is only a filter to PostgreSQL, while ``a <= va`` bounds the index
    scan, so a deep page starts where the previous one ended instead of re-reading every row above.
    """
    condition = Q(**{f"{fields[-1]}__lt": values[-1]})
    for field, value in zip(reversed(fields[:-1]), reversed(values[:-1]), strict=True):
        condition = Q(**{f"{field}__lt": value}) | (Q(**{field: value}) & condition)
    return Q(**{f"{fields[0]}__lte": values[0]}) & condition


def page(queryset, fields: Sequence[str], cursor: list | None, size: int) -> tuple[list, str | None]:
    """One page of ``queryset`` (values() rows or objects) and the cursor of the next, if any."""
    if cursor is not None:
        queryset = queryset.filter(after(fields, cursor))
    rows = list(queryset.order_by(*(f"-{f}" for f in fields))[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if not more or not rows:
        return rows, None
    last = rows[-1]
    key = [last[f] if isinstance(last, dict) else getattr(last, f) for f in fields]
    return rows, encode(key)
