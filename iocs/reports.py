"""What extraction (and optionally the classifier) makes of one text, as plain rows.

``manage.py extract_iocs`` prints these rows; anything else that shows a user "what we would
publish from this report" should use them too. The text is treated as one article whose publisher
is unknown, so the classifier judges from the text alone. Nothing is written to the database.
"""

from __future__ import annotations

from typing import Any

from iocs.classifier import classify_extracted
from iocs.extraction import extract_iocs


def extraction_rows(text: str, *, source: str, classify: bool = False,
                    published_only: bool = False) -> list[dict[str, Any]]:
    """One dict per IOC found in ``text``: ``file``, ``type``, ``value`` and, with ``classify``,
    ``status``, ``confidence`` and ``reason``. ``published_only`` keeps the confirmed ones."""
    found = extract_iocs(text)
    if not classify:
        return [{"file": source, "type": x.type, "value": x.value} for x in found]
    rows = []
    for item, verdict in classify_extracted(found):
        if published_only and not verdict.published:
            continue
        rows.append({"file": source, "type": item.type, "value": item.value, "status": verdict.status,
                     "confidence": verdict.confidence, "reason": verdict.reason})
    return rows
