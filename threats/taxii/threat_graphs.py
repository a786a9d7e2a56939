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

from django.db.models import Count, Max, Q

from ..models import AttackPattern, Malware, Sighting, Threat, ThreatActor, Vulnerability
from ..query import LISTED_STATUSES, load_threat_graph
from ..stix import marking_id, publisher_identity_id
from ..stix.graph import (
    actor_id,
    attack_pattern_id,
    malware_id,
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
class Links:
    """One threat's entity ids, as its bundle names them (indicators are asked for separately)."""

    actors: list[str] = field(default_factory=list)
    malware: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    vulns: list[str] = field(default_factory=list)
    entities: frozenset[str] = frozenset()


NO_LINKS = Links()


@dataclass
class AllLinks:
    """Every threat's entity ids, and which threats hold each entity."""

    by_threat: dict[int, Links]
    holders: dict[str, list[int]]


@dataclass
class Visible:
    """The threats a caller sees, with their keyset keys (read fresh on every request) and links."""

    keys: dict[int, tuple]
    tlps: dict[int, int]
    links: AllLinks

    def of(self, pk: int) -> Links:
        return self.links.by_threat.get(pk, NO_LINKS)


_cache: list[tuple[tuple, AllLinks]] = []  # this process's copy, with the state it was loaded at


def _state() -> tuple:
    """Changes whenever a threat's links could: a link added or removed (the link tables' highest id and
    count) or an entity renamed (the entities' newest ``updated_at``). Eight small aggregates."""
    parts: list = []
    for through in (Threat.actors.through, Threat.malware.through, Threat.attack_patterns.through,
                    Threat.vulnerabilities.through):
        parts += through.objects.aggregate(m=Max("id"), c=Count("id")).values()
    for model in (ThreatActor, Malware, AttackPattern, Vulnerability):
        parts.append(model.objects.aggregate(m=Max("updated_at"))["m"])
    return tuple(parts)


def all_links() -> AllLinks:
    """Every threat's entity ids: four queries over every link, kept in this process while
    :func:`_state` does not change (a poller pages through the collection with many requests)."""
    state = _state()
    if _cache and _cache[0][0] == state:
        return _cache[0][1]
    by_threat: dict[int, Links] = defaultdict(Links)
    for through, column, attr, make in (
        (Threat.actors.through, "threatactor__name", "actors", actor_id),
        (Threat.attack_patterns.through, "attackpattern__technique_id", "patterns", attack_pattern_id),
        (Threat.vulnerabilities.through, "vulnerability__cve_id", "vulns", vulnerability_id),
    ):
        known: dict[str, str] = {}  # one id per entity, however many threats name it
        for threat_id, key in through.objects.order_by(column).values_list("threat_id", column):
            if key not in known:
                known[key] = make(key)
            getattr(by_threat[threat_id], attr).append(known[key])
    known_malware: dict[tuple[str, str], str] = {}
    for threat_id, name, kind in (Threat.malware.through.objects.order_by("malware__name")
                                  .values_list("threat_id", "malware__name", "malware__kind")):
        if (name, kind) not in known_malware:
            known_malware[name, kind] = malware_id(name, kind)
        links = by_threat[threat_id]
        (links.tools if kind == Malware.Kind.TOOL else links.malware).append(known_malware[name, kind])
    holders: dict[str, list[int]] = defaultdict(list)
    for pk, links in by_threat.items():
        links.entities = frozenset((*links.actors, *links.malware, *links.tools, *links.patterns, *links.vulns))
        for entity in links.entities:
            holders[entity].append(pk)
    loaded = AllLinks(dict(by_threat), dict(holders))
    _cache[:] = [(state, loaded)]
    return loaded


def visible(clearance: int) -> Visible:
    rows = Threat.objects.filter(tlp__lte=clearance).values_list("id", "tlp", "updated_at")
    keys, tlps = {}, {}
    for pk, tlp, updated_at in rows:
        keys[pk], tlps[pk] = (updated_at, pk), tlp
    return Visible(keys, tlps, all_links())


def _later_ids(threat_pk: int, vis: Visible, objects: list[dict], ioc_keys: dict[int, str],
               clearance: int) -> set[str]:
    """Ids of this threat's objects (``objects``, its bundle) that a later visible threat's bundle also holds."""
    key, tlp, mine = vis.keys[threat_pk], vis.tlps[threat_pk], vis.of(threat_pk)
    later = [pk for pk, k in vis.keys.items() if k > key]
    taken: set[str] = set()
    if later:
        taken.add(publisher_identity_id())
    if any(vis.tlps[pk] == tlp for pk in later):
        taken.add(marking_id(tlp))
    shared_iocs: dict[int, list[str]] = defaultdict(list)
    if ioc_keys:
        for ioc_pk, other in (Sighting.objects.filter(ioc_id__in=list(ioc_keys), threat__tlp__lte=clearance)
                              .exclude(threat_id=threat_pk).values_list("ioc_id", "threat_id").distinct()):
            if other in vis.keys and vis.keys[other] > key:
                shared_iocs[other].append(ioc_keys[ioc_pk])
    sharing = {pk for entity in mine.entities for pk in vis.links.holders.get(entity, ())
               if pk in vis.keys and vis.keys[pk] > key}
    relationships = {(o["source_ref"], o["relationship_type"], o["target_ref"]): o["id"]
                     for o in objects if o["type"] == "relationship"}
    for pk in sharing | set(shared_iocs):
        other = vis.of(pk)
        inds = shared_iocs.get(pk, [])
        common = mine.entities & other.entities
        taken |= common
        taken.update(inds)
        if len(common) + len(inds) < 2:
            continue  # a relationship joins two objects: the other threat holds none of mine
        # The builder's rules on the other threat's lists: which of my relationships it holds too.
        taken.update(relationships[t] for t in relationship_triples(
            inds, other.actors, other.malware, other.tools, other.patterns, other.vulns) if t in relationships)
    return taken


def _candidates(query: ObjectQuery, vis: Visible, clearance: int) -> set[int] | None:
    """The threats whose slot may hold one of ``match[id]``; None when any may (a relationship id: its
    endpoints cannot be read from it, so the whole collection is scanned for it)."""
    if not query.ids:
        return None
    wanted = set(query.ids)
    if any(i.startswith("relationship--") for i in wanted):
        return None
    found: set[int] = set()
    ordered = sorted(vis.keys, key=vis.keys.__getitem__)
    if ordered and publisher_identity_id() in wanted:
        found.add(ordered[-1])  # the Identity is in every bundle: the latest threat lists it
    for level in set(vis.tlps.values()):
        if marking_id(level) in wanted:
            found.add(next(pk for pk in reversed(ordered) if vis.tlps[pk] == level))
    for pk, threat_uuid in Threat.objects.filter(tlp__lte=clearance).values_list("id", "uuid"):
        if report_id(threat_uuid) in wanted:
            found.add(pk)
    for entity in wanted:
        found.update(pk for pk in vis.links.holders.get(entity, ()) if pk in vis.keys)
    if any(i.startswith("indicator--") for i in wanted):
        found.update(pk for pk in Sighting.objects.filter(ioc_id__in=ids.ioc_ids_for(wanted))
                     .values_list("threat_id", flat=True) if pk in vis.keys)
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


def _slot(threat_pk: int, public_id: str, clearance: int, vis: Visible, base_url: str) -> list[dict]:
    """The threat's bundle objects that this slot lists (those no later threat holds)."""
    graph = load_threat_graph(public_id, clearance, statuses=LISTED_STATUSES)
    ioc_keys = {row["id"]: indicator_id(row["type"], row["value"]) for row in graph.iocs}
    objects = threat_bundle(graph, base_url=base_url)["objects"]
    taken = _later_ids(threat_pk, vis, objects, ioc_keys, clearance)
    return [obj if obj["id"] not in taken else None for obj in objects]


def threat_page(clearance: int, query: ObjectQuery, base_url: str) -> Page:
    """One page of the threats collection for a caller of ``clearance``."""
    vis = visible(clearance)
    candidates = _candidates(query, vis, clearance)
    budget = SCAN_THREATS if candidates is not None or not query.ids else len(vis.keys)
    entries: list[Entry] = []
    scanned = 0
    last: Position | None = None
    rows = _threats(query, clearance, candidates)
    for threat_pk, public_id, updated_at in rows.iterator(chunk_size=BATCH):
        if scanned >= budget or len(entries) > query.limit:
            return Page.cut(entries, query.limit, last)
        scanned += 1
        for index, obj in enumerate(_slot(threat_pk, public_id, clearance, vis, base_url)):
            position = Position(updated_at, SLOT, threat_pk, index)
            if query.after is not None and position <= query.after:
                continue
            last = position
            if obj is not None and query.accepts(obj):
                entries.append(Entry(position, obj))
    return Page.cut(entries, query.limit, None)
