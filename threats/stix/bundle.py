"""Bundles: one ``json.dumps`` of a dict, or a stream (head, one object per item, tail).

A STIX 2.1 bundle has no ``spec_version`` (the strict validator rejects one, FORMATS.md 2.1).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator

MEDIA_TYPE = "application/stix+json;version=2.1"
_CHUNK_CHARS = 64 * 1024  # yield ~64 KiB pieces: few enough generator round-trips, bounded memory


def dumps(obj: object) -> str:
    """Compact JSON as every STIX output writes it (UTF-8 text, not ``\\u`` escapes)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _bundle_id(bundle_id: str | None) -> str:
    return bundle_id or f"bundle--{uuid.uuid4()}"


def bundle(objects: list[dict], *, bundle_id: str | None = None) -> dict:
    """A bundle dict around ``objects`` (serialise it once with :func:`dumps`)."""
    return {"type": "bundle", "id": _bundle_id(bundle_id), "objects": objects}


def bundle_stream(objects: Iterable[dict], *, bundle_id: str | None = None) -> Iterator[str]:
    """The bundle as text pieces, consuming ``objects`` lazily: a million indicators stream with the
    memory of one chunk. ``"".join(bundle_stream(objs))`` parses to ``bundle(list(objs))``.

    Pass a deterministic ``bundle_id`` when the same content must give the same bytes; the default
    is a fresh UUIDv4 (a bundle is a transport envelope, not an object consumers store).
    """
    parts = [f'{{"type":"bundle","id":{json.dumps(_bundle_id(bundle_id))},"objects":[']
    size = len(parts[0])
    first = True
    for obj in objects:
        text = dumps(obj)
        if not first:
            text = "," + text
        first = False
        parts.append(text)
        size += len(text)
        if size >= _CHUNK_CHARS:
            yield "".join(parts)
            parts, size = [], 0
    parts.append("]}")
    yield "".join(parts)
