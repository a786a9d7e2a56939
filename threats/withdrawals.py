"""The withdrawal log: every deleted or merged threat, written as its row goes (``ThreatWithdrawal``).

A TAXII poller that once received a threat's Report keeps it until it is told otherwise; STIX says
so with a new version of the Report carrying ``revoked: true`` (``threats.taxii.withdrawn``).
``post_delete`` fires for every ORM delete (an instance, a queryset, the admin's action, the
cascade of a merge), inside the deleting transaction: a rolled-back delete logs nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Threat, ThreatWithdrawal

_state = threading.local()


@contextmanager
def unlogged() -> Iterator[None]:
    """Deletes that withdraw nothing from anyone (``seed_demo --flush`` wiping everything, log included)."""
    _state.paused = True
    try:
        yield
    finally:
        _state.paused = False


@receiver(post_delete, sender=Threat, dispatch_uid="threats.withdrawals.log")
def log_withdrawal(sender, instance: Threat, **kwargs) -> None:
    if getattr(_state, "paused", False):
        return
    ThreatWithdrawal.objects.create(
        threat_id=instance.pk, uuid=instance.uuid, public_id=instance.public_id, title=instance.title,
        tlp=instance.tlp, created_at=instance.created_at, updated_at=instance.updated_at)


def mark_merged(threat_ids: Iterable[int], survivor: Threat) -> int:
    """Name the survivor of a merge in the log rows its deleted parts just wrote."""
    return (ThreatWithdrawal.objects.filter(threat_id__in=list(threat_ids), cause=ThreatWithdrawal.Cause.DELETED)
            .update(cause=ThreatWithdrawal.Cause.MERGED, merged_into=survivor.uuid))


def visible_survivors(uuids: Iterable, clearance: int) -> dict:
    """The public id of each surviving threat (by uuid) that a caller of ``clearance`` may see: a
    merge takes the strictest TLP of its parts, so a part's reader may not see where it went."""
    uuids = [u for u in uuids if u]
    if not uuids:
        return {}
    return dict(Threat.objects.filter(uuid__in=uuids, tlp__lte=clearance).values_list("uuid", "public_id"))
