"""EXPLAIN of the lookup's queries, for the test and the bench that show they only use indexes."""

from __future__ import annotations

import json

from django.db import connection
from django.db.models import QuerySet

from .query import LookupKey, cluster_query, iocs_queryset, lookup_statement


def plan(qs: QuerySet | tuple[str, list], *, analyze: bool = False) -> dict:
    """PostgreSQL's JSON plan of a queryset or of ``(sql, params)``."""
    sql, params = qs if isinstance(qs, tuple) else qs.query.sql_with_params()
    options = "ANALYZE, BUFFERS, FORMAT JSON" if analyze else "FORMAT JSON"
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ({options}) {sql}", params)
        raw = cursor.fetchone()[0]
    return (json.loads(raw) if isinstance(raw, str) else raw)[0]


def nodes(node: dict):
    """Every node of a plan tree (sub-plans included)."""
    yield node
    for child in node.get("Plans", []):
        yield from nodes(child)


def scans(node: dict) -> list[tuple[str, str]]:
    """(node type, relation or index) of every table or index scan in the plan (the ``unnest`` of
    the keys, a function scan, and subquery scans read no table)."""
    return [(n["Node Type"], n.get("Index Name") or n.get("Relation Name", ""))
            for n in nodes(node) if "Scan" in n["Node Type"]
            and n["Node Type"] not in ("Subquery Scan", "Function Scan")]


def lookup_plans(keys: list[LookupKey], ioc_ids: list[int], clearance: int, limit: int, *,
                 analyze: bool = False) -> dict[str, dict]:
    """The portable pair (``iocs``, ``clusters``) and PostgreSQL's one ``statement``."""
    return {"iocs": plan(iocs_queryset(keys, clearance), analyze=analyze)["Plan"],
            "clusters": plan(cluster_query(ioc_ids, clearance, limit), analyze=analyze)["Plan"],
            "statement": plan(lookup_statement(keys, clearance, limit), analyze=analyze)["Plan"]}
