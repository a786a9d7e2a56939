"""Parameters of the reverse lookup, validated before any query: a bad one is a 400 naming it."""

from __future__ import annotations

import functools

from rest_framework.exceptions import ValidationError

from iocs.normalize import MAX_VALUE_LENGTH, InvalidIOC, IOCType, infer_type, normalize

from .query import LookupKey

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_BATCH = 100
TYPES = ", ".join(IOCType.values)


def parse_limit(raw) -> int:
    """``limit``: clusters per value, an integer 1..100 (default 20); anything else is a 400."""
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    text = str(raw).strip()
    if isinstance(raw, bool) or not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_LIMIT:
        raise ValidationError({"limit": [f"must be an integer from 1 to {MAX_LIMIT}; got {str(raw)[:40]!r}"]})
    return int(text)


def parse_type(raw, param: str = "type") -> str | None:
    """``type``: one of the IOC types, or absent to infer it from the value."""
    if raw is None or raw == "":
        return None
    text = str(raw).strip().lower()
    if text not in IOCType.values:
        raise ValidationError({param: [f"unknown IOC type {str(raw)[:40]!r}; use one of: {TYPES}"]})
    return text


def to_key(raw, ioc_type: str | None) -> LookupKey:
    """Refang and normalise ``raw`` as ``ioc_type`` (inferred when None); InvalidIOC says why not."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidIOC("empty value")
    if len(raw) > MAX_VALUE_LENGTH:
        raise InvalidIOC(f"value longer than {MAX_VALUE_LENGTH} characters")
    key = _parsed(raw, ioc_type)
    if isinstance(key, str):
        raise InvalidIOC(key)
    return key


@functools.lru_cache(maxsize=2048)
def _parsed(raw: str, ioc_type: str | None) -> LookupKey | str:
    """The key of ``raw``, or why it is none. Remembered: a pure function of its arguments, and
    repeated lookups repeat their values (type inference tries up to ten normalisers: 3% of a
    worker's time under the bench's lookup load, py-spy). At most 2,048 values of at most
    ``MAX_VALUE_LENGTH`` characters."""
    try:
        return _normalised(raw, ioc_type)
    except InvalidIOC as exc:
        return str(exc)


def _normalised(raw: str, ioc_type: str | None) -> LookupKey:
    if ioc_type is not None:
        return LookupKey(ioc_type, normalize(ioc_type, raw))
    inferred = infer_type(raw)
    if inferred is None:
        raise InvalidIOC(f"not a recognised IOC value; pass type= one of: {TYPES}")
    return LookupKey(str(inferred[0]), inferred[1])


def parse_value(raw, ioc_type: str | None) -> LookupKey:
    if raw is None:
        raise ValidationError({"value": ["required: the IP, domain, URL, hash, e-mail or wallet to look up"]})
    try:
        return to_key(raw, ioc_type)
    except InvalidIOC as exc:
        raise ValidationError({"value": [str(exc)]}) from exc


def parse_batch(data) -> tuple[list, str | None]:
    """The body of a batch lookup: ``{"values": [...], "type": ..., "limit": ...}`` or a bare list.

    Items are strings or ``{"value": ..., "type": ...}`` objects. Returns the items and the default
    type; the shape is checked here (400), each item's value later (a bad item gets its own error).
    """
    if isinstance(data, list):
        data = {"values": data}
    if not isinstance(data, dict):
        raise ValidationError({"values": ["send a JSON object {\"values\": [...]} or a JSON list"]})
    values = data.get("values")
    if not isinstance(values, list) or not values:
        raise ValidationError({"values": [f"required: a non-empty list of at most {MAX_BATCH} values"]})
    if len(values) > MAX_BATCH:
        raise ValidationError({"values": [f"at most {MAX_BATCH} values per call; got {len(values)}"]})
    for n, item in enumerate(values):
        if not isinstance(item, str) and not (isinstance(item, dict) and isinstance(item.get("value"), str)):
            raise ValidationError({"values": [f"item {n} must be a string or {{\"value\": \"...\", \"type\": ...}}"]})
        if isinstance(item, dict):
            parse_type(item.get("type"), param=f"values[{n}].type")
    return values, parse_type(data.get("type"))
