"""JSON: one object with the provenance fields first, then ``items``, streamed item by item.

``{"feed", "publisher", "license", "generated_at", "count", "parameters", "source", "items": [...]}``;
an item has ``type, value, confidence, reason, tlp, first_seen, last_seen`` and ``sources`` (up to
five ``{title, url, date, threat_id}``). Deltas (``since``) add ``since``, ``additions`` and
``removals`` on top and an ``action`` per item; a removed item has ``cause`` and ``removed_at``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from .base import FeedMeta, FeedRenderer, iso, tlp_slug, when


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def item(row: dict) -> dict:
    if row.get("action") == "remove":
        return {"action": "remove", "type": row["type"], "value": row["value"], "cause": row.get("cause"),
                "removed_at": iso(row.get("removed_at")), "tlp": tlp_slug(row.get("tlp")),
                "confidence": row.get("confidence") or None}
    out = {"type": row["type"], "value": row["value"], "confidence": row.get("confidence"),
           "reason": row.get("reason", ""), "tlp": tlp_slug(row.get("tlp")),
           "first_seen": when(row, "first_seen"), "last_seen": when(row, "last_seen"),
           "sources": [{"title": s.get("title") or "", "url": s.get("url") or "", "date": s.get("date"),
                        "threat_id": s.get("threat_id")} for s in row.get("sources", [])]}
    if "action" in row:
        out = {"action": row["action"], **out}
    return out


class JsonRenderer(FeedRenderer):
    media_type = "application/json"
    format = "json"
    extension = "json"
    fields = ("type", "value", "confidence", "reason", "tlp", "first_seen", "last_seen")
    citations = True
    actions = True
    text_times = True

    def stream(self, rows: Iterable[dict], meta: FeedMeta) -> Iterator[str]:
        head = {"feed": meta.title, "publisher": meta.publisher, "license": meta.license,
                "generated_at": iso(meta.generated_at), "count": self.rows_in_body(meta),
                "parameters": meta.parameters, "source": meta.url}
        if meta.since is not None:
            head.update(since=iso(meta.since), additions=meta.additions, removals=meta.removals)
        yield dumps(head)[:-1] + ',"items":['
        first = True
        for row in rows:
            yield ("\n" if first else ",\n") + dumps(item(row))
            first = False
        yield "\n]}\n"
