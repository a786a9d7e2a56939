"""Import MISP event JSON: ``{"Event": …}``, ``{"response": [{"Event": …}, …]}``, a list of those,
or a bare event.

Each event becomes a threat (its UUID is the event's, see :mod:`.imports`). Attributes, top-level and
inside objects, become IOCs by type (:data:`TYPES`; composite ``a|b`` types give each part its own
type), normalised with ``iocs.normalize``; values that do not normalise and types we do not keep
(file names, registry keys, mutexes…) are counted in ``ImportResult.skipped``. ``link`` attributes
are the event's references; ``vulnerability`` and ``threat-actor`` attributes are entities. Tags:
``tlp:*`` give the TLP, ``misp-galaxy:<galaxy>="<cluster>"`` tags and ``Galaxy`` clusters give actors,
malware, tools and ATT&CK techniques.
"""

from __future__ import annotations

import ipaddress
import re
import uuid as uuidlib
from collections.abc import Iterator
from datetime import UTC, datetime

from django.db import transaction

from iocs.normalize import WALLET_TYPES as WALLETS
from iocs.normalize import IOCType, infer_type
from threats.models import Malware

from . import entities, galaxies
from .imports import ImportResult, InvalidImport, Report, load_json, strictest, summary_of, tlp_from_tag, write_report
from .record import Findings, found_ioc

IP = "ip"
TYPES: dict[str, tuple[str | None, ...]] = {
    "ip-dst": (IP,), "ip-src": (IP,), "ip": (IP,),
    "domain": (IOCType.DOMAIN,), "hostname": (IOCType.DOMAIN,),
    "url": (IOCType.URL,),
    "md5": (IOCType.MD5,), "sha1": (IOCType.SHA1,), "sha256": (IOCType.SHA256,),
    "email": (IOCType.EMAIL,), "email-src": (IOCType.EMAIL,), "email-dst": (IOCType.EMAIL,),
    "btc": (IOCType.BTC,), "xmr": (IOCType.XMR,),
    "domain|ip": (IOCType.DOMAIN, IP),
    "ip-dst|port": (IP, None), "ip-src|port": (IP, None), "hostname|port": (IOCType.DOMAIN, None),
    "filename|md5": (None, IOCType.MD5), "filename|sha1": (None, IOCType.SHA1),
    "filename|sha256": (None, IOCType.SHA256),
}
ACTOR_GALAXIES = frozenset({"threat-actor", "mitre-intrusion-set", "mitre-enterprise-attack-intrusion-set",
                            "mitre-mobile-attack-intrusion-set", "mitre-pre-attack-intrusion-set",
                            "microsoft-activity-group", "360net-threat-actor", "mitre-ics-groups"})
TOOL_GALAXIES = frozenset({"tool", "mitre-tool", "mitre-enterprise-attack-tool", "mitre-mobile-attack-tool"})
MALWARE_GALAXIES = frozenset({"malpedia", "mitre-malware", "mitre-enterprise-attack-malware",
                              "mitre-mobile-attack-malware", "ransomware", "rat", "backdoor", "banker", "stealer",
                              "botnet", "android", "cryptominers", "mitre-ics-software"})
PATTERN_GALAXIES = frozenset({"mitre-attack-pattern", "mitre-enterprise-attack-attack-pattern",
                              "mitre-mobile-attack-attack-pattern", "mitre-pre-attack-attack-pattern"})
_GALAXY_TAG = re.compile(r'^misp-galaxy:([\w.-]+)="(.+)"$', re.DOTALL)
_TECHNIQUE = re.compile(r"\s+-\s+(T\d{4}(?:\.\d{3})?)$")
UUID_NAMESPACE = uuidlib.UUID("9a3c5f0e-4a1d-5b7e-8c2f-1d6e0b9a7c34")


def events_of(document: object, name: str) -> list[dict]:
    """The event dicts inside any of the wrappers MISP uses."""
    if isinstance(document, dict) and isinstance(document.get("response"), list):
        document = document["response"]
    items = document if isinstance(document, list) else [document]
    events = []
    for item in items:
        event = item.get("Event", item) if isinstance(item, dict) else None
        if not isinstance(event, dict) or "info" not in event:
            raise InvalidImport(f"{name}: not a MISP event (expected {{\"Event\": …}} or {{\"response\": […]}})")
        events.append(event)
    if not events:
        raise InvalidImport(f"{name}: no MISP event in the file")
    return events


def import_misp(data: bytes | str, *, name: str = "MISP event", default_tlp: int) -> ImportResult:
    """Import every event of a MISP JSON document, all or nothing."""
    events = events_of(load_json(data, name), name)
    result = ImportResult()
    with transaction.atomic():
        for event in events:
            report, skipped = event_report(event, default_tlp=default_tlp)
            outcome = write_report(report)
            outcome.skipped.update(skipped)
            result.add(outcome)
    return result


def _context(comment: str) -> str:
    """The sighting context in an attribute comment (ThreatCluster writes "…; Context: <sentence>")."""
    _, sep, context = comment.partition("Context: ")
    return context if sep else comment


def _attributes(event: dict) -> Iterator[tuple[dict, str]]:
    """(attribute, context) for top-level and object attributes, deleted ones left out. A wallet in a
    ``coin-address`` object (how Ethereum travels) is given the type ``address-crypto``."""
    for attribute in event.get("Attribute") or []:
        if not attribute.get("deleted"):
            yield attribute, _context(attribute.get("comment") or "") or attribute.get("category") or ""
    for obj in event.get("Object") or []:
        if obj.get("deleted"):
            continue
        for attribute in obj.get("Attribute") or []:
            if attribute.get("deleted"):
                continue
            context = _context(attribute.get("comment") or obj.get("comment") or "") or \
                f"{obj.get('name', 'object')}: {attribute.get('object_relation') or attribute.get('type')}"
            if obj.get("name") == "coin-address" and attribute.get("object_relation") in ("address-crypto", "address"):
                attribute = {**attribute, "type": "address-crypto"}
            yield attribute, context


def _ip_type(value: str) -> tuple[str, str] | None:
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None
    if network.num_addresses != 1:
        return None  # a range is not an IOC we keep
    address = network.network_address
    return (IOCType.IPV4 if address.version == 4 else IOCType.IPV6), str(address)


def _tag_names(item: dict) -> list[str]:
    return [t.get("name", "") for t in item.get("Tag") or [] if isinstance(t, dict)]


def _galaxy_pairs(event: dict) -> Iterator[tuple[str, str]]:
    """(galaxy type, cluster value) from galaxy tags (event and attributes) and Galaxy blocks."""
    tags = _tag_names(event) + [n for a, _ in _attributes(event) for n in _tag_names(a)]
    for tag in tags:
        match = _GALAXY_TAG.match(tag)
        if match:
            yield match.group(1), match.group(2)
    for galaxy in event.get("Galaxy") or []:
        for cluster in galaxy.get("GalaxyCluster") or []:
            if cluster.get("value"):
                yield galaxy.get("type", ""), cluster["value"]


def _entities(event: dict, findings: Findings) -> None:
    for galaxy, value in _galaxy_pairs(event):
        if galaxy in ACTOR_GALAXIES:
            findings.actors.append(entities.actor(value))
        elif galaxy in TOOL_GALAXIES:
            findings.malware.append(entities.malware(value, kind=Malware.Kind.TOOL))
        elif galaxy in MALWARE_GALAXIES:
            findings.malware.append(entities.malware(value))
        elif galaxy in PATTERN_GALAXIES:
            match = _TECHNIQUE.search(value)
            row = match and entities.attack_pattern(match.group(1), name=value[: match.start()])
            if row:
                findings.attack_patterns.append(row)
        elif galaxy == "branded-vulnerability" or value.upper().startswith("CVE-"):
            row = entities.vulnerability(value)
            if row:
                findings.vulnerabilities.append(row)
    prose = "\n".join([event.get("info", "")] + [a.get("comment", "") for a, _ in _attributes(event)])
    for entity in galaxies.find_entities(prose):
        row = entities.from_galaxy(entity)
        (findings.actors if entity.kind == galaxies.ACTOR else findings.malware).append(row)


def event_report(event: dict, *, default_tlp: int) -> tuple[Report, dict[str, int]]:
    """The event in our terms, and the counts of what was left out."""
    findings, skipped, references = Findings(), {}, []
    levels = [tlp_from_tag(t) for t in _tag_names(event)]
    for attribute, context in _attributes(event):
        kind, value = attribute.get("type", ""), str(attribute.get("value", ""))
        levels += [tlp_from_tag(t) for t in _tag_names(attribute)]
        if kind == "link":
            references.append((value, _link_title(attribute.get("comment") or "")))
            continue
        if kind == "address-crypto":
            guessed = infer_type(value)
            found = guessed and guessed[0] in WALLETS and found_ioc(guessed[0], guessed[1], context)
            if found:
                findings.iocs.append(found)
            else:
                skipped["invalid address-crypto"] = skipped.get("invalid address-crypto", 0) + 1
            continue
        if kind == "vulnerability":
            row = entities.vulnerability(value)
            if row:
                findings.vulnerabilities.append(row)
                continue
        if kind == "threat-actor" and value.strip():
            findings.actors.append(entities.actor(value))
            continue
        parts = TYPES.get(kind)
        if not parts:
            skipped[kind] = skipped.get(kind, 0) + 1
            continue
        for part_type, part in zip(parts, value.split("|") if len(parts) > 1 else [value], strict=False):
            if part_type is None:
                continue
            typed = _ip_type(part) if part_type == IP else (part_type, part)
            found = typed and found_ioc(typed[0], typed[1], context)
            if found:
                findings.iocs.append(found)
            else:
                skipped[f"invalid {kind}"] = skipped.get(f"invalid {kind}", 0) + 1
    _entities(event, findings)
    return Report(
        uuid=str(_event_uuid(event)), title=str(event.get("info", ""))[:500], published=_event_date(event),
        tlp=strictest(levels, default_tlp), publisher=str((event.get("Orgc") or {}).get("name", ""))[:255],
        summary=summary_of(_report_text(event)), references=references, findings=findings,
    ), skipped


def _link_title(comment: str) -> str:
    """ThreatCluster writes a reference's comment as "Source: <publisher>: <title>"; keep the title."""
    if not comment.startswith("Source: "):
        return comment
    rest = comment.removeprefix("Source: ")
    publisher, sep, title = rest.partition(": ")
    return title if sep and " " not in publisher else rest


def _event_uuid(event: dict) -> uuidlib.UUID:
    try:
        return uuidlib.UUID(str(event.get("uuid", "")))
    except ValueError:
        # No usable uuid: a stable one from what identifies the event, so a re-import finds it.
        key = f"{(event.get('Orgc') or {}).get('uuid', '')}|{event.get('info', '')}|{event.get('date', '')}"
        return uuidlib.uuid5(UUID_NAMESPACE, key)


def _event_date(event: dict) -> datetime:
    try:
        return datetime.strptime(str(event.get("date", "")), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        stamp = str(event.get("timestamp", ""))
        return datetime.fromtimestamp(int(stamp), tz=UTC) if stamp.isascii() and stamp.isdigit() else datetime.now(UTC)


def _report_text(event: dict) -> str:
    """The event's own prose: its EventReports when present, else its info."""
    reports = [r.get("content", "") for r in event.get("EventReport") or [] if not r.get("deleted")]
    return "\n\n".join(r for r in reports if r) or str(event.get("info", ""))
