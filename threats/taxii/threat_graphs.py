"""Pages of the ``threats`` collection: every visible threat's full graph, each object listed once.

Each threat is a *slot* dated by its ``updated_at`` (``Threat.touch()`` moves it whenever IOCs or
entities are added or dropped). The slot holds the objects of the threat's bundle, built by the one
builder (:func:`threats.stix.graph.threat_bundle`), in bundle order. An object shared by several
threats (an indicator, a malware, the Identity, a relationship…) is listed once, in the slot of the
*latest* threat containing it. So a poller that resumes with ``added_after`` receives, for every
threat that changed since, its complete graph: each object is in that threat's slot or a later one.

Which later threats contain an object is answered without building their bundles: their entity
lists (one small query per link table, for all visible threats), the sightings of this threat's
IOCs in them (one query), and :func:`relationship_triples`, the builder's own relationship rules.
Order and keyset: (threat ``updated_at``, rank, threat id, index in the bundle). Never OFFSET.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q

from ..models import Malware, Sighting, Threat
from ..query import LISTED_STATUSES, load_threat_graph
from ..stix import marking_id, publisher_identity_id
from ..stix.graph import (
    actor_id,
    attack_pattern_id,
    malware_id,
    relationship_id,
    relationship_triples,
    report_id,
    threat_bundle,
    vulnerability_id,
)
from ..stix.indicators import indicator_id
from . import ids
from .pages import Entry, Page
from .params import ObjectQuery, Position

SLOT = 1
# Threats looked at per request before answering with what was found so far (more=true); a lookup of a
# relationship id looks at every threat, so that objects/{id}/ answers found or not found in one request.
SCAN_THREATS = 200
BATCH = 20


@dataclass
class Composition:
    """A threat's entity ids, as its bundle names them (indicators are asked for separately)."""

    tlp: int
    key: tuple
    actors: list[str] = field(default_factory=list)
    malware: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    vulns: list[str] = field(default_factory=list)

    def entity_ids(self) -> set[str]:
        return {*self.actors, *self.malware, *self.tools, *self.patterns, *self.vulns}


def compositions(clearance: int) -> dict[int, Composition]:
    """Every visible threat's tlp, keyset key and entity ids: five queries, however many threats."""
    rows = Threat.objects.filter(tlp__lte=clearance).values_list("id", "tlp", "updated_at")
    comp = {pk: Composition(tlp, (updated_at, pk)) for pk, tlp, updated_at in rows}
    links = (
        (Threat.actors.through, "threatactor", "actors", lambda name, kind: actor_id(name)),
        (Threat.attack_patterns.through, "attackpattern", "patterns", lambda tid, kind: attack_pattern_id(tid)),
        (Threat.vulnerabilities.through, "vulnerability", "vulns", lambda cve, kind: vulnerability_id(cve)),
    )
    fields = {"threatactor": "name", "attackpattern": "technique_id", "vulnerability": "cve_id"}
    for through, fk, attr, make in links:
        rows = through.objects.filter(threat__tlp__lte=clearance).order_by(f"{fk}__{fields[fk]}")
        for threat_id, key in rows.values_list("threat_id", f"{fk}__{fields[fk]}"):
            getattr(comp[threat_id], attr).append(make(key, None))
    rows = Threat.malware.through.objects.filter(threat__tlp__lte=clearance).order_by("malware__name")
    for threat_id, name, kind in rows.values_list("threat_id", "malware__name", "malware__kind"):
        (comp[threat_id].tools if kind == Malware.Kind.TOOL else comp[threat_id].malware).append(malware_id(name, kind))
    return comp


def _later_ids(threat_pk: int, comp: dict[int, Composition], ioc_keys: dict[int, str], clearance: int) -> set[str]:
    """Ids of this threat's objects that a later visible threat's bundle also holds (listed there)."""
    mine = comp[threat_pk]
    later = {pk: c for pk, c in comp.items() if c.key > mine.key}
    if not later:
        return set()
    taken = {publisher_identity_id()}
    if any(c.tlp == mine.tlp for c in later.values()):
        taken.add(marking_id(mine.tlp))
    shared_iocs: dict[int, list[str]] = defaultdict(list)
    if ioc_keys:
        for ioc_pk, other in (Sighting.objects.filter(ioc_id__in=list(ioc_keys), threat__tlp__lte=clearance)
                              .exclude(threat_id=threat_pk).values_list("ioc_id", "threat_id").distinct()):
            if other in later:
                shared_iocs[other].append(ioc_keys[ioc_pk])
    my_entities = mine.entity_ids()
    for pk, other in later.items():
        common = my_entities & other.entity_ids()
        inds = shared_iocs.get(pk, [])
        if not common and not inds:
            continue
        taken |= common
        taken.update(inds)
        taken.update(relationship_id(*t) for t in relationship_triples(
            inds, other.actors, other.malware, other.tools, other.patterns, other.vulns))
    return taken


def _candidates(query: ObjectQuery, comp: dict[int, Composition], clearance: int) -> set[int] | None:
    """The threats whose slot may hold one of ``match[id]``; None when any may (a relationship id: its
    endpoints cannot be read from it, so the whole collection is scanned for it)."""
    if not query.ids:
        return None
    wanted = set(query.ids)
    if any(i.startswith("relationship--") for i in wanted):
        return None
    found: set[int] = set()
    ordered = sorted(comp, key=lambda pk: comp[pk].key)
    if ordered and publisher_identity_id() in wanted:
        found.add(ordered[-1])  # the Identity is in every bundle: the latest threat lists it
    for level in {c.tlp for c in comp.values()}:
        if marking_id(level) in wanted:
            found.add(next(pk for pk in reversed(ordered) if comp[pk].tlp == level))
    for pk, threat_uuid in Threat.objects.filter(tlp__lte=clearance).values_list("id", "uuid"):
        if report_id(threat_uuid) in wanted:
            found.add(pk)
    for pk, c in comp.items():
        if c.entity_ids() & wanted:
            found.add(pk)
    if any(i.startswith("indicator--") for i in wanted):
        found.update(pk for pk in Sighting.objects.filter(ioc_id__in=ids.ioc_ids_for(wanted))
                     .values_list("threat_id", flat=True) if pk in comp)
    return found


def _threats(query: ObjectQuery, clearance: int, candidates: set[int] | None):
    qs = Threat.objects.filter(tlp__lte=clearance)
    if candidates is not None:
        qs = qs.filter(id__in=list(candidates))
    if query.added_after is not None:
        qs = qs.filter(updated_at__gt=query.added_after)
    if query.after is not None:
        qs = qs.filter(updated_at__gte=query.after.added).filter(
            Q(updated_at__gt=query.after.added) | Q(id__gte=query.after.pk))
    return qs.order_by("updated_at", "id").values_list("id", "public_id", "updated_at")


def _slot(threat_pk: int, public_id: str, clearance: int, comp, base_url: str) -> list[dict]:
    """The threat's bundle objects that this slot lists (those no later threat holds)."""
    graph = load_threat_graph(public_id, clearance, statuses=LISTED_STATUSES)
    ioc_keys = {row["id"]: indicator_id(row["type"], row["value"]) for row in graph.iocs}
    objects = threat_bundle(graph, base_url=base_url)["objects"]
    taken = _later_ids(threat_pk, comp, ioc_keys, clearance)
    return [obj if obj["id"] not in taken else None for obj in objects]


def threat_page(clearance: int, query: ObjectQuery, base_url: str) -> Page:
    """One page of the threats collection for a caller of ``clearance``."""
    comp = compositions(clearance)
    candidates = _candidates(query, comp, clearance)
    budget = SCAN_THREATS if candidates is not None or not query.ids else len(comp)
    entries: list[Entry] = []
    scanned = 0
    last: Position | None = None
    rows = _threats(query, clearance, candidates)
    for threat_pk, public_id, updated_at in rows.iterator(chunk_size=BATCH):
        if scanned >= budget or len(entries) > query.limit:
            return Page.cut(entries, query.limit, last)
        scanned += 1
        for index, obj in enumerate(_slot(threat_pk, public_id, clearance, comp, base_url)):
            position = Position(updated_at, SLOT, threat_pk, index)
            if query.after is not None and position <= query.after:
                continue
            last = position
            if obj is not None and query.accepts(obj):
                entries.append(Entry(position, obj))
    return Page.cut(entries, query.limit, None)
