"""The collections of the one API root, and who may read which.

| alias (the id is a UUIDv5 of it) | content | scope for API keys |
|---|---|---|
| ``indicators`` | every confirmed IOC up to the caller's TLP clearance, one Indicator each | ``iocs:read`` |
| ``threats`` | every threat up to the clearance as a Report with its full graph | ``threats:read`` |
| ``tlp-<level>`` | the confirmed IOCs at exactly that TLP (levels up to the clearance only) | ``iocs:read`` |

Each indicator collection also holds the publisher's Identity and the TLP marking definitions its
indicators use, so every reference resolves inside the collection.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

from apikeys.models import Scope
from apikeys.tlp import TLP

from ..stix import deterministic_uuid


@dataclass(frozen=True)
class Collection:
    alias: str
    title: str
    description: str
    scope: str
    kind: str  # "indicators" or "threats"
    tlp: TLP | None = None  # a TLP collection: exactly this level

    @property
    def id(self) -> str:
        return _collection_id(settings.ORG_UUID, self.alias)

    def visible_at(self, clearance: int) -> bool:
        return self.tlp is None or self.tlp <= clearance

    def levels(self, clearance: int) -> list[TLP]:
        """The TLP levels of the objects this collection shows a caller of ``clearance``."""
        if self.tlp is not None:
            return [self.tlp] if self.tlp <= clearance else []
        return [t for t in TLP if t <= clearance]


@lru_cache(maxsize=64)
def _collection_id(org_uuid: str, alias: str) -> str:
    return str(deterministic_uuid("taxii-collection", alias))


COLLECTIONS: tuple[Collection, ...] = (
    Collection("indicators", "Confirmed indicators",
               "Every confirmed IOC you may see (high, medium and low confidence), one STIX Indicator each, "
               "marked with its TLP.", Scope.IOCS_READ, "indicators"),
    Collection("threats", "Threat reports",
               "Every incident cluster you may see as a STIX Report with its graph: threat actors, malware, "
               "tools, ATT&CK techniques, vulnerabilities, indicators (confirmed and pending review) and "
               "relationships; the same ids as /api/threats/{id}/stix, each object listed once.", Scope.THREATS_READ,
               "threats"),
    *(Collection(f"tlp-{level.slug.replace('+', '-')}", f"Confirmed indicators at {level.label}",
                 f"The confirmed IOCs whose TLP is exactly {level.label}.", Scope.IOCS_READ, "indicators", level)
      for level in TLP),
)


def visible_collections(clearance: int) -> list[Collection]:
    """The collections a caller of ``clearance`` may know about (TLP collections above it are not listed)."""
    return [c for c in COLLECTIONS if c.visible_at(clearance)]


def find_collection(collection_id: str) -> Collection | None:
    """The collection with this id (or alias: clients may address either), else None."""
    for collection in COLLECTIONS:
        if collection_id in (collection.id, collection.alias):
            return collection
    return None
