"""Reverse lookup: is this value a known IOC, and which clusters cite it?

Part of the IOC app's API layer, so it may read ``threats.models`` (DESIGN.md). One query path for
one value or a hundred; what it reads:

1. the IOCs, by ``(type, normalised value)`` on the ``ioc_unique_type_value`` index, visible at the
   caller's clearance, false positives excluded (the global rule: a false positive is never
   published, so the lookup answers ``found: false`` for it as for a value never seen);
2. their clusters, through ``Sighting`` (index on ``ioc_id``) to ``Threat`` (primary key), filtered
   by the caller's TLP clearance, newest ``last_seen`` first, cut at ``limit + 1`` per IOC in SQL,
   so a value cited by thousands of clusters returns ``limit + 1`` rows.

On PostgreSQL both parts are one hand-written statement (:func:`lookup_statement`: the keys as two
arrays, the clusters a ``LATERAL`` top-N per IOC): the lookup is the API's hot path, and one round
trip with no ORM compilation took 0.49 ms per value against 1.21 ms for the two statements at
1,000,000 IOCs (``bench/lookup_explain.py``), and as a prepared statement with a generic plan
(:mod:`.prepared`) it skips PostgreSQL's planning, most of what was left: 0.32 ms. SQLite (the
embedded default) has neither arrays nor ``LATERAL`` and takes the portable two statements
(:func:`iocs_queryset`, :func:`cluster_query`); ``tests/test_lookup_statements_agree.py`` holds the
two to the same answers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import connections, router
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from iocs.models import IOC, Status
from threats.models import Sighting, Threat

from . import memo as memo_of_lookups
from . import prepared
from .triggers import key_digest

IOC_FIELDS = ("id", "type", "value", "status", "confidence", "reason", "tlp", "first_seen", "last_seen")
CLUSTER_FIELDS = ("id", "public_id", "title", "threat_score", "tlp", "first_seen", "last_seen")


@dataclass(frozen=True)
class LookupKey:
    """A value already normalised for its type: what the IOC table is keyed on."""

    type: str
    value: str


@dataclass
class LookupResult:
    key: LookupKey
    ioc: dict | None = None
    clusters: list[dict] = field(default_factory=list)
    more_clusters: bool = False

    @property
    def found(self) -> bool:
        return self.ioc is not None


def iocs_queryset(keys: Iterable[LookupKey], clearance: int) -> QuerySet:
    """The visible, non-false-positive IOCs among ``keys`` (non-empty): one index probe per type."""
    by_type: dict[str, set[str]] = defaultdict(set)
    for key in keys:
        by_type[key.type].add(key.value)
    condition = Q()
    for ioc_type, values in sorted(by_type.items()):
        condition |= Q(type=ioc_type, value__in=sorted(values))
    return (IOC.objects.visible_to(clearance).exclude(status=Status.FALSE_POSITIVE)
            .filter(condition).values(*IOC_FIELDS))


def find_iocs(keys: list[LookupKey], clearance: int) -> dict[LookupKey, dict]:
    if not keys:
        return {}
    return {LookupKey(row["type"], row["value"]): row for row in iocs_queryset(keys, clearance)}


def _cluster_sql(n_iocs: int) -> str:
    """The clusters of ``n_iocs`` IOCs: a sightings index scan, each threat read by primary key.

    Hand-written (with bound parameters) because it is the hot path: Django takes longer to
    compile the equivalent window + correlated-subquery queryset (~5 ms) than PostgreSQL takes to
    run it (~0.3 ms). The threat fields are correlated subqueries on the threat's primary key, so
    the planner has no join to choose: a plain join made PostgreSQL hash the whole threats table
    for a 100-value batch (a sequential scan, 20-30 ms at 10,000 threats, against ~2 ms this way).
    ``DENSE_RANK`` gives the several sightings of one IOC in one cluster (one per article) the same
    rank, so after ``DISTINCT`` each IOC keeps exactly its ``limit + 1`` newest clusters.
    """
    sighting, threat = Sighting._meta.db_table, Threat._meta.db_table
    # Only constant identifiers are interpolated; every value is a bound parameter.
    fields = ", ".join(f"(SELECT t.{name} FROM {threat} t WHERE t.id = s.threat_id) AS {name}"  # noqa: S608
                       for name in CLUSTER_FIELDS)
    marks = ", ".join(["%s"] * n_iocs)
    return (
        f"SELECT ioc_id, {', '.join(CLUSTER_FIELDS)} FROM ("  # noqa: S608
        f" SELECT DISTINCT ioc_id, {', '.join(CLUSTER_FIELDS)}, DENSE_RANK() OVER"
        f" (PARTITION BY ioc_id ORDER BY last_seen DESC, id DESC) AS position FROM ("
        f"  SELECT s.ioc_id, {fields} FROM {sighting} s WHERE s.ioc_id IN ({marks})) cited"
        f" WHERE tlp <= %s) ranked "
        f"WHERE position <= %s"
    )


def _aware(value) -> datetime:
    """A raw cursor gives SQLite's text (or a naive datetime); the ORM would give an aware UTC one."""
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if timezone.is_aware(value) else timezone.make_aware(value, UTC)


def cluster_query(ioc_ids: list[int], clearance: int, limit: int) -> tuple[str, list]:
    """SQL and parameters of the cluster query (the test and the bench EXPLAIN it)."""
    return _cluster_sql(len(ioc_ids)), [*ioc_ids, int(clearance), limit + 1]


def clusters_of(ioc_ids: list[int], clearance: int, limit: int) -> dict[int, list[dict]]:
    """Each IOC's visible clusters, newest ``last_seen`` first, at most ``limit + 1``."""
    if not ioc_ids:
        return {}
    sql, params = cluster_query(ioc_ids, clearance, limit)
    out: dict[int, list[dict]] = defaultdict(list)
    with connections[router.db_for_read(Threat)].cursor() as cursor:
        cursor.execute(sql, params)
        for ioc_id, *values in cursor.fetchall():
            row = dict(zip(CLUSTER_FIELDS, values, strict=True))
            row["first_seen"], row["last_seen"] = _aware(row["first_seen"]), _aware(row["last_seen"])
            out[ioc_id].append(row)
    for rows in out.values():
        rows.sort(key=lambda r: (r["last_seen"], r["id"]), reverse=True)
    return out


_IOC_COLUMNS = ", ".join(f"i.{name}" for name in IOC_FIELDS)
_CLUSTER_COLUMNS = ", ".join(f"t.{name}" for name in CLUSTER_FIELDS)


def lookup_statement(keys: Iterable[LookupKey], clearance: int, limit: int) -> tuple[str, dict]:
    """PostgreSQL: the IOCs among ``keys`` and each one's ``limit + 1`` newest visible clusters, one
    row per (IOC, cluster) and one with NULL cluster columns for an IOC no visible cluster cites.

    ``t.id IN (sightings of this IOC)`` makes the clusters distinct (an IOC is sighted once per
    article, several times in one cluster) before the cut, as the portable query's ``DENSE_RANK``
    does. Only constant identifiers are interpolated; keys and numbers are bound parameters.
    """
    unique = sorted(set(keys), key=lambda k: (k.type, k.value))
    ioc, sighting, threat = IOC._meta.db_table, Sighting._meta.db_table, Threat._meta.db_table
    sql = (
        f"SELECT {_IOC_COLUMNS}, {_CLUSTER_COLUMNS} FROM {ioc} i"  # noqa: S608
        " JOIN unnest(%(types)s::text[], %(values)s::text[]) AS k(type, value)"
        " ON i.type = k.type AND i.value = k.value"
        " LEFT JOIN LATERAL ("
        f"  SELECT {', '.join(CLUSTER_FIELDS)} FROM {threat}"
        f"  WHERE id IN (SELECT s.threat_id FROM {sighting} s WHERE s.ioc_id = i.id) AND tlp <= %(clearance)s"
        "   ORDER BY last_seen DESC, id DESC LIMIT %(cut)s) t ON true"
        " WHERE i.tlp <= %(clearance)s AND i.status <> %(false_positive)s"
    )
    return sql, {"types": [k.type for k in unique], "values": [k.value for k in unique],
                 "clearance": int(clearance), "cut": limit + 1, "false_positive": str(Status.FALSE_POSITIVE)}


def _lookup_one_statement(keys: list[LookupKey], clearance: int, limit: int
                          ) -> tuple[dict[LookupKey, dict], dict[int, list[dict]]]:
    sql, params = lookup_statement(keys, clearance, limit)
    iocs: dict[LookupKey, dict] = {}
    clusters: dict[int, list[dict]] = defaultdict(list)
    width = len(IOC_FIELDS)
    by_id: dict[int, dict] = {}
    for row in prepared.fetch_all(router.db_for_read(IOC), sql, params):
        ioc_id = row[0]  # IOC_FIELDS[0]; an IOC comes once per cluster: its dict is built once
        if ioc_id not in by_id:
            ioc = by_id[ioc_id] = dict(zip(IOC_FIELDS, row[:width], strict=True))
            iocs[LookupKey(ioc["type"], ioc["value"])] = ioc
        if row[width] is not None:
            clusters[ioc_id].append(dict(zip(CLUSTER_FIELDS, row[width:], strict=True)))
    for rows in clusters.values():
        rows.sort(key=lambda r: (r["last_seen"], r["id"]), reverse=True)
    return iocs, clusters


def _lookup_two_statements(keys: list[LookupKey], clearance: int, limit: int
                           ) -> tuple[dict[LookupKey, dict], dict[int, list[dict]]]:
    iocs = find_iocs(keys, clearance)
    return iocs, clusters_of(sorted(row["id"] for row in iocs.values()), clearance, limit)


def one_statement() -> bool:
    """Whether :func:`lookup` reads with :func:`lookup_statement` (PostgreSQL) or the portable pair."""
    return connections[router.db_for_read(IOC)].vendor == "postgresql"


def lookup(keys: list[LookupKey], clearance: int, limit: int) -> list[LookupResult]:
    """One result per key, in the order given (duplicates answered twice, queried once).

    Answers come from the process's :mod:`.memo` when it holds them (PostgreSQL, outside a
    transaction); the others are read in one go and remembered. Results are shared: never mutated.
    """
    if not keys:
        return []
    memo = memo_of_lookups.for_lookup(IOC)
    if memo is None:
        return _read(keys, clearance, limit)
    answers: dict[LookupKey, LookupResult] = {}
    missing = []
    for key in dict.fromkeys(keys):
        known = memo.get((key, clearance, limit))
        if known is None:
            missing.append(key)
        else:
            answers[key] = known
    if missing:
        generation = memo.generation
        read = _read(missing, clearance, limit)
        memo.sync()  # a notification that arrived during the read leaves its answers unremembered
        for result in read:
            answers[result.key] = result
            memo.put((result.key, clearance, limit), result, 1 + len(result.clusters), _tags(result), generation)
    return [answers[key] for key in keys]


def _tags(result: LookupResult) -> memo_of_lookups.Tags:
    """What the answer depends on, as the notifications name it (see :mod:`.triggers`)."""
    return memo_of_lookups.Tags(digest=key_digest(result.key.type, result.key.value),
                                ioc_id=result.ioc["id"] if result.ioc else None,
                                threat_ids=frozenset(row["id"] for row in result.clusters),
                                cut=result.more_clusters)


def _read(keys: list[LookupKey], clearance: int, limit: int) -> list[LookupResult]:
    fetch = _lookup_one_statement if one_statement() else _lookup_two_statements
    iocs, clusters = fetch(keys, clearance, limit)
    results = []
    for key in keys:
        ioc = iocs.get(key)
        found = clusters.get(ioc["id"], []) if ioc else []
        results.append(LookupResult(key=key, ioc=ioc, clusters=found[:limit], more_clusters=len(found) > limit))
    return results
