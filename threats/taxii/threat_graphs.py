"""Pages of the ``threats`` collection: every visible threat's full graph, each object listed once.

Three streams merged in (date added, rank, id, index) order, keyset-paged (never OFFSET):

- the TLP marking definitions up to the caller's clearance and the publisher's Identity (rank 0, dated
  by their constant ``created``);
- one *slot* per threat (rank 1), dated by its ``updated_at`` (``Threat.touch()`` moves it whenever IOCs
  or entities are added or dropped): its Report, entities and relationships, from the threat's bundle
  built by the one builder (:func:`threats.stix.graph.threat_bundle`), in bundle order. An entity or a
  relationship shared by several threats is listed once, in the slot of the *latest* threat holding
  it: a poller resuming with ``added_after`` receives, for every threat that changed since, its whole
  graph (each object is in that threat's slot or a later one);
- the indicators (rank 2) of the IOCs cited by visible threats (confirmed or pending review, as in the
  per-threat bundles), dated by the IOC's ``updated_at`` like in the indicator collections: a new verdict
  is a new version, added again; each is marked with the IOC's own TLP (the least restrictive of the
  threats citing it), so an indicator has one content in every collection;
- the Reports of threats deleted or merged away (rank 3), revoked, dated by the withdrawal
  (:mod:`.withdrawn`).

Which later threats hold an entity or a relationship is answered without building their bundles:
every threat's entity ids (cached per process while the link tables do not change), the sightings of
this threat's IOCs elsewhere (one query), and :func:`relationship_triples`, the builder's own rules.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace

from django.db.models import Count, Exists, Max, OuterRef

from apikeys.tlp import TLP
from iocs.models import IOC

from ..models import AttackPattern, Malware, Sighting, Threat, ThreatActor, Vulnerability
from ..query import LISTED_STATUSES, ThreatAboveClearance, ThreatNotFound, load_threat_graph
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
from .indicators import heads, indicator_stream, keyset, merge
from .pages import Entry, Page
from .params import ObjectQuery, Position
from .withdrawn import withdrawn_stream

SLOT, INDICATORS = 1, 2  # ranks: heads (0) sort first at an instant, then slots, then indicators
ELSEWHERE = frozenset({"indicator", "identity", "marking-definition"})  # objects with streams of their own
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
    """Ids of this threat's entities and relationships (``objects``, its bundle) that a later visible
    threat's bundle also holds."""
    key, mine = vis.keys[threat_pk], vis.of(threat_pk)
    taken: set[str] = set()
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
        common = mine.entities & other.entities
        taken |= common
        inds = shared_iocs.get(pk, [])
        if len(common) + len(inds) < 2:
            continue  # a relationship joins two objects: the other threat holds none of mine
        # The builder's rules on the other threat's lists: which of my relationships it holds too.
        taken.update(relationships[t] for t in relationship_triples(
            inds, other.actors, other.malware, other.tools, other.patterns, other.vulns) if t in relationships)
    return taken


def _candidates(query: ObjectQuery, vis: Visible, clearance: int) -> set[int] | None:
    """The threats whose slot may hold one of ``match[id]``; None when any may (a relationship id: its
    endpoints cannot be read from it, so every slot is scanned for it)."""
    if not query.ids:
        return None
    wanted = set(query.ids)
    if any(i.startswith("relationship--") for i in wanted):
        return None
    found: set[int] = set()
    for pk, threat_uuid in Threat.objects.filter(tlp__lte=clearance).values_list("id", "uuid"):
        if report_id(threat_uuid) in wanted:
            found.add(pk)
    for entity in wanted:
        found.update(pk for pk in vis.links.holders.get(entity, ()) if pk in vis.keys)
    return found


def _threats(query: ObjectQuery, clearance: int, candidates: set[int] | None):
    qs = Threat.objects.filter(tlp__lte=clearance)
    if candidates is not None:
        qs = qs.filter(id__in=list(candidates))
    if query.after is not None and query.after.rank == SLOT:  # resume inside the cursor's slot
        qs = keyset(qs, replace(query, after=replace(query.after, pk=query.after.pk - 1)), SLOT)
    else:
        qs = keyset(qs, query, SLOT)
    return qs.order_by("updated_at", "id").values_list("id", "public_id", "updated_at")


def _slot(threat_pk: int, public_id: str, clearance: int, vis: Visible, base_url: str) -> list[dict | None]:
    """The threat's bundle objects in bundle order; None for those listed elsewhere (indicators, the Identity,
    markings: their own streams; entities and relationships a later threat holds). Empty for a threat
    deleted, merged or made stricter since the page's list of threats was read."""
    try:
        graph = load_threat_graph(public_id, clearance, statuses=LISTED_STATUSES)
    except (ThreatNotFound, ThreatAboveClearance):
        return []
    ioc_keys = {row["id"]: indicator_id(row["type"], row["value"]) for row in graph.iocs}
    objects = threat_bundle(graph, base_url=base_url)["objects"]
    taken = _later_ids(threat_pk, vis, objects, ioc_keys, clearance)
    return [None if obj["type"] in ELSEWHERE or obj["id"] in taken else obj for obj in objects]


def _slots(clearance: int, query: ObjectQuery, base_url: str) -> tuple[list[Entry], Position | None]:
    """Slot entries past the cursor, and the horizon (the last position read) if the scan stopped early."""
    if query.types and not set(query.types) - ELSEWHERE:
        return [], None
    vis = visible(clearance)
    candidates = _candidates(query, vis, clearance)
    budget = SCAN_THREATS if candidates is not None or not query.ids else len(vis.keys)
    entries: list[Entry] = []
    last: Position | None = None
    for scanned, (threat_pk, public_id, updated_at) in enumerate(
            _threats(query, clearance, candidates).iterator(chunk_size=BATCH)):
        if scanned >= budget or len(entries) > query.limit:
            return entries, last
        for index, obj in enumerate(_slot(threat_pk, public_id, clearance, vis, base_url)):
            position = Position(updated_at, SLOT, threat_pk, index)
            if query.after is not None and position <= query.after:
                continue
            last = position
            if obj is not None and query.accepts(obj):
                entries.append(Entry(position, obj))
    return entries, None


def _cited_iocs(clearance: int):
    """The IOCs a visible threat's bundle lists: confirmed or pending, cited in a threat up to ``clearance``."""
    cited = Sighting.objects.filter(ioc_id=OuterRef("pk"), threat__tlp__lte=clearance)
    return IOC.objects.filter(status__in=LISTED_STATUSES, tlp__lte=clearance).filter(Exists(cited))


def threat_page(clearance: int, query: ObjectQuery, base_url: str) -> Page:
    """One page of the threats collection for a caller of ``clearance``."""
    levels = [level for level in TLP if level <= clearance]
    indicators, indicators_stop = indicator_stream(_cited_iocs(clearance), query, INDICATORS)
    slots, slots_stop = _slots(clearance, query, base_url)
    withdrawn, withdrawn_stop = withdrawn_stream(clearance, query)
    return merge(heads(levels, query) + slots + indicators + withdrawn, query.limit, indicators_stop, slots_stop,
                 withdrawn_stop)
