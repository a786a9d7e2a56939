"""Galaxy tags: ``misp-galaxy:<galaxy>="<cluster value>"`` with the value MISP's galaxies use.

MISP's feed reader ignores ``Galaxy`` blocks and links clusters by tag name (FORMATS.md 1.3), so
the value must be the cluster's exact ``value``: "APT28", "Emotet", "PowerShell - T1059.001". We
resolve names, synonyms, galaxy uuids and ATT&CK ids against the misp-galaxy data that
``pymispgalaxies`` ships (read once per process, ~0.2 s, a few small dicts kept; each entity's
tags are then memoised). A name no galaxy knows still gets the tag with our own name: MISP keeps
it as a plain tag.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

# Located without importing pymispgalaxies: importing it pulls jsonschema's format checkers, which
# cost seconds at every process start (web workers, commands) for data we only read from disk.
CLUSTERS_DIR = (Path(importlib.util.find_spec("pymispgalaxies").submodule_search_locations[0])
                / "data" / "misp-galaxy" / "clusters")


@dataclass
class GalaxyIndex:
    galaxy: str
    by_name: dict[str, str] = field(default_factory=dict)  # lower-cased name or synonym -> value
    by_uuid: dict[str, str] = field(default_factory=dict)
    by_external_id: dict[str, str] = field(default_factory=dict)

    def find(self, name: str = "", galaxy_uuid=None, external_id: str = "") -> str | None:
        if galaxy_uuid and str(galaxy_uuid) in self.by_uuid:
            return self.by_uuid[str(galaxy_uuid)]
        if external_id and external_id.upper() in self.by_external_id:
            return self.by_external_id[external_id.upper()]
        return self.by_name.get(name.strip().lower()) if name else None


@cache
def index(galaxy: str) -> GalaxyIndex:
    idx = GalaxyIndex(galaxy)
    path = CLUSTERS_DIR / f"{galaxy}.json"
    if not path.exists():  # a pymispgalaxies without this galaxy: every name falls back to itself
        return idx
    for cluster in json.loads(path.read_text(encoding="utf-8")).get("values", []):
        value = cluster.get("value")
        if not value:
            continue
        meta = cluster.get("meta") or {}
        for name in (value, *(meta.get("synonyms") or [])):
            idx.by_name.setdefault(str(name).strip().lower(), value)
        if value.rsplit(" - ", 1)[0] != value:  # "Emotet - S0367": also findable as "Emotet"
            idx.by_name.setdefault(value.rsplit(" - ", 1)[0].strip().lower(), value)
        if cluster.get("uuid"):
            idx.by_uuid[str(cluster["uuid"])] = value
        ext_ids = meta.get("external_id") or []
        for ext in [ext_ids] if isinstance(ext_ids, str) else ext_ids:
            idx.by_external_id.setdefault(str(ext).upper(), value)
    return idx


def tag_name(galaxy: str, value: str) -> str:
    return f'misp-galaxy:{galaxy}="{value.replace(chr(34), chr(39))}"'


@cache
def actor_value(name: str, galaxy_uuid=None) -> str:
    """The threat-actor galaxy's value for this actor (aliases resolved), else our name."""
    return index("threat-actor").find(name, galaxy_uuid) or name


@cache
def actor_tags(name: str, galaxy_uuid=None) -> tuple[str, ...]:
    return (tag_name("threat-actor", actor_value(name, galaxy_uuid)),)


@cache
def malware_tags(name: str, kind: str, galaxy_uuid=None) -> tuple[str, ...]:
    """Malpedia (malware) or tool galaxy, plus MITRE's software entry when ATT&CK knows it."""
    primary = "tool" if kind == "tool" else "malpedia"
    tags = [tag_name(primary, index(primary).find(name, galaxy_uuid) or name)]
    for galaxy in ("mitre-malware", "mitre-tool"):
        value = index(galaxy).find(name, galaxy_uuid)
        if value:
            tags.append(tag_name(galaxy, value))
            break
    return tuple(tags)


@cache
def technique_tags(technique_id: str, name: str = "") -> tuple[str, ...]:
    """``mitre-attack-pattern="<name> - <id>"`` (the ATT&CK galaxy's own value, looked up by id)."""
    value = index("mitre-attack-pattern").find(external_id=technique_id)
    if value is None:
        value = f"{name} - {technique_id}" if name else technique_id
    return (tag_name("mitre-attack-pattern", value),)
