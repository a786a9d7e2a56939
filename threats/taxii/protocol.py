"""TAXII 2.1 wire details: media types, timestamps and error messages (TAXII 2.1 sections 1.6, 3.6).

taxii2-client rejects a response whose Content-Type is not exactly the TAXII media type (no charset),
so every response, errors included, is sent with :data:`TAXII_MEDIA_TYPE`.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from django.http import HttpResponse

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"

# RFC 3339 as TAXII uses it: UTC with ``Z`` (or an explicit offset), any number of fraction digits.
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)


class TaxiiError(Exception):
    """An error answered as a TAXII error message with this HTTP status."""

    def __init__(self, status: int, title: str, description: str = "", headers: dict[str, str] | None = None):
        super().__init__(description or title)
        self.status, self.title, self.description = status, title, description
        self.headers = headers or {}


def taxii_time(value: datetime) -> str:
    """A ``date_added`` / header timestamp with microseconds, like medallion: pollers send it back as
    ``added_after``, and it must be exactly the stored value for ``added_after`` to be exclusive."""
    value = value.astimezone(UTC) if value.tzinfo else value
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    """Parse an RFC 3339 timestamp (``2024-05-01T10:00:00.123456Z``) to an aware UTC datetime; ValueError
    otherwise. Digits past microseconds are dropped (the database keeps microseconds)."""
    match = _TIMESTAMP.fullmatch(text.strip())
    if not match:
        raise ValueError(f"not an RFC 3339 timestamp: {text[:60]!r}")
    year, month, day, hour, minute, second, fraction, _z, sign, off_h, off_m = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    value = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=UTC)
    if sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        value = value - offset if sign == "+" else value + offset
    return value


def taxii_response(body: dict, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
                            status=status, content_type=TAXII_MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(status: int, title: str, description: str = "",
                   headers: dict[str, str] | None = None) -> HttpResponse:
    """The TAXII 2.1 error message (section 3.6.1): ``title``, ``description``, ``http_status`` as a string."""
    body = {"title": title, "http_status": str(status)}
    if description:
        body["description"] = description
    return taxii_response(body, status, headers)


def accepts_taxii(accept: str) -> bool:
    """Does an ``Accept`` header allow the TAXII 2.1 media type? No header, ``*/*``, ``application/*``,
    ``application/taxii+json`` (no version) and ``…;version=2.1`` do; another version or type does not."""
    if not accept.strip():
        return True
    for item in accept.split(","):
        media, *params = (part.strip().lower() for part in item.split(";"))
        options = dict(p.partition("=")[::2] for p in params if "=" in p)
        if options.get("q", "1").strip() in ("0", "0.0", "0.00", "0.000"):
            continue
        if media in ("*/*", "application/*"):
            return True
        if media == "application/taxii+json" and options.get("version", "2.1").strip() == "2.1":
            return True
    return False
