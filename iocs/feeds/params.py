"""Feed parameters: parsed and validated before the first byte, with errors that name the parameter.

- ``confidence``: ``confirmed`` (= high, medium, low) or a comma-separated subset of
  ``high,medium,low``; default per feed (the public blocklists: high only).
- ``types``: comma-separated IOC types (``ipv4,ipv6,domain,url,md5,sha1,sha256,email,btc,eth,xmr``);
  default per feed and format (hosts: domains; rpz and suricata: domains and IPs).
- ``hours`` or ``days``: a positive integer; IOCs whose ``last_seen`` falls in that window.
- ``since``: ISO date (``2024-05-01``, midnight UTC) or datetime (``2024-05-01T10:00:00Z``): the
  changes since then (``query.py``).
- ``defang``: ``true`` / ``false`` (also ``1/0``, ``yes/no``); not for formats whose consumers
  need live values (hosts, rpz, suricata, stix).

The window is capped per tier by ``settings.FEED_WINDOW_CAPS_DAYS`` (public 30 days, researcher 90,
business 365, enterprise 3650) and by the feed itself (the public blocklists cover 30 days); ``since``
must fall inside the caller's cap. An unknown parameter is an error too: a misspelt
``confidance=high`` silently returning every confidence level would put low-confidence IOCs into
somebody's firewall.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework.exceptions import ValidationError

from apikeys.tiers import Tier
from iocs.models import Confidence
from iocs.normalize import IOCType

CONFIDENCE_LEVELS = tuple(Confidence.values)  # high, medium, low
ALL_TYPES = tuple(IOCType.values)
NETWORK_BLOCKLIST_TYPES = (IOCType.DOMAIN.value, IOCType.IPV4.value, IOCType.IPV6.value)
BOOLEAN = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}
# Parameters the access layer and DRF's negotiation read; accepted and ignored here.
TRANSPORT_PARAMETERS = frozenset({"token", "format"})
FEED_PARAMETERS = ("confidence", "types", "hours", "days", "since", "defang")
FUTURE_TOLERANCE = timedelta(minutes=5)  # clock skew between a client and us


@dataclass(frozen=True)
class FeedProfile:
    """What one family of endpoints serves by default and what it lets callers ask for."""

    name: str
    title: str
    default_confidence: tuple[str, ...]
    allowed_confidence: tuple[str, ...]
    default_types: tuple[str, ...]
    allowed_types: tuple[str, ...]
    default_days: int
    max_days: int | None = None  # the feed's own ceiling, under the tier's cap
    requires_since: bool = False


PUBLIC = FeedProfile(
    name="public", title="public blocklist",
    default_confidence=("high",), allowed_confidence=("high",),
    default_types=NETWORK_BLOCKLIST_TYPES, allowed_types=NETWORK_BLOCKLIST_TYPES,
    default_days=30, max_days=30,
)
FEED = FeedProfile(
    name="feed", title="IOC feed",
    default_confidence=CONFIDENCE_LEVELS, allowed_confidence=CONFIDENCE_LEVELS,
    default_types=ALL_TYPES, allowed_types=ALL_TYPES,
    default_days=90,
)
EXPORT = FeedProfile(
    name="export", title="IOC export",
    default_confidence=CONFIDENCE_LEVELS, allowed_confidence=CONFIDENCE_LEVELS,
    default_types=ALL_TYPES, allowed_types=ALL_TYPES,
    default_days=90,
)
REMOVED = FeedProfile(
    name="removed", title="removed IOCs",
    default_confidence=CONFIDENCE_LEVELS, allowed_confidence=CONFIDENCE_LEVELS,
    default_types=ALL_TYPES, allowed_types=ALL_TYPES,
    default_days=90, requires_since=True,
)


@dataclass(frozen=True)
class FeedParams:
    """Validated parameters; ``explicit`` is True when any filter differs from the feed's defaults."""

    profile: FeedProfile
    confidence: tuple[str, ...]
    types: tuple[str, ...]
    window: timedelta
    since: datetime | None = None
    defang: bool = False
    explicit: bool = False
    window_label: str = field(default="", compare=False)

    def canonical(self) -> str:
        """A stable text of everything that shapes the data (cache keys, ETags)."""
        since = self.since.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if self.since else "-"
        return (f"{self.profile.name}|c={','.join(self.confidence)}|t={','.join(self.types)}"
                f"|w={int(self.window.total_seconds())}|s={since}")

    def as_dict(self) -> dict:
        """The parameters as echoed in feed headers (JSON ``parameters``)."""
        out: dict = {"confidence": list(self.confidence), "types": list(self.types), "window": self.window_label}
        if self.since:
            out["since"] = self.since.strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.defang:
            out["defang"] = True
        return out


def window_cap_days(tier: Tier, profile: FeedProfile) -> int:
    caps = settings.FEED_WINDOW_CAPS_DAYS
    cap = int(caps.get(tier.label.lower(), caps["public"]))
    return min(cap, profile.max_days) if profile.max_days else cap


def _values(query, name: str) -> list[str] | None:
    """All values of a parameter (``a,b`` and ``?x=a&x=b`` alike), or None when absent."""
    raw = query.getlist(name) if hasattr(query, "getlist") else [query[name]] if name in query else []
    if not raw:
        return None
    return [part.strip().lower() for item in raw for part in item.split(",") if part.strip()]


def _single(query, name: str, errors: dict) -> str | None:
    raw = query.getlist(name) if hasattr(query, "getlist") else [query[name]] if name in query else []
    if len(raw) > 1:
        errors[name] = ["give this parameter once."]
        return None
    return raw[0].strip() if raw else None


def _parse_confidence(query, profile: FeedProfile, errors: dict) -> tuple[str, ...]:
    values = _values(query, "confidence")
    if values is None:
        return profile.default_confidence
    allowed = profile.allowed_confidence
    chosen: set[str] = set()
    for value in values:
        if value == "confirmed" and allowed == CONFIDENCE_LEVELS:
            chosen.update(CONFIDENCE_LEVELS)
        elif value in allowed:
            chosen.add(value)
        else:
            words = (["confirmed"] if allowed == CONFIDENCE_LEVELS else []) + list(allowed)
            errors["confidence"] = [f"unknown value {value!r}; use one of: {', '.join(words)} (comma-separated)."]
            return profile.default_confidence
    if not chosen:
        errors["confidence"] = [f"empty; use one of: {', '.join(allowed)}."]
    return tuple(level for level in CONFIDENCE_LEVELS if level in chosen)


def _parse_types(query, profile: FeedProfile, format_types: tuple[str, ...] | None,
                 fmt: str, errors: dict) -> tuple[str, ...]:
    allowed = tuple(t for t in profile.allowed_types if format_types is None or t in format_types)
    values = _values(query, "types")
    if values is None:
        return tuple(t for t in profile.default_types if t in allowed)
    bad = [v for v in values if v not in allowed]
    if bad or not values:
        where = f" with format={fmt}" if format_types is not None else ""
        errors["types"] = [f"unknown or unavailable type {bad[0] if bad else ''!r}{where}; "
                           f"use a comma-separated subset of: {', '.join(allowed)}."]
        return allowed
    return tuple(t for t in ALL_TYPES if t in set(values))


def _parse_window(query, profile: FeedProfile, cap_days: int, errors: dict) -> tuple[timedelta, str]:
    hours, days = _single(query, "hours", errors), _single(query, "days", errors)
    default = min(profile.default_days, cap_days)
    if hours is not None and days is not None:
        errors["hours"] = ["give either hours or days, not both."]
        return timedelta(days=default), f"{default}d"
    name, raw, unit, limit = (("hours", hours, "hours", cap_days * 24) if hours is not None
                              else ("days", days, "days", cap_days))
    if raw is None:
        return timedelta(days=default), f"{default}d"
    if not re.fullmatch(r"\d{1,7}", raw) or not 1 <= int(raw) <= limit:
        errors[name] = [f"must be a whole number from 1 to {limit} (your tier's window is {cap_days} days)."]
        return timedelta(days=default), f"{default}d"
    n = int(raw)
    return (timedelta(hours=n), f"{n}h") if unit == "hours" else (timedelta(days=n), f"{n}d")


def parse_since(raw: str) -> datetime | None:
    """ISO date or datetime, in UTC when no offset is given; None when it is neither."""
    text = raw.strip()
    # "+00:00" arrives as " 00:00" when the client did not percent-encode the "+".
    text = re.sub(r" (\d\d:?\d\d)$", r"+\1", text)
    try:
        moment = parse_datetime(text)
        day = None if moment else parse_date(text)
    except ValueError:
        return None
    if moment is None and day is None:
        return None
    if moment is None:
        moment = datetime.combine(day, time.min)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _parse_since(query, profile: FeedProfile, cap_days: int, now: datetime, errors: dict) -> datetime | None:
    raw = _single(query, "since", errors)
    if raw is None:
        if profile.requires_since:
            errors["since"] = ["required: the time of your previous poll (ISO date or datetime, UTC)."]
        return None
    since = parse_since(raw)
    if since is None:
        errors["since"] = ["not an ISO date or datetime; use e.g. 2024-05-01 or 2024-05-01T10:00:00Z."]
    elif since > now + FUTURE_TOLERANCE:
        errors["since"] = ["is in the future."]
    elif since < now - timedelta(days=cap_days):
        errors["since"] = [f"must be within the last {cap_days} days (your tier's window); "
                           "older copies need the full feed again."]
    else:
        return since
    return None


def _parse_defang(query, defang_ok: bool, fmt: str, errors: dict) -> bool:
    raw = _single(query, "defang", errors)
    if raw is None:
        return False
    value = BOOLEAN.get(raw.lower())
    if value is None:
        errors["defang"] = ["use true or false."]
        return False
    if value and not defang_ok:
        errors["defang"] = [f"not available with format={fmt}: its consumers need real values."]
        return False
    return value


def parse_params(query, profile: FeedProfile, *, tier: Tier, fmt: str = "txt",
                 format_types: tuple[str, ...] | None = None, defang_ok: bool = True,
                 now: datetime | None = None) -> FeedParams:
    """Validate ``query`` (a QueryDict or mapping) for ``profile``; raises ValidationError naming each bad parameter."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    for name in query:
        if name not in FEED_PARAMETERS and name not in TRANSPORT_PARAMETERS:
            errors[name] = [f"unknown parameter; this endpoint takes: {', '.join(FEED_PARAMETERS)}, format."]
    cap_days = window_cap_days(tier, profile)
    confidence = _parse_confidence(query, profile, errors)
    types = _parse_types(query, profile, format_types, fmt, errors)
    window, label = _parse_window(query, profile, cap_days, errors)
    since = _parse_since(query, profile, cap_days, now, errors)
    defang = _parse_defang(query, defang_ok, fmt, errors)
    if errors:
        raise ValidationError(errors)
    default_types = tuple(t for t in profile.default_types if format_types is None or t in format_types)
    explicit = (confidence != profile.default_confidence or types != default_types
                or window != timedelta(days=min(profile.default_days, cap_days)) or since is not None)
    return FeedParams(profile=profile, confidence=confidence, types=types, window=window, since=since,
                      defang=defang, explicit=explicit, window_label=label)
