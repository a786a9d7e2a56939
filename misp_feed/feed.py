"""The MISP feed service: manifest.json, <uuid>.json and hashes.csv for a scope of events.

A :class:`FeedScope` says which events a caller's feed lists: the public mirror (the latest 10
TLP:CLEAR events), or a token feed (the latest 50 at the caller's clearance, or every event active
since a date for a backfill). Views only pick the scope; everything else happens here.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from apikeys.tlp import TLP

from .artifacts import Artifact, cached_value, get_or_build
from .builder import build_event, event_header, hash_lines, manifest_entry
from .mapping import MAX_FEED_TLP
from .query import chunks, headers_data, listed_threat_ids, load_events, publishable_id, threat_ids

PUBLIC_EVENTS = 10
TOKEN_EVENTS = 50
CHUNK = 100
JSON = "application/json"
CSV = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class FeedScope:
    """``clearance`` capped at MAX_FEED_TLP; ``limit`` events, or all since ``since``; ``key`` for caches.

    ``horizon``: events not in the manifest but active since then are served too (a token holder's
    backfill window: the manifest asked with ``?since=`` lists them, the event URLs carry no query).
    """

    clearance: int
    limit: int | None
    since: datetime | None
    key: str
    horizon: datetime | None = None


def public_scope() -> FeedScope:
    return FeedScope(int(TLP.CLEAR), PUBLIC_EVENTS, None, "public")


def token_scope(clearance: int, since: datetime | None = None, window_key: str = "",
                horizon: datetime | None = None) -> FeedScope:
    level = min(int(clearance), int(MAX_FEED_TLP))
    if since is None:
        return FeedScope(level, TOKEN_EVENTS, None, f"token:{level}:latest", horizon)
    return FeedScope(level, None, since, f"token:{level}:{window_key or since.isoformat()}", horizon)


def dumps(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _listed(scope: FeedScope) -> list[int]:
    return listed_threat_ids(scope.clearance, limit=scope.limit, since=scope.since)


def _build_manifest(scope: FeedScope) -> tuple[bytes, str]:
    entries: dict[str, dict] = {}
    for batch in chunks(_listed(scope)):
        for data in headers_data(batch):
            header = event_header(data)
            entries[header["uuid"]] = manifest_entry(header)
    return dumps(entries), JSON


def manifest(scope: FeedScope) -> Artifact:
    return get_or_build(f"manifest:{scope.key}", lambda: _build_manifest(scope))


def listed_uuids(scope: FeedScope) -> frozenset[str]:
    """The event uuids of the manifest being served, so events and manifest always agree."""
    current = manifest(scope)
    return cached_value(f"uuids:{current.etag}", lambda: frozenset(json.loads(current.body)))


def _hash_lines(ids: list[int]) -> Iterator[bytes]:
    """hashes.csv, a batch of events at a time."""
    for batch in chunks(ids, CHUNK):
        lines = [line for data in load_events(batch) for line in hash_lines(build_event(data))]
        yield "".join(f"{line}\n" for line in lines).encode("ascii")


def _build_hashes(scope: FeedScope) -> tuple[bytes, str]:
    return b"".join(_hash_lines(_listed(scope))), CSV


@dataclass(frozen=True)
class Stream:
    """A file too large to build in one go or to cache: streamed, validators taken from its manifest."""

    chunks: Iterator[bytes]
    content_type: str
    etag: str
    last_modified: int


def hashes(scope: FeedScope) -> Artifact | Stream:
    """hashes.csv of the scope's events. A backfill window (every event since a date: thousands of
    events, tens of MB) is streamed instead of built and cached; its weak ETag derives from the
    manifest's, since its lines change only when an event listed there changes (which moves the
    event's timestamp, hence the manifest)."""
    if scope.limit is not None:
        return get_or_build(f"hashes:{scope.key}", lambda: _build_hashes(scope))
    listing = manifest(scope)
    digest = hashlib.sha256(f"hashes.csv {listing.etag}".encode()).hexdigest()[:40]
    ids = threat_ids(list(json.loads(listing.body)))
    return Stream(_hash_lines(ids), CSV, f'W/"{digest}"', listing.last_modified)


def _build_event(event_uuid: uuid.UUID) -> tuple[bytes, str] | None:
    found = publishable_id(event_uuid, MAX_FEED_TLP)
    if found is None:
        return None
    (data,) = load_events([found[0]])
    return dumps(build_event(data)), JSON


def parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except (ValueError, TypeError):
        return None


def _may_fetch(scope: FeedScope, event_uuid: uuid.UUID) -> bool:
    """Within the horizon: one indexed query. Otherwise only if the (small) latest-N manifest lists
    it; a backfill window's manifest (thousands of events) is never built just to answer this."""
    if scope.horizon is not None:
        found = publishable_id(event_uuid, scope.clearance)
        if found is not None and found[1] >= scope.horizon:
            return True
    return scope.limit is not None and str(event_uuid) in listed_uuids(scope)


def event(scope: FeedScope, event_id: str) -> Artifact | None:
    """One event file, if the scope lists it or it lies within its horizon (None: 404, never a 403,
    so that the existence of an event above the caller's TLP does not leak).

    The bytes of an event do not depend on who asks, so one cached copy serves every scope.
    """
    event_uuid = parse_uuid(event_id)
    if event_uuid is None or not _may_fetch(scope, event_uuid):
        return None
    return get_or_build(f"event:{event_uuid}", lambda: _build_event(event_uuid))
