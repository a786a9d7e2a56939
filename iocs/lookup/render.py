"""The JSON shape of a lookup answer (one per value), built from :class:`LookupResult` rows."""

from __future__ import annotations

from collections.abc import Callable

from apikeys.tlp import TLP

from .query import LookupResult


def _tlp(level: int) -> str:
    return TLP(level).slug


def ioc_json(ioc: dict) -> dict:
    return {
        "type": ioc["type"],
        "value": ioc["value"],
        "status": ioc["status"],
        "confidence": ioc["confidence"] or None,
        "reason": ioc["reason"],
        "tlp": _tlp(ioc["tlp"]),
        "first_seen": ioc["first_seen"],
        "last_seen": ioc["last_seen"],
    }


def cluster_json(row: dict, link: Callable[[str], str]) -> dict:
    return {
        "id": row["public_id"],
        "title": row["title"],
        "threat_score": row["threat_score"],
        "tlp": _tlp(row["tlp"]),
        "first_seen": row["first_seen"],
        "last_seen": row["last_seen"],
        "link": link(row["public_id"]),
    }


def result_json(query: str, result: LookupResult, link: Callable[[str], str]) -> dict:
    """``found`` is false for a value never seen, a false positive, or one above the caller's TLP."""
    return {
        "query": query,
        "type": result.key.type,
        "value": result.key.value,
        "found": result.found,
        "ioc": ioc_json(result.ioc) if result.ioc else None,
        "clusters": [cluster_json(row, link) for row in result.clusters],
        "more_clusters": result.more_clusters,
    }


def error_json(query, detail: str) -> dict:
    """A batch item that is not a valid IOC value: reported in place, the rest of the batch answers."""
    return {"query": query, "found": False, "error": "invalid_value", "detail": detail}
