"""Ids, timestamps and the publisher's Identity: what every STIX object we emit shares.

Ids are deterministic: ``<type>--<UUIDv5(namespace, key)>`` where the namespace is the publisher's
``ORG_UUID`` and the key a stable natural key (an IOC's type and value, an actor's name, a
technique id…). The same thing exported twice, by any of our outputs, keeps its id, so OpenCTI and
MISP update it instead of piling up copies; another ThreatCluster deployment (another ORG_UUID)
gets ids of its own, as STIX wants ids unique per producer.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from functools import lru_cache

from django.conf import settings

# The publisher Identity has no history in the database: it is dated once, at this constant, so that
# its ``created``/``modified`` never move between downloads.
IDENTITY_EPOCH = "2024-01-01T00:00:00.000Z"
_KEY_SEPARATOR = "\x1f"  # never part of a normalised IOC value, a name or an id


@lru_cache(maxsize=8)
def _namespace(org_uuid: str) -> bytes:
    return uuid.UUID(org_uuid).bytes


def _uuid5_text(name: str) -> str:
    """``str(uuid.uuid5(namespace, name))`` without building UUID objects (3x faster; ids of whole
    bundles are computed per download)."""
    digest = bytearray(hashlib.sha1(_namespace(settings.ORG_UUID) + name.encode(), usedforsecurity=False).digest())
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest[:16].hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def deterministic_uuid(*key: object) -> uuid.UUID:
    """UUIDv5 of ``key`` (joined with an unambiguous separator) in the publisher's namespace."""
    return uuid.UUID(_uuid5_text(_KEY_SEPARATOR.join(str(part) for part in key)))


def stix_id(stix_type: str, *key: object) -> str:
    """A deterministic STIX identifier: ``stix_id("threat-actor", "apt28")``."""
    name = _KEY_SEPARATOR.join((stix_type, *map(str, key)))
    return f"{stix_type}--{_uuid5_text(name)}"


def stix_time(value: datetime | str) -> str:
    """STIX 2.1 timestamp: UTC, exactly milliseconds, ``Z`` (``2024-05-01T10:00:00.000Z``).

    ``isoformat()`` gives ``+00:00`` and microseconds, which stix2-validator rejects (FORMATS.md 2.1).
    Naive datetimes are taken as UTC (the project runs with ``USE_TZ``; naive only in tests). A string
    is taken as already formatted (see :class:`threats.stix.db.StixTime`) and returned as it is.
    """
    if isinstance(value, str):
        return value
    if value.tzinfo is not None and value.utcoffset():
        value = value.astimezone(UTC)
    return (f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:"
            f"{value.second:02d}.{value.microsecond // 1000:03d}Z")


def publisher_identity_id() -> str:
    """``identity--<ORG_UUID>``: the organisation's own uuid, the same one MISP's Orgc carries."""
    return _identity_id(settings.ORG_UUID)


@lru_cache(maxsize=8)
def _identity_id(org_uuid: str) -> str:
    return f"identity--{uuid.UUID(org_uuid)}"


def publisher_identity(*, marking_id: str) -> dict:
    """The publisher (``settings.ORG_NAME``) as an ``identity``, the ``created_by_ref`` of our objects."""
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": publisher_identity_id(),
        "created": IDENTITY_EPOCH,
        "modified": IDENTITY_EPOCH,
        "name": settings.ORG_NAME,
        "identity_class": "organization",
        "object_marking_refs": [marking_id],
    }
