"""Cheap aggregate numbers every IOC endpoint reports (``X-IOC-Pending-Count``)."""

from __future__ import annotations

from django.core.cache import cache

from .models import IOC, Status

PENDING_COUNT_KEY = "iocs:pending-count"
PENDING_COUNT_TTL = 30  # seconds: an indexed count at most twice a minute, whatever the traffic


def pending_count() -> int:
    """IOCs awaiting the classifier: an index-only count, cached for PENDING_COUNT_TTL seconds."""
    value = cache.get(PENDING_COUNT_KEY)
    if value is None:
        value = IOC.objects.filter(status=Status.PENDING).count()
        cache.set(PENDING_COUNT_KEY, value, PENDING_COUNT_TTL)
    return value


def invalidate_pending_count() -> None:
    """Call after the classifier or a review changes statuses, so the header is fresh at once."""
    cache.delete(PENDING_COUNT_KEY)


class PendingCountHeaderMixin:
    """Adds ``X-IOC-Pending-Count`` to every response of an IOC endpoint (errors included)."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["X-IOC-Pending-Count"] = str(pending_count())
        return response
