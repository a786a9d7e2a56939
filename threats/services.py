"""Editing the cluster by hand: merge threats, split an article out, and keep IOC visibility right.

An IOC's ``tlp`` is its visibility: the least restrictive TLP among the threats that cite it (see
``iocs.models``). Whatever moves sightings between threats or changes a threat's TLP must call
:func:`recompute_ioc_visibility` on the IOCs involved; ingestion calls it too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from iocs.models import IOC

from . import withdrawals
from .models import Article, Sighting, Threat

CHUNK = 5000
ENTITY_FIELDS = ("actors", "malware", "attack_patterns", "vulnerabilities")


class ThreatEditError(ValueError):
    """A merge or split that makes no sense; the message says why."""


def _chunks(ids: list[int], size: int = CHUNK) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def recompute_ioc_visibility(ioc_ids: Iterable[int]) -> int:
    """Set each IOC's ``tlp`` to the least restrictive TLP of the threats citing it; returns rows changed.

    Only rows whose visibility actually changes are written (so ``updated_at``, which feed deltas
    follow, moves only for them). IOCs cited by no threat keep their TLP: nothing says otherwise.
    """
    ids = sorted({int(i) for i in ioc_ids})
    changed = 0
    for chunk in _chunks(ids):
        rows = (IOC.objects.filter(pk__in=chunk).annotate(visibility=Min("sightings__threat__tlp"))
                .values_list("pk", "tlp", "visibility"))
        by_level: dict[int, list[int]] = defaultdict(list)
        for pk, current, visibility in rows:
            if visibility is not None and visibility != current:
                by_level[visibility].append(pk)
        for level, pks in by_level.items():
            changed += IOC.objects.filter(pk__in=pks).update(tlp=level)
    return changed


def threat_ioc_ids(threats: Iterable[Threat] | Iterable[int]) -> list[int]:
    pks = [t.pk if isinstance(t, Threat) else int(t) for t in threats]
    return list(Sighting.objects.filter(threat_id__in=pks).values_list("ioc_id", flat=True).distinct())


def set_threat_tlp(threat: Threat, tlp: int) -> int:
    """Change a threat's TLP and its IOCs' visibility with it; returns IOCs whose visibility changed."""
    with transaction.atomic():
        Threat.objects.filter(pk=threat.pk).update(tlp=int(tlp), updated_at=timezone.now())
        threat.refresh_from_db(fields=["tlp", "updated_at"])
        return recompute_ioc_visibility(threat_ioc_ids([threat]))


def merge_threats(survivor: Threat, others: Iterable[Threat], *, tlp: int | None = None) -> Threat:
    """Move the others' articles, sightings and entities to ``survivor`` and delete the others.

    The merged threat takes ``tlp`` or, when not given, the most restrictive TLP of all of them:
    a merge must never publish what one of the parts kept restricted. Dates span all parts, the
    score is the highest.
    """
    others = [t for t in others if t.pk != survivor.pk]
    if not others:
        raise ThreatEditError("choose at least two different threats to merge")
    parts = [survivor, *others]
    other_ids = [t.pk for t in others]
    with transaction.atomic():
        locked = list(Threat.objects.select_for_update().filter(pk__in=[t.pk for t in parts]).order_by("pk"))
        if len(locked) != len(parts):
            raise ThreatEditError("one of the threats no longer exists")
        Article.objects.filter(threat_id__in=other_ids).update(threat=survivor)
        Sighting.objects.filter(threat_id__in=other_ids).update(threat=survivor)
        for field in ENTITY_FIELDS:
            related = Threat._meta.get_field(field).related_model.objects.filter(threats__in=other_ids).distinct()
            getattr(survivor, field).add(*related)
        span = Threat.objects.filter(pk__in=[t.pk for t in locked]).aggregate(
            first=Min("first_seen"), last=Max("last_seen"), score=Max("threat_score"), tlp=Max("tlp"))
        survivor.tlp = int(tlp) if tlp is not None else span["tlp"]
        survivor.first_seen, survivor.last_seen = span["first"], span["last"]
        survivor.threat_score = span["score"]
        survivor.updated_at = timezone.now()
        survivor.save(update_fields=["tlp", "first_seen", "last_seen", "threat_score", "updated_at"])
        Threat.objects.filter(pk__in=other_ids).delete()
        withdrawals.mark_merged(other_ids, survivor)  # TAXII pollers get the parts revoked, pointing here
        recompute_ioc_visibility(threat_ioc_ids([survivor]))
    return survivor


def split_article(article: Article, *, title: str = "", tlp: int | None = None) -> Threat:
    """Make ``article`` (and its sightings) a threat of its own; returns the new threat.

    The new threat keeps the old one's TLP unless told otherwise; entities are not copied (which of
    them the article supports is for the analyst to say). The old threat's dates follow its
    remaining articles.
    """
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        old = Threat.objects.select_for_update().filter(pk=article.threat_id).first()
        if old is None:
            raise ThreatEditError("this article belongs to no threat")
        if not Article.objects.filter(threat=old).exclude(pk=article.pk).exists():
            raise ThreatEditError(f"this is the only article of threat {old.public_id}; nothing to split from")
        when = article.published_at or article.fetched_at
        now = timezone.now()
        new = Threat.objects.create(
            title=(title or article.title or f"Split from {old.public_id}")[:500],
            summary=f"Split from threat {old.public_id} ({old.title}).",
            tlp=int(tlp) if tlp is not None else old.tlp,
            first_seen=when, last_seen=when, created_at=now, updated_at=now,
        )
        Article.objects.filter(pk=article.pk).update(threat=new)
        Sighting.objects.filter(article=article).update(threat=new)
        _refresh_dates(old)
        recompute_ioc_visibility(Sighting.objects.filter(article=article).values_list("ioc_id", flat=True))
    return new


def _refresh_dates(threat: Threat) -> None:
    """Dates from the remaining articles (where they have any), and mark the threat changed."""
    dates = Article.objects.filter(threat=threat, published_at__isnull=False).aggregate(
        first=Min("published_at"), last=Max("published_at"))
    if dates["first"] is not None:
        threat.first_seen, threat.last_seen = dates["first"], dates["last"]
    threat.updated_at = timezone.now()
    threat.save(update_fields=["first_seen", "last_seen", "updated_at"])
