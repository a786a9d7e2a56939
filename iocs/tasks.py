"""Celery tasks of the IOC core: thin wrappers over the service functions."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from iocs.classifier.service import DEFAULT_BATCH, classify_pending


@shared_task(name="iocs.classify_pending", acks_late=True)
def classify_pending_iocs(batch_size: int = DEFAULT_BATCH, limit: int | None = None,
                          reclassify: bool = False) -> dict[str, int]:
    """Turn pending IOCs into confirmed / false_positive verdicts (reviewed IOCs are never touched).
    Idempotent: a second run finds nothing pending. Returns the counts."""
    return asdict(classify_pending(batch_size=batch_size, limit=limit, reclassify=reclassify))


@shared_task(name="iocs.refresh_page_aggregates", ignore_result=True)
def refresh_page_aggregates() -> int:
    """Keep the ``/iocs`` page's counts and chart warm (see ``iocs.pages.query.refresh_aggregates``)."""
    from iocs.pages.query import refresh_aggregates

    return refresh_aggregates()
