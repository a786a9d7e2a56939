"""Celery tasks for ingestion: thin, small, idempotent, taking ids (logic in ``threats.ingest``).

One task polls one source, one task processes one article, one task classifies one batch of IOCs:
a worker crash loses at most one of them, and ``acks_late`` hands it to another worker, where it
finds its work either done (skipped) or not started (the article's transaction never committed).
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from iocs.models import IOC, Status
from threats.ingest import articles, feeds, fetch, scoring

logger = logging.getLogger(__name__)
CLASSIFY_BATCH = 500
_RETRY = {"autoretry_for": (fetch.TransientFetchError,), "retry_backoff": 30, "retry_backoff_max": 3600,
          "retry_jitter": True, "max_retries": 6, "acks_late": True}


@shared_task(acks_late=True, ignore_result=True)
def poll_due_sources() -> int:
    """Beat, every minute: one ``poll_source`` per enabled source whose interval has passed (claimed
    first, so a slow poll is never queued twice)."""
    ids = feeds.claim_due_sources()
    for source_id in ids:
        poll_source.delay(source_id, force=True)
    return len(ids)


@shared_task(acks_late=True)
def poll_source(source_id: int, force: bool = False) -> dict:
    """Poll one feed (conditional GET, back-off kept on the Source), then one task per new article."""
    result = feeds.poll_source(source_id, force=force)
    for article_id in result.article_ids:
        ingest_article.delay(article_id)
    return {"status": result.status, "articles": len(result.article_ids), "error": result.error}


@shared_task(bind=True, **_RETRY)
def ingest_article(self, article_id: int) -> dict:
    """Fetch, extract, cluster and record one article; then classify the IOCs it introduced.

    A page that times out or answers 5xx is retried with back-off; on the last attempt the feed's
    summary is used instead."""
    result = articles.process_article(article_id, raise_transient=self.request.retries < self.max_retries)
    if result.new_ioc_ids:
        for start in range(0, len(result.new_ioc_ids), CLASSIFY_BATCH):
            classify_batch.delay(result.new_ioc_ids[start:start + CLASSIFY_BATCH])
    return {"status": result.status, "threat": result.threat_id, "new_iocs": len(result.new_ioc_ids),
            "seen_iocs": len(result.seen_ioc_ids)}


@shared_task(acks_late=True, retry_backoff=10, max_retries=3, autoretry_for=(OperationalError,))
def classify_batch(ioc_ids: list[int]) -> int:
    """Run the offline classifier on one batch of new IOCs, then rescore the threats citing them.

    Reviewed IOCs are never touched and rows another transaction holds are skipped (the periodic
    ``iocs.classify_pending`` run picks up whatever is still pending)."""
    from iocs.classifier.service import classify_ids

    pending = list(IOC.objects.filter(pk__in=ioc_ids, status=Status.PENDING).values_list("pk", flat=True))
    if pending:
        classify_ids(pending)
    return scoring.rescore_for_iocs(ioc_ids)


@shared_task(acks_late=True, ignore_result=True)
def rescore_recent_threats() -> int:
    """Beat, daily: recency points fall with time."""
    return scoring.rescore_recent()
