"""The full STIX 2.1 graph of one threat: Report, entities, Indicators and Relationships.

Built from a :class:`threats.query.ThreatGraph` with the shared builders of this package, as plain
dicts serialised once (10,000 indicators in a fraction of a second, FORMATS.md 2.5).

- Every object carries ``object_marking_refs`` to the TLP 2.0 marking of the bundle (the threat's
  TLP, or a stricter one asked for) and ``created_by_ref`` to the publisher's identity.
- Ids are deterministic (UUIDv5 of stable keys), so a second download has the same ids. Shared
  things keep one id in every threat's bundle: an indicator is keyed by its IOC, an actor by its
  name, a technique by its ATT&CK id, a relationship by (source, type, target).
- ``modified`` comes from the rows' ``updated_at`` (the Report's from ``Threat.updated_at``: code that
  adds IOCs or entities to a threat, or drops them, calls ``Threat.touch()``); a relationship never
  changes (it is only its endpoints and its type), so its ``modified`` is its ``created``: the later
  of its endpoints'. The bundle id is a digest of every object's id and version.
- Relationships, where the data supports them (FORMATS.md 2.3): each indicator ``indicates`` the
  threat's malware and tools (or, without any, its threat actors); each actor ``uses`` the malware,
  tools and techniques and ``targets`` the vulnerabilities; without an actor, malware ``uses`` the
  techniques and ``exploits`` the vulnerabilities.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.conf import settings

from apikeys.tlp import TLP

from .bundle import bundle, dumps
from .common import publisher_identity, stix_id, stix_time
from .indicators import indicator
from .markings import marking_definition, marking_id

if TYPE_CHECKING:
    from threats.query import ThreatGraph

ATTACK_URL = "https://attack.mitre.org/techniques/{}/"
NVD_URL = "https://nvd.nist.gov/vuln/detail/{}"


class LaxerMarkingRequested(ValueError):
    """A bundle may be marked stricter than its threat's TLP, never laxer."""


def effective_tlp(threat_tlp: int, requested: int | None) -> TLP:
    """The marking of the bundle: the threat's TLP, or ``requested`` if it is at least as strict."""
    threat_tlp = TLP(threat_tlp)
    if requested is None:
        return threat_tlp
    if TLP(requested) < threat_tlp:
        raise LaxerMarkingRequested(
            f"this threat is {threat_tlp.label}; a bundle may be marked stricter ({_stricter(threat_tlp)}) "
            f"but never laxer than that, so {TLP(requested).label} is refused"
        )
    return TLP(requested)


def _stricter(level: TLP) -> str:
    return ", ".join(t.slug for t in TLP if t >= level)


class _Builder:
    """Collects the objects of one bundle; ``created`` strings are kept for relationships."""

    def __init__(self, graph: ThreatGraph, level: TLP) -> None:
        self.graph = graph
        self.marking = marking_id(level)
        identity = publisher_identity(marking_id=self.marking)
        self.identity_id = identity["id"]
        self.head = [marking_definition(level), identity]
        self.objects: list[dict] = []
        self.created: dict[str, str] = {}

    def add(self, obj: dict) -> dict:
        self.objects.append(obj)
        self.created[obj["id"]] = obj["created"]
        return obj

    def sdo(self, stix_type: str, key: str, row, **props) -> dict:
        created = stix_time(row.created_at)
        modified = max(created, stix_time(row.updated_at))
        obj = {"type": stix_type, "spec_version": "2.1", "id": stix_id(stix_type, key),
               "created_by_ref": self.identity_id, "created": created, "modified": modified}
        obj.update({k: v for k, v in props.items() if v not in (None, "", [])})
        obj["object_marking_refs"] = [self.marking]
        return self.add(obj)

    def relate(self, source: str, relationship_type: str, target: str) -> None:
        created = max(self.created[source], self.created[target])
        self.objects.append({
            "type": "relationship", "spec_version": "2.1",
            "id": relationship_id(source, relationship_type, target),
            "created_by_ref": self.identity_id, "created": created, "modified": created,
            "relationship_type": relationship_type, "source_ref": source, "target_ref": target,
            "object_marking_refs": [self.marking],
        })


def actor_id(name: str) -> str:
    """Ids of shared things, keyed as every bundle keys them (TAXII computes them without a bundle)."""
    return stix_id("threat-actor", name.casefold())


def malware_id(name: str, kind: str) -> str:
    return stix_id("tool" if kind == "tool" else "malware", name.casefold())


def attack_pattern_id(technique_id: str) -> str:
    return stix_id("attack-pattern", technique_id)


def vulnerability_id(cve_id: str) -> str:
    return stix_id("vulnerability", cve_id)


def report_id(threat_uuid) -> str:
    return stix_id("report", threat_uuid)


def relationship_id(source: str, relationship_type: str, target: str) -> str:
    return stix_id("relationship", source, relationship_type, target)


def _entities(b: _Builder) -> tuple[list[str], list[str], list[str], list[str], list[str]]:
    g = b.graph
    actors = [b.sdo("threat-actor", a.name.casefold(), a, name=a.name, aliases=list(a.aliases),
                    description=a.description)["id"] for a in g.actors]
    malware, tools = [], []
    for m in g.malware:
        if m.kind == "tool":
            tools.append(b.sdo("tool", m.name.casefold(), m, name=m.name, aliases=list(m.aliases),
                               description=m.description)["id"])
        else:
            malware.append(b.sdo("malware", m.name.casefold(), m, name=m.name, is_family=m.is_family,
                                 aliases=list(m.aliases), description=m.description)["id"])
    patterns = [b.sdo(
        "attack-pattern", p.technique_id, p, name=p.name or p.technique_id,
        external_references=[{"source_name": "mitre-attack", "external_id": p.technique_id,
                              "url": ATTACK_URL.format(p.technique_id.replace(".", "/"))}],
        kill_chain_phases=[{"kill_chain_name": "mitre-attack", "phase_name": t} for t in p.tactics],
    )["id"] for p in g.attack_patterns]
    vulns = [b.sdo(
        "vulnerability", v.cve_id, v, name=v.cve_id, description=v.description,
        external_references=[{"source_name": "cve", "external_id": v.cve_id, "url": NVD_URL.format(v.cve_id)}],
    )["id"] for v in g.vulnerabilities]
    return actors, malware, tools, patterns, vulns


def relationship_triples(indicators: list[str], actors: list[str], malware: list[str], tools: list[str],
                         patterns: list[str], vulns: list[str]) -> Iterator[tuple[str, str, str]]:
    """(source, type, target) of every relationship of a graph with these object ids, in bundle order.

    The one statement of the rules (module docstring); TAXII uses it to know which threats share a
    relationship without building their bundles.
    """
    for target in (malware + tools) or actors:
        for ind in indicators:
            yield ind, "indicates", target
    for actor in actors:
        for target in malware + tools + patterns:
            yield actor, "uses", target
        for vuln in vulns:
            yield actor, "targets", vuln
    if not actors:
        for mal in malware:
            for pattern in patterns:
                yield mal, "uses", pattern
            for vuln in vulns:
                yield mal, "exploits", vuln


def _report(b: _Builder, base_url: str) -> dict:
    threat = b.graph.threat
    created = stix_time(threat.created_at)
    # The report changes when the threat does: whoever adds or removes IOCs or entities touches it.
    modified = max(created, stix_time(threat.updated_at))
    refs = [{"source_name": settings.ORG_NAME, "external_id": threat.public_id,
             "url": f"{base_url}/api/threats/{threat.public_id}/stix"}]
    for article in b.graph.articles:
        ref = {"source_name": article.publisher or "report", "url": article.url}
        if article.title:
            ref["description"] = article.title
        refs.append(ref)
    report = report_object(threat.uuid, title=threat.title, created=created, modified=modified,
                           identity_id=b.identity_id, marking=b.marking,
                           object_refs=[o["id"] for o in b.objects] or [b.identity_id], external_references=refs)
    if threat.summary:
        report["description"] = threat.summary
    return report


def report_object(threat_uuid, *, title: str, created: str, modified: str, identity_id: str, marking: str,
                  object_refs: list[str], **extra) -> dict:
    """A threat's Report: the live one above, and the revoked last version of a withdrawn threat
    (``threats.taxii.withdrawn``), so both carry the same id, name, dates and shape. ``extra``
    properties come before the marking."""
    return {
        "type": "report", "spec_version": "2.1", "id": report_id(threat_uuid),
        "created_by_ref": identity_id, "created": created, "modified": modified,
        "name": title, "report_types": ["threat-report"], "published": created,
        "object_refs": object_refs, **extra, "object_marking_refs": [marking],
    }


def threat_bundle(graph: ThreatGraph, *, tlp: int | None = None, base_url: str = "") -> dict:
    """The STIX 2.1 bundle of ``graph`` marked ``tlp`` (default: the threat's; stricter only, else
    :class:`LaxerMarkingRequested`). ``base_url`` (scheme and host) makes the Report's link absolute."""
    level = effective_tlp(graph.threat.tlp, tlp)
    b = _Builder(graph, level)
    actors, malware, tools, patterns, vulns = _entities(b)
    indicators = []
    for row in graph.iocs:
        indicators.append(b.add(indicator(row, marking_id=b.marking, created_by_ref=b.identity_id))["id"])
    for source, relationship_type, target in relationship_triples(indicators, actors, malware, tools, patterns, vulns):
        b.relate(source, relationship_type, target)
    report = _report(b, base_url.rstrip("/"))
    objects = [*b.head, report, *b.objects]
    return bundle(objects, bundle_id=_bundle_id(objects))


def _bundle_id(objects: list[dict]) -> str:
    """Same objects in the same versions, same bundle id: a digest of every id and version (not of
    relationships, whose ids and times follow from their endpoints') and of the marking."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(objects[0]["id"].encode())  # the marking definition
    digest.update("\n".join(f"{o['id']} {o['modified']}" for o in objects[1:] if o["type"] != "relationship").encode())
    return stix_id("bundle", digest.hexdigest())


def threat_bundle_json(graph: ThreatGraph, *, tlp: int | None = None, base_url: str = "") -> str:
    """:func:`threat_bundle`, serialised once."""
    return dumps(threat_bundle(graph, tlp=tlp, base_url=base_url))
