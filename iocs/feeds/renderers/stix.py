"""STIX 2.1: a bundle of Indicators with the publisher's Identity and TLP 2.0 markings, streamed.

Every object comes from the shared STIX core (``threats.stix``, the one builder: same indicator id
and pattern as a threat's bundle and TAXII). Each indicator carries the marking of its IOC's TLP;
the bundle starts with the marking definitions up to the caller's clearance and the Identity.

Deltas (``since``): an IOC withdrawn (false positive, stricter TLP, deleted…) is its indicator
again with ``revoked: true``; one that aged out of the window gets ``valid_until`` (it was not
wrong, only old). Both are new versions of the same id, ``modified`` at the time of the change,
which is how STIX consumers (OpenCTI, MISP) learn that a copy they hold is withdrawn.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from apikeys.tlp import TLP
from threats import stix

from ..models import RemovalCause
from .base import FeedMeta, FeedRenderer


def _removed(row: dict, obj: dict) -> dict:
    when = stix.stix_time(row["removed_at"])
    obj["modified"] = max(obj["modified"], when)  # fixed-width text: string order is time order
    if row.get("cause") == RemovalCause.EXPIRED:
        obj["valid_until"] = max(when, obj["valid_from"])
    else:
        obj["revoked"] = True
    return obj


class StixRenderer(FeedRenderer):
    media_type = "application/stix+json"
    format = "stix"
    extension = "json"
    content_type = "application/stix+json;version=2.1"
    fields = (*stix.INDICATOR_FIELDS, "tlp")
    defang_ok = False  # a pattern must hold the real value
    actions = True

    def stream(self, rows: Iterable[dict], meta: FeedMeta) -> Iterator[str]:
        bundle_id = f"bundle--{stix.deterministic_uuid('feed-bundle', meta.url, meta.version, meta.generated_at)}"
        return stix.bundle_stream(self._objects(rows, meta), bundle_id=bundle_id)

    def _objects(self, rows: Iterable[dict], meta: FeedMeta) -> Iterator[dict]:
        levels = [level for level in TLP if level <= meta.clearance]
        yield from (stix.marking_definition(level) for level in levels)
        yield stix.publisher_identity(marking_id=stix.marking_id(TLP.CLEAR))
        identity = stix.publisher_identity_id()
        markings = {level: stix.marking_id(level) for level in levels}
        for row in rows:
            if row.get("first_seen") is None:
                row["first_seen"] = row.get("created_at") or row["last_seen"]
            obj = stix.indicator(row, marking_id=markings[TLP(row["tlp"])], created_by_ref=identity)
            yield _removed(row, obj) if row.get("action") == "remove" else obj
