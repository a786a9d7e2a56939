"""One threat = one MISP event, as PyMISP's ``MISPEvent.to_feed()`` writes it (FORMATS.md 1.3).

Pure functions over :class:`misp_feed.query.EventData`: no queries here. Plain dicts with the key
order PyMISP uses, serialised once; PyMISP itself is used only for value normalisation (and, in the
tests, to load every event back).

Stability, so that a MISP instance updates instead of re-importing (FORMATS.md 1.2, 1.6):

- event uuid = ``Threat.uuid``; attribute uuid = uuid5(event uuid, "type|value"); object uuids the same way;
- event ``timestamp`` = the newest of the threat's ``updated_at`` and its IOCs' ``updated_at``:
  it moves when the threat, or the verdict on one of its IOCs, changes, and only then;
- an IOC attribute's ``timestamp`` = that IOC's ``updated_at``; references (articles, CVEs, actors)
  carry the time they arrived. None of them ever exceeds the event timestamp.

False positives are never live attributes. An IOC of the threat that is (or became) a false
positive is written as a soft-deleted attribute (``deleted: true``, ``to_ids: false``) with the
uuid it had while confirmed, which is how MISP propagates a retraction: an instance that imported
it deletes its copy on the next pull. Pending IOCs are left out until the classifier decides.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from django.conf import settings

from iocs.models import Status
from iocs.normalize import IOCType

from . import galaxies
from .mapping import (
    ATTRIBUTE_TYPES,
    ETH_CATEGORY,
    ETH_OBJECT,
    REFERENCE,
    THREAT_ACTOR,
    VULNERABILITY,
    analysis,
    attribute_uuid,
    misp_value,
    object_uuid,
    tag,
    threat_level_id,
    tlp_tag,
)
from .query import EventData, IOCEntry

CONTEXT_CHARS = 300
ZERO = timedelta(0)


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


@lru_cache(maxsize=4096)  # a threat's sightings share their articles' few dates: 2 calls per attribute
def seen(moment: datetime) -> str:
    """first_seen/last_seen as PyMISP writes them (``datetime.isoformat()`` in UTC)."""
    return (moment if moment.utcoffset() == ZERO else moment.astimezone(UTC)).isoformat()


def orgc() -> dict:
    return {"name": settings.ORG_NAME, "uuid": str(settings.ORG_UUID)}


def event_timestamp(data: EventData) -> int:
    moments = [data.threat.updated_at] + ([data.stats.ioc_updated] if data.stats.ioc_updated else [])
    return epoch(max(moments))


def event_tags(data: EventData) -> list[dict]:
    """TLP first, then actors, malware and techniques as galaxy tags (sorted, no duplicates)."""
    names: list[str] = []
    for name, galaxy_uuid in data.entities.actors:
        names += galaxies.actor_tags(name, galaxy_uuid)
    for name, kind, galaxy_uuid in data.entities.malware:
        names += galaxies.malware_tags(name, kind, galaxy_uuid)
    for technique_id, name in data.entities.techniques:
        names += galaxies.technique_tags(technique_id, name)
    return [tlp_tag(data.threat.tlp)] + [tag(name) for name in dict.fromkeys(names)]


def event_header(data: EventData) -> dict:
    """The event's own fields, shared by the event file and its manifest entry (integers as ints)."""
    threat = data.threat
    return {
        "analysis": analysis(data.stats.pending),
        "date": threat.first_seen.astimezone(UTC).date().isoformat(),
        "info": threat.title.strip() or f"ThreatCluster {threat.public_id}",
        "threat_level_id": threat_level_id(threat.threat_score),
        "timestamp": event_timestamp(data),
        "uuid": str(threat.uuid),
        "Orgc": orgc(),
        "Tag": event_tags(data),
    }


def manifest_entry(header: dict) -> dict:
    """Exactly PyMISP's ``MISPEvent.manifest`` value for this event (FORMATS.md 1.2)."""
    return {"Orgc": header["Orgc"], "Tag": header["Tag"], "info": header["info"], "date": header["date"],
            "analysis": header["analysis"], "threat_level_id": header["threat_level_id"],
            "timestamp": header["timestamp"]}


def _attribute(event_uuid, misp_type: str, category: str, value: str, *, comment: str, timestamp: int,
               to_ids: bool, deleted: bool = False, first_seen: datetime | None = None,
               last_seen: datetime | None = None, relation: str | None = None) -> dict:
    attr: dict = {"category": category, "comment": comment}
    if deleted:
        attr["deleted"] = True
    attr["disable_correlation"] = False
    if first_seen is not None:
        attr["first_seen"] = seen(first_seen)
    if last_seen is not None:
        attr["last_seen"] = seen(last_seen)
    if relation is not None:
        attr["object_relation"] = relation
    attr.update({"timestamp": str(timestamp), "to_ids": to_ids, "type": misp_type,
                 "uuid": attribute_uuid(event_uuid, f"{relation}@{misp_type}" if relation else misp_type, value),
                 "value": value})
    return attr


def ioc_comment(entry: IOCEntry) -> str:
    if entry.status == Status.FALSE_POSITIVE:
        return f"Retracted: false positive. {entry.reason}".strip()
    reports = len(entry.reports)
    text = f"Confirmed, {entry.confidence} confidence; cited by {reports} report{'s' if reports != 1 else ''} " \
           "of this incident."
    context = " ".join(entry.context.split())
    if context:
        text += f" Context: {context[:CONTEXT_CHARS]}"
    return text


def ioc_attribute(event_uuid, entry: IOCEntry, ceiling: int) -> dict | None:
    misp_type, category = ATTRIBUTE_TYPES[entry.type]
    value = misp_value(misp_type, entry.value)
    if value is None:
        return None
    live = entry.status == Status.CONFIRMED
    return _attribute(event_uuid, misp_type, category, value, comment=ioc_comment(entry),
                      timestamp=min(epoch(entry.updated_at), ceiling), to_ids=live, deleted=not live,
                      first_seen=entry.first_seen, last_seen=entry.last_seen)


def eth_object(event_uuid, entry: IOCEntry, ceiling: int) -> dict | None:
    """An Ethereum address as MISP's coin-address object (no attribute type exists for it)."""
    value = misp_value("text", entry.value)
    if value is None:
        return None
    live = entry.status == Status.CONFIRMED
    stamp = min(epoch(entry.updated_at), ceiling)
    common = {"timestamp": stamp, "first_seen": entry.first_seen, "last_seen": entry.last_seen,
              "deleted": not live}
    address = _attribute(event_uuid, "text", ETH_CATEGORY, value, comment=ioc_comment(entry), to_ids=live,
                         relation="address-crypto", **common)
    symbol = _attribute(event_uuid, "text", ETH_CATEGORY, "ETH", comment="", to_ids=False, relation="symbol",
                        **common)
    symbol["uuid"] = object_uuid(event_uuid, "coin-address/symbol", value)
    symbol["disable_correlation"] = True
    obj: dict = {"comment": "Ethereum address", **({"deleted": True} if not live else {}),
                 "description": ETH_OBJECT["description"], "first_seen": seen(entry.first_seen),
                 "last_seen": seen(entry.last_seen), "meta-category": ETH_OBJECT["meta-category"],
                 "name": ETH_OBJECT["name"], "template_uuid": ETH_OBJECT["template_uuid"],
                 "template_version": ETH_OBJECT["template_version"], "timestamp": str(stamp),
                 "uuid": object_uuid(event_uuid, "coin-address", value), "Attribute": [address, symbol]}
    return obj


def reference_attributes(data: EventData, event_uuid, ceiling: int) -> list[dict]:
    """CVEs, threat actors and the source articles: context, never detection (``to_ids`` false)."""
    created = min(epoch(data.threat.created_at), ceiling)
    out = []
    for cve in data.vulnerabilities:
        value = misp_value(VULNERABILITY[0], cve)
        if value:
            out.append(_attribute(event_uuid, *VULNERABILITY, value, comment="Exploited in this incident.",
                                  timestamp=created, to_ids=False))
    for name, galaxy_uuid in data.entities.actors:
        value = misp_value(THREAT_ACTOR[0], galaxies.actor_value(name, galaxy_uuid))
        if value:
            out.append(_attribute(event_uuid, *THREAT_ACTOR, value, comment="Attributed in the reporting.",
                                  timestamp=created, to_ids=False))
    for article in data.articles:
        value = misp_value(REFERENCE[0], article.url)
        if value:
            title = " ".join((article.title or "").split())[:CONTEXT_CHARS]
            comment = f"Source: {article.publisher}: {title}" if article.publisher else f"Source: {title}"
            out.append(_attribute(event_uuid, *REFERENCE, value, comment=comment.rstrip(": "),
                                  timestamp=min(epoch(article.fetched_at), ceiling), to_ids=False))
    return out


def _ioc_order(entry: IOCEntry) -> tuple:
    return (entry.status != Status.CONFIRMED, entry.type, entry.value)


def build_event(data: EventData) -> dict:
    """``{"Event": {...}}`` with the keys in PyMISP's ``to_feed`` order."""
    header = event_header(data)
    event_uuid = data.threat.uuid
    ceiling = header["timestamp"]
    attributes, objects, seen_uuids = [], [], set()
    for entry in sorted(data.iocs, key=_ioc_order):  # confirmed first: it wins a (type, value) clash
        built = eth_object(event_uuid, entry, ceiling) if entry.type == IOCType.ETH else \
            ioc_attribute(event_uuid, entry, ceiling)
        if built is not None and built["uuid"] not in seen_uuids:
            seen_uuids.add(built["uuid"])
            (objects if "Attribute" in built else attributes).append(built)
    for attr in reference_attributes(data, event_uuid, ceiling):
        if attr["uuid"] not in seen_uuids:
            seen_uuids.add(attr["uuid"])
            attributes.append(attr)
    event = {
        "analysis": str(header["analysis"]), "date": header["date"], "extends_uuid": "", "info": header["info"],
        "protected": False, "publish_timestamp": str(header["timestamp"]),
        # MISP refuses a published event without attributes ("Received a published event that was empty").
        "published": bool(attributes or objects),
        "threat_level_id": str(header["threat_level_id"]), "timestamp": str(header["timestamp"]),
        "uuid": header["uuid"], "Orgc": header["Orgc"], "Tag": header["Tag"], "Attribute": attributes,
    }
    if objects:
        event["Object"] = objects
    return {"Event": event}


def hash_lines(event: dict) -> list[str]:
    """``hashes.csv`` lines as PyMISP's feed generator writes them (FORMATS.md 1.4): md5 of every
    attribute value as emitted, object attributes included, composite values split on ``|``."""
    body = event["Event"]
    attributes = list(body.get("Attribute", []))
    for obj in body.get("Object", []):
        attributes += obj.get("Attribute", [])
    lines = []
    for attr in attributes:
        parts = attr["value"].split("|") if "|" in attr["type"] or attr["type"] == "malware-sample" \
            else [attr["value"]]
        lines += [f"{hashlib.md5(part.encode()).hexdigest()},{body['uuid']}" for part in parts]  # noqa: S324
    return lines
