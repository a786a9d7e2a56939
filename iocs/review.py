"""Manual review of IOCs: the verdicts staff give in the admin's review queue.

A review records who and when (``reviewed_by``, ``reviewed_at``); the classifier leaves reviewed
IOCs alone. Sending an IOC back to pending clears its review and its classification, so that the
classifier looks at it afresh. Every function returns the number of rows changed and refreshes the
pending count that IOC endpoints report.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from .models import IOC, Confidence, Status
from .stats import invalidate_pending_count

CHUNK = 1000  # ids per UPDATE (SQLite's variable limit, and short row locks on PostgreSQL)
REASON_MAX = IOC._meta.get_field("reason").max_length


def _update(ids: Iterable[int], **fields) -> int:
    ids = list(ids)
    changed = 0
    for start in range(0, len(ids), CHUNK):
        changed += IOC.objects.filter(pk__in=ids[start:start + CHUNK]).update(**fields)
    invalidate_pending_count()
    return changed


def confirm(ids: Iterable[int], confidence: str, *, reviewer) -> int:
    """Confirm as malicious with the given confidence (high, medium or low)."""
    level = Confidence(confidence)
    return _update(ids, status=Status.CONFIRMED, confidence=level, reviewed_by=reviewer,
                   reviewed_at=timezone.now(), reason=f"Confirmed by manual review ({level.label.lower()} confidence).")


def mark_false_positive(ids: Iterable[int], reason: str, *, reviewer) -> int:
    """Mark as false positive; the reason is kept for the record and shown to API users."""
    text = " ".join(reason.split())
    if not text:
        raise ValueError("a false positive needs a reason")
    return _update(ids, status=Status.FALSE_POSITIVE, confidence="", reviewed_by=reviewer,
                   reviewed_at=timezone.now(), reason=text[:REASON_MAX])


def send_back_to_pending(ids: Iterable[int]) -> int:
    """Undo verdict and review: the IOC waits for the classifier again."""
    return _update(ids, status=Status.PENDING, confidence="", reviewed_by=None, reviewed_at=None, reason="",
                   classifier_version="", classified_at=None)
