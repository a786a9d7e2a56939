"""Upserts of the named entities a threat links to: actors, malware and tools, techniques, CVEs.

Names are canonicalised through the galaxies when they are known there, so "Sofacy" from one MISP
event and "APT28" from an article end up on the same :class:`ThreatActor` row.
"""

from __future__ import annotations

import re
import uuid as uuidlib

from threats.models import AttackPattern, Malware, ThreatActor, Vulnerability

from . import galaxies

CVE_RE = re.compile(r"^CVE-\d{4}-\d{4,}$")
TECHNIQUE_RE = re.compile(r"^T\d{4}(?:\.\d{3})?$")


def _merge_aliases(row, aliases: list[str]) -> None:
    merged = list(row.aliases or [])
    for alias in aliases:
        if alias and alias != row.name and alias not in merged:
            merged.append(alias)
    if merged != row.aliases:
        row.aliases = merged
        row.save(update_fields=["aliases"])


def _uuid(value: str | None) -> uuidlib.UUID | None:
    try:
        return uuidlib.UUID(str(value)) if value else None
    except ValueError:
        return None


def actor(name: str, aliases: list[str] | None = None, description: str = "") -> ThreatActor:
    known = galaxies.lookup(galaxies.ACTOR, name)
    canonical = known.name if known else name.strip()[:200]
    row, created = ThreatActor.objects.get_or_create(name=canonical, defaults={
        "aliases": [], "description": (known.description if known else description)[:5000],
        "galaxy_uuid": _uuid(known.uuid) if known else None,
    })
    _merge_aliases(row, [*(known.aliases if known and created else []), *(aliases or []),
                         *([name.strip()] if name.strip() != canonical else [])])
    return row


def malware(name: str, *, kind: str = Malware.Kind.MALWARE, aliases: list[str] | None = None,
            is_family: bool = True, description: str = "") -> Malware:
    known = galaxies.lookup(galaxies.MALWARE, name)
    canonical = known.name if known else name.strip()[:200]
    if known:
        kind = Malware.Kind.TOOL if known.kind == galaxies.TOOL else Malware.Kind.MALWARE
    row, created = Malware.objects.get_or_create(name=canonical, defaults={
        "kind": kind, "aliases": [], "is_family": is_family,
        "description": (known.description if known else description)[:5000],
        "galaxy_uuid": _uuid(known.uuid) if known else None,
    })
    _merge_aliases(row, [*(known.aliases if known and created else []), *(aliases or []),
                         *([name.strip()] if name.strip() != canonical else [])])
    return row


def from_galaxy(entity: galaxies.GalaxyEntity) -> ThreatActor | Malware:
    if entity.kind == galaxies.ACTOR:
        return actor(entity.name)
    return malware(entity.name, kind=Malware.Kind.TOOL if entity.kind == galaxies.TOOL else Malware.Kind.MALWARE)


def attack_pattern(technique_id: str, name: str = "", tactics: list[str] | None = None) -> AttackPattern | None:
    technique_id = technique_id.strip().upper()
    if not TECHNIQUE_RE.match(technique_id):
        return None
    known_name, known_tactics = galaxies.attack_patterns().get(technique_id, ("", []))
    row, _ = AttackPattern.objects.get_or_create(technique_id=technique_id, defaults={
        "name": (name or known_name)[:200], "tactics": tactics or known_tactics})
    if not row.name and (name or known_name):
        row.name = (name or known_name)[:200]
        row.tactics = row.tactics or tactics or known_tactics
        row.save(update_fields=["name", "tactics"])
    return row


def vulnerability(cve_id: str, description: str = "") -> Vulnerability | None:
    cve_id = cve_id.strip().upper()
    if not CVE_RE.match(cve_id):
        return None
    row, _ = Vulnerability.objects.get_or_create(cve_id=cve_id, defaults={"description": description[:5000]})
    return row
