"""The query of ``objects/``, ``objects/{id}/`` and ``manifest/`` (TAXII 2.1 section 3.4), validated
before any row is read, and the opaque ``next`` token.

``next`` is a signed position (the last object's date added, rank and id) bound to the filters it
was issued for: a client must repeat the same query with it (as taxii2-client does), so a token that
was tampered with, or comes back with other filters, is a 400. It never expires: the position is a
keyset, valid whatever changed in between.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from django.core import signing

from .protocol import TaxiiError, parse_time

DEFAULT_LIMIT = 1000
MAX_LIMIT = 5000
_SALT = "threatcluster.taxii.next"
STIX_ID = re.compile(r"[a-z0-9][a-z0-9-]*[a-z0-9]--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TYPE = re.compile(r"[a-z0-9][a-z0-9-]{0,249}")
_SPEC_VERSION = re.compile(r"\d\.\d")
_VERSION_KEYWORDS = ("last", "first", "all")
FILTERS = ("added_after", "match[id]", "match[type]", "match[version]", "match[spec_version]")
KNOWN = (*FILTERS, "limit", "next")


@dataclass(frozen=True, order=True)
class Position:
    """Where an object sits in a collection: (date added, rank, row id, index inside the row)."""

    added: datetime
    rank: int
    pk: int
    index: int = 0


@dataclass
class ObjectQuery:
    """What the client asked for; empty tuples mean "no filter"."""

    added_after: datetime | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: tuple[str, ...] = ()  # "last" (default), "first", "all" or STIX timestamps
    spec_versions: tuple[str, ...] = ()
    limit: int = DEFAULT_LIMIT
    after: Position | None = None
    fingerprint: str = field(default="", repr=False)

    def version_times(self) -> tuple[str, ...]:
        return tuple(v for v in self.versions if v not in _VERSION_KEYWORDS)

    def wants_type(self, stix_type: str) -> bool:
        return not self.types or stix_type in self.types

    def accepts(self, obj: dict) -> bool:
        """Does one built object pass ``match[id]``, ``match[type]``, ``match[spec_version]`` and a
        timestamp ``match[version]``? (Each object has one version here: first = last = all.)"""
        if self.ids and obj["id"] not in self.ids:
            return False
        if not self.wants_type(obj["type"]):
            return False
        if self.spec_versions and obj.get("spec_version", "2.1") not in self.spec_versions:
            return False
        times = self.version_times()
        return not (times and not set(self.versions) & set(_VERSION_KEYWORDS) and version_of(obj) not in times)


def version_of(obj: dict) -> str:
    """An object's version as TAXII lists it: ``modified``, or ``created`` for objects without one."""
    return obj.get("modified") or obj["created"]


def _list(params, name: str, pattern: re.Pattern, what: str) -> tuple[str, ...]:
    raw = params.get(name)
    if raw is None:
        return ()
    items = tuple(part.strip() for part in raw.split(",") if part.strip())
    if not items:
        raise TaxiiError(400, f"Invalid {name}", f"{name} is empty; give one or more {what}, comma-separated.")
    for item in items:
        if not pattern.fullmatch(item):
            raise TaxiiError(400, f"Invalid {name}", f"{item[:80]!r} is not {what}.")
    return items


def _versions(params) -> tuple[str, ...]:
    raw = params.get("match[version]")
    if raw is None:
        return ()
    items = tuple(part.strip() for part in raw.split(",") if part.strip())
    if not items:
        raise TaxiiError(400, "Invalid match[version]", "match[version] is empty.")
    out = []
    for item in items:
        if item in _VERSION_KEYWORDS:
            out.append(item)
            continue
        try:
            parsed = parse_time(item)
        except ValueError:
            raise TaxiiError(400, "Invalid match[version]",
                             f"{item[:80]!r} is not last, first, all or a STIX timestamp.") from None
        out.append(f"{parsed.strftime('%Y-%m-%dT%H:%M:%S')}.{parsed.microsecond // 1000:03d}Z")
    return tuple(out)


def _limit(params) -> int:
    raw = params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.strip().isdigit() or int(raw) < 1:
        raise TaxiiError(400, "Invalid limit", f"limit must be a positive integer, not {raw[:40]!r}.")
    return min(int(raw), MAX_LIMIT)  # a server may return fewer than asked (TAXII 2.1 section 3.4.1)


def _fingerprint(collection_id: str, params, object_id: str | None) -> str:
    """What a ``next`` token is bound to: the collection, the object, the filters (not limit)."""
    key = [collection_id, object_id or "", *[f"{name}={params.get(name, '')}" for name in FILTERS]]
    return hashlib.blake2b(json.dumps(key).encode(), digest_size=9).hexdigest()


def parse_query(params, collection_id: str, object_id: str | None = None) -> ObjectQuery:
    """Validate the query string (400 on any malformed value) into an :class:`ObjectQuery`."""
    unknown = sorted(name for name in params if name not in KNOWN and name != "format")
    if unknown:
        raise TaxiiError(400, "Unknown parameter",
                         f"{unknown[0][:60]!r} is not a parameter here; use {', '.join(KNOWN)}.")
    added_after = None
    if params.get("added_after") is not None:
        try:
            added_after = parse_time(params["added_after"])
        except ValueError as exc:
            raise TaxiiError(400, "Invalid added_after", str(exc)) from None
    query = ObjectQuery(
        added_after=added_after,
        ids=_list(params, "match[id]", STIX_ID, "a STIX id (type--uuid)"),
        types=_list(params, "match[type]", _TYPE, "a STIX type"),
        versions=_versions(params),
        spec_versions=_list(params, "match[spec_version]", _SPEC_VERSION, "a spec version such as 2.1"),
        limit=_limit(params),
        fingerprint=_fingerprint(collection_id, params, object_id),
    )
    if object_id is not None:
        query.ids = (object_id,)
    if params.get("next") is not None:
        query.after = decode_next(params["next"], query.fingerprint)
    return query


def encode_next(position: Position, fingerprint: str) -> str:
    payload = [position.added.isoformat(), position.rank, position.pk, position.index, fingerprint]
    return signing.dumps(payload, salt=_SALT, compress=True)


def decode_next(token: str, fingerprint: str) -> Position:
    try:
        added, rank, pk, index, bound_to = signing.loads(token, salt=_SALT)
        position = Position(datetime.fromisoformat(added), int(rank), int(pk), int(index))
    except (signing.BadSignature, ValueError, TypeError):
        raise TaxiiError(400, "Invalid next", "next is not a token this server issued.") from None
    if bound_to != fingerprint:
        raise TaxiiError(400, "Invalid next",
                         "next belongs to another query: repeat the same collection and filters with it.")
    return position
