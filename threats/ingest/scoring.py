"""threat_score (0-100): how much a defender should care, from evidence anyone can check.

| evidence | points |
|---|---|
| independent sources (distinct publishers of its articles) | 10 each, at most 30 |
| confirmed IOCs | 1-4: 10, 5-19: 18, 20 or more: 25 |
| a known threat actor (a named actor is linked) | 15 |
| a CVE is involved | 15 |
| recency of the last report | within 7 days: 15, 30 days: 8, 90 days: 3, older: 0 |

The score is recomputed whenever the threat changes (an article attached, an import, IOCs
classified) and daily for recency (``threats.tasks.rescore_recent_threats``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from iocs.models import Status
from threats.models import Article, Sighting, Threat


def _confirmed_points(n: int) -> int:
    return 25 if n >= 20 else 18 if n >= 5 else 10 if n >= 1 else 0


def _recency_points(last_seen: datetime, now: datetime) -> int:
    age = now - last_seen
    return 15 if age <= timedelta(days=7) else 8 if age <= timedelta(days=30) else 3 if age <= timedelta(days=90) else 0


def breakdown(threat: Threat, now: datetime | None = None) -> dict[str, int]:
    """The points per kind of evidence (they sum to the score)."""
    now = now or timezone.now()
    publishers = (Article.objects.filter(threat=threat).exclude(publisher="")
                  .values("publisher").distinct().count())
    confirmed = (Sighting.objects.filter(threat=threat, ioc__status=Status.CONFIRMED)
                 .values("ioc").distinct().count())
    return {
        "sources": min(30, 10 * publishers),
        "confirmed_iocs": _confirmed_points(confirmed),
        "known_actor": 15 if threat.actors.exists() else 0,
        "cve": 15 if threat.vulnerabilities.exists() else 0,
        "recency": _recency_points(threat.last_seen, now),
    }


def compute_score(threat: Threat, now: datetime | None = None) -> int:
    return max(0, min(100, sum(breakdown(threat, now).values())))


def rescore(threat_ids: Iterable[int], now: datetime | None = None) -> int:
    """Recompute and store the score of these threats; returns how many changed (and were touched)."""
    changed = 0
    for threat in Threat.objects.filter(pk__in=set(threat_ids)):
        score = compute_score(threat, now)
        if score != threat.threat_score:
            Threat.objects.filter(pk=threat.pk).update(threat_score=score, updated_at=timezone.now())
            changed += 1
    return changed


def rescore_for_iocs(ioc_ids: Iterable[int]) -> int:
    """After the classifier ruled on these IOCs: the threats citing them."""
    ids = list(ioc_ids)
    return rescore(Sighting.objects.filter(ioc_id__in=ids).values_list("threat_id", flat=True).distinct())


def rescore_recent(days: int = 120, now: datetime | None = None) -> int:
    """Daily: recency points fall as time passes."""
    now = now or timezone.now()
    return rescore(Threat.objects.filter(Q(last_seen__gte=now - timedelta(days=days)))
                   .values_list("pk", flat=True))
