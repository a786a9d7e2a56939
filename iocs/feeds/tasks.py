"""Celery tasks of the feeds: thin wrappers over ``services`` (scheduled in ``CELERY_BEAT_SCHEDULE``)."""

from celery import shared_task

from . import services


@shared_task(name="iocs.feeds.tasks.refresh_feeds")
def refresh_feeds() -> dict[str, int]:
    return services.refresh_feeds()


@shared_task(name="iocs.feeds.tasks.prune_feeds")
def prune_feeds() -> dict[str, int]:
    return services.prune_feeds()
