"""Import a STIX 2.1 bundle: Reports, Indicators (patterns), observables, ThreatActors/IntrusionSets,
Malware, Tools, AttackPatterns, Vulnerabilities, Relationships and TLP markings.

Each Report becomes a threat (UUID of the report id) holding its ``object_refs`` and whatever a
Relationship ties to them; a bundle without a Report is one threat (UUID of the bundle id). IOCs
come from indicator patterns (every ``[object:property = 'value']`` comparison of a STIX pattern,
see :data:`PATHS`) and from observables of the same kinds, normalised with ``iocs.normalize``.
TLP: TLP 1.0 and 2.0 marking ids, or marking-definition objects in the bundle (see :mod:`.imports`).
"""

from __future__ import annotations

import re
import uuid as uuidlib
from collections.abc import Iterable
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction

from apikeys.tlp import TLP
from iocs.normalize import IOCType, infer_type
from threats.models import Malware

from . import entities
from .imports import ImportResult, InvalidImport, Report, load_json, strictest, summary_of, write_report
from .record import Findings, FoundIOC, found_ioc

TLP_MARKINGS = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLP.CLEAR,  # TLP 1.0 white
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": TLP.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": TLP.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": TLP.RED,
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": TLP.CLEAR,  # TLP 2.0
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": TLP.GREEN,
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": TLP.AMBER,
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": TLP.AMBER_STRICT,
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": TLP.RED,
}
# Object paths of a pattern comparison -> IOC type (None: infer from the value, for wallets).
PATHS = {
    "ipv4-addr:value": IOCType.IPV4, "ipv6-addr:value": IOCType.IPV6, "domain-name:value": IOCType.DOMAIN,
    "url:value": IOCType.URL, "email-addr:value": IOCType.EMAIL, "email-message:from_ref.value": IOCType.EMAIL,
    "email-message:sender_ref.value": IOCType.EMAIL,
    "file:hashes.md5": IOCType.MD5, "file:hashes.sha-1": IOCType.SHA1, "file:hashes.sha1": IOCType.SHA1,
    "file:hashes.sha-256": IOCType.SHA256, "file:hashes.sha256": IOCType.SHA256,
    "cryptocurrency-wallet:value": None, "x-opencti-cryptocurrency-wallet:value": None,
    "x-cryptocurrency-wallet:value": None,
}
_COMPARISON = re.compile(r"([a-z0-9-]+):([\w.'-]+)\s*(?:=|IN)\s*'((?:[^'\\]|\\.)*)'", re.IGNORECASE)
_HASH_KEYS = {"md5": IOCType.MD5, "sha-1": IOCType.SHA1, "sha1": IOCType.SHA1, "sha-256": IOCType.SHA256,
              "sha256": IOCType.SHA256}
SCO_VALUE_TYPES = {"ipv4-addr": IOCType.IPV4, "ipv6-addr": IOCType.IPV6, "domain-name": IOCType.DOMAIN,
                   "url": IOCType.URL, "email-addr": IOCType.EMAIL}
_THREAT_LINK = re.compile(r"/api/threats/[0-9a-f]{8}/stix$")
ENTITY_TYPES = frozenset({"threat-actor", "intrusion-set", "malware", "tool", "attack-pattern", "vulnerability"})


def pattern_iocs(pattern: str, context: str = "") -> list[FoundIOC]:
    """The IOCs a STIX pattern compares against (every supported ``path = 'value'`` in it)."""
    found = []
    for obj, prop, raw in _COMPARISON.findall(pattern or ""):
        path = f"{obj.lower()}:{prop.replace(chr(39), '').lower()}"
        if path not in PATHS:
            continue
        value = raw.replace("\\'", "'").replace("\\\\", "\\")
        ioc_type = PATHS[path]
        if ioc_type is None:
            guessed = infer_type(value)
            ioc_type = guessed[0] if guessed and guessed[0] in (IOCType.BTC, IOCType.ETH, IOCType.XMR) else None
        item = ioc_type and found_ioc(ioc_type, value, context)
        if item:
            found.append(item)
    return found


def pattern_names_value(obj: dict) -> bool:
    name = obj.get("name") or ""
    return bool(name) and f"'{name}'" in (obj.get("pattern") or "")


def _sco_iocs(obj: dict) -> list[FoundIOC]:
    kind = obj.get("type", "")
    if kind in SCO_VALUE_TYPES:
        item = found_ioc(SCO_VALUE_TYPES[kind], str(obj.get("value", "")))
        return [item] if item else []
    if kind == "file":
        items = [found_ioc(_HASH_KEYS[k.lower()], str(v)) for k, v in (obj.get("hashes") or {}).items()
                 if k.lower() in _HASH_KEYS]
        return [i for i in items if i]
    if kind.endswith("cryptocurrency-wallet"):
        guessed = infer_type(str(obj.get("value", "")))
        item = guessed and found_ioc(guessed[0], guessed[1])
        return [item] if item else []
    return []


def _uuid_of(stix_id: str) -> str:
    try:
        return str(uuidlib.UUID(stix_id.split("--", 1)[1]))
    except (IndexError, ValueError) as exc:
        raise InvalidImport(f"not a STIX id: {stix_id[:100]!r}") from exc


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _marking_levels(objects: dict[str, dict]) -> dict[str, TLP]:
    levels = dict(TLP_MARKINGS)
    for oid, obj in objects.items():
        if obj.get("type") != "marking-definition" or oid in levels:
            continue
        tlp = (obj.get("definition") or {}).get("tlp") if obj.get("definition_type") == "tlp" else None
        for ext in (obj.get("extensions") or {}).values():
            tlp = tlp or (ext or {}).get("tlp_2_0")
        tlp = tlp or (obj.get("name", "") if obj.get("name", "").upper().startswith("TLP:") else None)
        try:
            if tlp:
                levels[oid] = TLP.from_slug(tlp)
        except ValueError:
            continue
    return levels


def _members(root: dict, objects: dict[str, dict], relationships: list[dict]) -> list[dict]:
    """The report's referenced objects plus anything a relationship ties to them (one hop)."""
    ids = set(root.get("object_refs") or [])
    for rel in relationships:
        if rel.get("source_ref") in ids or rel.get("target_ref") in ids:
            ids.update({rel.get("source_ref"), rel.get("target_ref"), rel.get("id")})
    return [objects[i] for i in ids if i in objects]


def _entity(obj: dict, findings: Findings) -> None:
    kind, name = obj.get("type"), str(obj.get("name", "")).strip()
    if kind in ("threat-actor", "intrusion-set") and name:
        findings.actors.append(entities.actor(name, aliases=list(obj.get("aliases") or []),
                                              description=obj.get("description", "")))
    elif kind in ("malware", "tool") and name:
        findings.malware.append(entities.malware(
            name, kind=Malware.Kind.TOOL if kind == "tool" else Malware.Kind.MALWARE,
            aliases=list(obj.get("aliases") or []), is_family=bool(obj.get("is_family", True)),
            description=obj.get("description", "")))
    elif kind == "attack-pattern":
        ref = next((r for r in obj.get("external_references") or [] if r.get("source_name") == "mitre-attack"), {})
        tactics = [p["phase_name"] for p in obj.get("kill_chain_phases") or [] if p.get("phase_name")]
        row = entities.attack_pattern(ref.get("external_id", ""), name=name, tactics=tactics)
        if row:
            findings.attack_patterns.append(row)
    elif kind == "vulnerability":
        ref = next((r for r in obj.get("external_references") or [] if r.get("source_name") == "cve"), {})
        row = entities.vulnerability(ref.get("external_id") or name, description=obj.get("description", ""))
        if row:
            findings.vulnerabilities.append(row)


def _report(root: dict, members: Iterable[dict], levels: dict[str, TLP], default_tlp: int,
            publisher: str) -> Report:
    findings, marks = Findings(), []
    for obj in [root, *members]:
        marks += [levels.get(m) for m in obj.get("object_marking_refs") or []]
        if obj.get("type") == "indicator" and obj.get("pattern_type", "stix") == "stix":
            name = obj.get("name") or ""
            # An indicator named after its own value (ThreatCluster's) says more in its description.
            context = obj.get("description") or name if pattern_names_value(obj) else name or obj.get("description", "")
            findings.iocs += pattern_iocs(obj.get("pattern", ""), context)
        elif obj.get("type") in ENTITY_TYPES:
            _entity(obj, findings)
        else:
            findings.iocs += _sco_iocs(obj)
    references, public_id, ours = [], "", False
    for ref in root.get("external_references") or []:
        if _THREAT_LINK.search(ref.get("url", "")) and ref.get("external_id"):
            # A ThreatCluster export's link to its own threat: an id to keep, not a report to cite.
            public_id, ours = ref["external_id"], ref.get("source_name") == settings.ORG_NAME
        elif ref.get("url") and ref.get("source_name") not in ("mitre-attack", "cve", "capec"):
            references.append((ref["url"], ref.get("description") or ref.get("source_name", "")))
    published = _when(root.get("published")) or _when(root.get("created")) or datetime.now(UTC)
    return Report(uuid=_uuid_of(root["id"]), title=str(root.get("name", ""))[:500] or "STIX bundle",
                  published=published, tlp=strictest(marks, default_tlp), publisher=publisher,
                  summary=summary_of(root.get("description", "")), references=references, findings=findings,
                  public_id=public_id, ours=ours)


def import_stix(data: bytes | str, *, name: str = "STIX bundle", default_tlp: int) -> ImportResult:
    """Import a STIX 2.1 bundle, all or nothing."""
    bundle = load_json(data, name)
    if not isinstance(bundle, dict) or bundle.get("type") != "bundle" or not isinstance(bundle.get("objects"), list):
        raise InvalidImport(f"{name}: not a STIX 2.1 bundle (expected {{\"type\": \"bundle\", \"objects\": […]}})")
    objects = {o["id"]: o for o in bundle["objects"] if isinstance(o, dict) and isinstance(o.get("id"), str)}
    levels = _marking_levels(objects)
    relationships = [o for o in objects.values() if o.get("type") == "relationship"]
    identities = {i: o.get("name", "") for i, o in objects.items() if o.get("type") == "identity"}
    reports = [o for o in objects.values() if o.get("type") == "report"]
    if not reports:  # the whole bundle is one report
        reports = [{"id": bundle.get("id", ""), "type": "report", "name": _bundle_title(objects.values()),
                    "object_refs": list(objects)}]
    result = ImportResult()
    with transaction.atomic():
        for root in reports:
            publisher = identities.get(root.get("created_by_ref", ""), "")
            result.add(write_report(_report(root, _members(root, objects, relationships), levels, default_tlp,
                                            publisher)))
    return result


def _bundle_title(objects: Iterable[dict]) -> str:
    names = [o.get("name") for o in objects if o.get("type") in ENTITY_TYPES and o.get("name")]
    return f"STIX bundle: {', '.join(names[:3])}" if names else "STIX bundle"
