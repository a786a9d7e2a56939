"""One STIX Indicator per IOC, from a plain row: the builder every STIX output shares.

A row is any mapping with the keys of :data:`INDICATOR_FIELDS` (``QuerySet.values(*INDICATOR_FIELDS)``
gives exactly that); only ``type``, ``value`` and ``first_seen`` are required.

- id: deterministic from (type, value), so the IOC has one indicator id in every bundle and feed;
- ``created``: when we first stored the IOC; ``modified``: its ``updated_at`` (moves when it changes);
- ``valid_from``: first seen; ``confidence``: high/medium/low as 85/50/15 (STIX 2.1 Appendix A);
- ``indicator_types``: ``malicious-activity`` when confirmed, ``unknown`` while pending review,
  ``benign`` for a false positive (feeds never carry those, a graph may be asked to), with the label
  ``pending-review`` or ``false-positive`` and no ``confidence``;
- ``name`` and ``description`` both present (the strict validator's check 303 wants both).
"""

from __future__ import annotations

from collections.abc import Mapping

from iocs.normalize import IOCType

from .common import publisher_identity_id, stix_id, stix_time

INDICATOR_FIELDS = ("type", "value", "status", "confidence", "reason", "first_seen", "created_at", "updated_at")
CONFIDENCE_SCORES = {"high": 85, "medium": 50, "low": 15}

# "<object path> = " per IOC type (FORMATS.md 2.2). Hash names with a hyphen must be quoted.
_PATTERN_PREFIX = {
    IOCType.IPV4: "ipv4-addr:value",
    IOCType.IPV6: "ipv6-addr:value",
    IOCType.DOMAIN: "domain-name:value",
    IOCType.URL: "url:value",
    IOCType.MD5: "file:hashes.MD5",
    IOCType.SHA1: "file:hashes.'SHA-1'",
    IOCType.SHA256: "file:hashes.'SHA-256'",
    IOCType.EMAIL: "email-addr:value",
    # No STIX 2.1 SCO for wallets: OpenCTI's ``cryptocurrency-wallet`` (FORMATS.md 2.2).
    IOCType.BTC: "cryptocurrency-wallet:value",
    IOCType.ETH: "cryptocurrency-wallet:value",
    IOCType.XMR: "cryptocurrency-wallet:value",
}
_LABELS = {t.value: t.label for t in IOCType}
_TYPES = {
    "confirmed": ["malicious-activity"],
    "pending": ["unknown"],
    "false_positive": ["benign"],
}

_STATUS_LABELS = {"pending": "pending-review", "false_positive": "false-positive"}


def _quote(value: str) -> str:
    """A STIX pattern string literal: backslash first, then the quote."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pattern(ioc_type: str, value: str) -> str:
    """The STIX pattern matching this IOC, e.g. ``[file:hashes.'SHA-256' = '…']``; ValueError for an
    unknown type."""
    try:
        path = _PATTERN_PREFIX[ioc_type]
    except KeyError:
        raise ValueError(f"no STIX pattern for IOC type {ioc_type!r}") from None
    return f"[{path} = {_quote(value)}]"


def indicator_id(ioc_type: str, value: str) -> str:
    """The deterministic indicator id of an IOC (its normalised type and value)."""
    return stix_id("indicator", ioc_type, value)


def _description(row: Mapping, label: str) -> str:
    status = row.get("status") or "confirmed"
    reason = (row.get("reason") or "").strip()
    if status == "confirmed":
        text = f"{label} confirmed malicious"
        confidence = row.get("confidence")
        text += f" ({confidence} confidence)." if confidence else "."
    elif status == "pending":
        text = f"{label} reported in threat intelligence; pending review, not yet confirmed."
    else:
        text = f"{label} reported in threat intelligence; judged a false positive."
    return f"{text} {reason}" if reason else text


def indicator(row: Mapping, *, marking_id: str, created_by_ref: str | None = None) -> dict:
    """The STIX 2.1 ``indicator`` dict for one IOC row, marked with ``marking_id``.

    ``created_by_ref`` defaults to the publisher identity (pass it in when building many, it saves a
    settings lookup per row). Raises ValueError for an IOC type without a pattern.
    """
    ioc_type, value = row["type"], row["value"]
    first_seen = row["first_seen"]
    created_at = row.get("created_at") or first_seen
    updated_at = row.get("updated_at") or created_at
    created = stix_time(created_at)
    modified = stix_time(updated_at)
    if modified < created:  # same fixed-width format: string order is time order
        modified = created
    obj = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": indicator_id(ioc_type, value),
        "created_by_ref": created_by_ref or publisher_identity_id(),
        "created": created,
        "modified": modified,
        "name": value,
        "description": _description(row, _LABELS.get(ioc_type, ioc_type)),
        "indicator_types": list(_TYPES.get(row.get("status") or "confirmed", ["unknown"])),
        "pattern": pattern(ioc_type, value),
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": stix_time(first_seen),
        "object_marking_refs": [marking_id],
    }
    score = CONFIDENCE_SCORES.get(row.get("confidence") or "")
    if score is not None:
        obj["confidence"] = score
    if row.get("status") in _STATUS_LABELS:  # a consumer that ignores indicator_types still sees it
        obj["labels"] = [_STATUS_LABELS[row["status"]]]
    return obj
