"""The MISP feed service: manifest.json, <uuid>.json and hashes.csv for a scope of events.

A :class:`FeedScope` says which events a caller's feed lists: the public mirror (the latest 10
TLP:CLEAR events), or a token feed (the latest 50 at the caller's clearance, or every event active
since a date for a backfill). Views only pick the scope; everything else happens here.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from apikeys.tlp import TLP

from .artifacts import Artifact, cached_value, get_or_build
from .builder import build_event, event_header, hash_lines, manifest_entry
from .mapping import MAX_FEED_TLP
from .query import EventData, listed_threats, load_events, threat_by_uuid, threat_stats

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


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _build_manifest(scope: FeedScope) -> tuple[bytes, str]:
    threats = listed_threats(scope.clearance, limit=scope.limit, since=scope.since)
    entries: dict[str, dict] = {}
    for chunk in _chunks(threats, 2000):
        stats = threat_stats(t.id for t in chunk)
        for threat in chunk:
            header = event_header(EventData(threat, stats[threat.id], [], [], []))
            entries[header["uuid"]] = manifest_entry(header)
    return dumps(entries), JSON


def manifest(scope: FeedScope) -> Artifact:
    return get_or_build(f"manifest:{scope.key}", lambda: _build_manifest(scope))


def listed_uuids(scope: FeedScope) -> frozenset[str]:
    """The event uuids of the manifest being served, so events and manifest always agree."""
    current = manifest(scope)
    return cached_value(f"uuids:{current.etag}", lambda: frozenset(json.loads(current.body)))


def _build_hashes(scope: FeedScope) -> tuple[bytes, str]:
    threats = listed_threats(scope.clearance, limit=scope.limit, since=scope.since)
    lines: list[str] = []
    for chunk in _chunks(threats):
        for data in load_events(chunk):
            lines += hash_lines(build_event(data))
    return "".join(f"{line}\n" for line in lines).encode("ascii"), CSV


def hashes(scope: FeedScope) -> Artifact:
    return get_or_build(f"hashes:{scope.key}", lambda: _build_hashes(scope))


def _build_event(event_uuid: uuid.UUID) -> tuple[bytes, str] | None:
    threat = threat_by_uuid(event_uuid, MAX_FEED_TLP)
    if threat is None:
        return None
    (data,) = load_events([threat])
    return dumps(build_event(data)), JSON


def parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except (ValueError, TypeError):
        return None


def _may_fetch(scope: FeedScope, event_uuid: uuid.UUID) -> bool:
    if str(event_uuid) in listed_uuids(scope):
        return True
    if scope.horizon is None:
        return False
    threat = threat_by_uuid(event_uuid, scope.clearance)
    return threat is not None and threat.last_seen >= scope.horizon


def event(scope: FeedScope, event_id: str) -> Artifact | None:
    """One event file, if the scope lists it or it lies within its horizon (None: 404, never a 403,
    so that the existence of an event above the caller's TLP does not leak).

    The bytes of an event do not depend on who asks, so one cached copy serves every scope.
    """
    event_uuid = parse_uuid(event_id)
    if event_uuid is None or not _may_fetch(scope, event_uuid):
        return None
    return get_or_build(f"event:{event_uuid}", lambda: _build_event(event_uuid))
