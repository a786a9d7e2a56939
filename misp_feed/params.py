"""The backfill window of the token feed: ``?since=YYYY-MM-DD`` or ``?days=N`` (or the same as a
path prefix, ``days/N/`` or ``since/YYYY-MM-DD/``, for MISP, which appends ``/manifest.json`` to
the URL it is given and so cannot keep a query string). Capped per tier by
``settings.FEED_WINDOW_CAPS_DAYS``; anything else is a 400 naming the parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from apikeys.tiers import Tier

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Window:
    since: datetime | None  # None: the latest events, no date window
    key: str  # stable cache key of the request ("days=7", not the second it was asked)
    horizon: datetime  # the oldest activity this caller may fetch at all


def cap_days(tier: Tier) -> int:
    return int(settings.FEED_WINDOW_CAPS_DAYS[Tier(tier).label.lower()])


def _since(raw: str, today: date, cap: int, tier: Tier) -> datetime:
    text = str(raw).strip()
    try:
        day = date.fromisoformat(text) if DATE_RE.match(text) else None
    except ValueError:
        day = None
    if day is None:
        raise ValidationError({"since": [f"must be a date YYYY-MM-DD; got {text[:40]!r}"]})
    if day > today:
        raise ValidationError({"since": ["must not be in the future"]})
    if (today - day).days > cap:
        raise ValidationError({"since": [f"at most {cap} days back for the {Tier(tier).label} tier "
                                         f"(earliest {today - timedelta(days=cap)})"]})
    return datetime.combine(day, time.min, tzinfo=UTC)


def _days(raw: str, cap: int, tier: Tier) -> int:
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= cap:
        raise ValidationError({"days": [f"must be an integer from 1 to {cap} for the {Tier(tier).label} tier; "
                                        f"got {text[:40]!r}"]})
    return int(text)


def window(query: dict, path: dict, tier: Tier) -> Window:
    """Parse the window from the query string or the path (not both, and not since with days)."""
    given = {}
    for name in ("since", "days"):
        values = [v for v in (query.get(name), path.get(name)) if v not in (None, "")]
        if len(values) > 1:
            raise ValidationError({name: ["given both in the path and in the query string"]})
        if values:
            given[name] = str(values[0])
    if len(given) > 1:
        raise ValidationError({"since": ["use since or days, not both"]})
    now = timezone.now()
    cap = cap_days(tier)
    horizon = now - timedelta(days=cap)
    if "since" in given:
        since = _since(given["since"], now.astimezone(UTC).date(), cap, tier)
        return Window(since, f"since={since.date().isoformat()}", horizon)
    if "days" in given:
        days = _days(given["days"], cap, tier)
        return Window(now - timedelta(days=days), f"days={days}", horizon)
    return Window(None, "latest", horizon)
