"""One threat's graph for a caller's clearance: the single query behind every per-threat format.

IOC lists (txt/csv/json), the STIX bundle and the Navigator layer all render a :class:`ThreatGraph`;
none of them queries. Loading costs a constant number of queries whatever the size of the threat
(the threat, four entity lists, the articles, the IOCs, the sightings): no N+1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import F, Lookup, Q, Subquery

from apikeys.tlp import TLP
from iocs.models import IOC, Status

from .models import Article, AttackPattern, Malware, Sighting, Threat, ThreatActor, ThreatWithdrawal, Vulnerability
from .stix import INDICATOR_FIELDS
from .stix.db import StixTime
from .withdrawals import visible_survivors

PUBLIC_ID = re.compile(r"[0-9a-f]{8}")
IOC_FIELDS = (*INDICATOR_FIELDS, "id", "last_seen", "tlp", "source_count")
# Loaded as STIX timestamp strings formatted by the database (see threats.stix.db): 10x cheaper.
TIME_FIELDS = frozenset({"first_seen", "last_seen", "created_at", "updated_at"})
ARTICLE_FIELDS = ("id", "url", "title", "publisher", "published_at", "fetched_at", "threat_id")  # not the text
# What a per-threat export may carry: never false positives; pending ones with their status.
LISTED_STATUSES = (Status.CONFIRMED, Status.PENDING)


class ThreatNotFound(LookupError):
    """No threat has this public id (or the id is not 8 hex characters)."""


class ThreatWithdrawn(ThreatNotFound):
    """The threat was deleted or merged into another (``ThreatWithdrawal``), and the caller could see it.

    ``survivor`` is the public id of the threat it was merged into, when the caller may see that one.
    """

    def __init__(self, public_id: str, cause: str, survivor: str | None) -> None:
        self.public_id, self.cause, self.survivor = public_id, cause, survivor
        if survivor:
            message = f"This threat was merged into {survivor}."
        elif cause == ThreatWithdrawal.Cause.MERGED:
            message = "This threat was merged into another one."
        else:
            message = "This threat was deleted."
        super().__init__(message)


class ThreatAboveClearance(PermissionError):
    """The threat exists but its TLP is above the caller's clearance."""

    def __init__(self, threat_tlp: TLP, clearance: TLP) -> None:
        self.threat_tlp, self.clearance = TLP(threat_tlp), TLP(clearance)
        super().__init__(f"This threat is {self.threat_tlp.label}; your clearance is {self.clearance.label}.")


@dataclass
class ThreatGraph:
    """A threat and everything it links to, as the caller may see it.

    ``iocs`` are dicts with the keys of ``IOC_FIELDS`` plus ``sightings`` (a list of dicts with
    ``article_id``, ``context``, ``seen_at``), ordered by type then value, so that every rendering
    of the same data is byte for byte the same. Their times (``TIME_FIELDS``, ``seen_at``) are STIX
    timestamp strings (UTC, milliseconds, ``Z``), which every renderer takes as they are.
    """

    threat: Threat
    iocs: list[dict]
    actors: list[ThreatActor]
    malware: list[Malware]
    attack_patterns: list[AttackPattern]
    vulnerabilities: list[Vulnerability]
    articles: list[Article]
    articles_by_id: dict[int, Article] = field(init=False)

    def __post_init__(self) -> None:
        self.articles_by_id = {a.id: a for a in self.articles}

    @property
    def tlp(self) -> TLP:
        return TLP(self.threat.tlp)


def find_threat(public_id: str, clearance: int) -> Threat:
    """The threat with this public id if the caller may see it.

    Raises :class:`ThreatNotFound` (unknown or malformed id) or :class:`ThreatAboveClearance`; the
    view decides whether the latter shows as a 403 or, for anonymous callers, a 404.
    """
    key = (public_id or "").lower()
    if not PUBLIC_ID.fullmatch(key):
        raise ThreatNotFound(public_id)
    threat = Threat.objects.filter(public_id=key).first()
    if threat is None:
        _raise_if_withdrawn(key, clearance)
        raise ThreatNotFound(public_id)
    if threat.tlp > clearance:
        raise ThreatAboveClearance(threat.tlp, TLP(clearance))
    return threat


def _raise_if_withdrawn(public_id: str, clearance: int) -> None:
    """:class:`ThreatWithdrawn` for an id the caller could see before it was withdrawn (else nothing:
    an id that was above the caller's clearance stays unknown to them)."""
    gone = (ThreatWithdrawal.objects.filter(public_id=public_id, tlp__lte=clearance)
            .order_by("-at", "-id").values("cause", "merged_into").first())
    if gone is None:
        return
    survivor = visible_survivors([gone["merged_into"]], clearance).get(gone["merged_into"])
    raise ThreatWithdrawn(public_id, gone["cause"], survivor)


def load_threat_graph(public_id: str, clearance: int, *,
                      statuses: Iterable[str] = LISTED_STATUSES) -> ThreatGraph:
    """Load one threat's graph for a caller of ``clearance``: IOCs of the given ``statuses`` (false
    positives are never listed, whatever is asked; none at all for ``statuses=()``), with their
    sightings in this threat."""
    threat = find_threat(public_id, clearance)
    sighting_rows = Sighting.objects.filter(threat=threat)
    statuses = [s for s in statuses if s != Status.FALSE_POSITIVE]
    articles = list(
        Article.objects.filter(Q(threat=threat) | Q(id__in=Subquery(sighting_rows.values("article_id"))))
        .only(*ARTICLE_FIELDS)
        .order_by("published_at", "id")
    )
    return ThreatGraph(
        threat=threat,
        iocs=_iocs(sighting_rows, clearance, statuses) if statuses else [],
        actors=list(threat.actors.order_by("name")),
        malware=list(threat.malware.order_by("name")),
        attack_patterns=list(threat.attack_patterns.order_by("technique_id")),
        vulnerabilities=list(threat.vulnerabilities.order_by("cve_id")),
        articles=articles,
    )


class _AnyOfSubquery(Lookup):
    """``lhs = ANY(ARRAY(subquery))`` on PostgreSQL, ``lhs IN (subquery)`` elsewhere.

    For ``id IN (the ioc ids of a threat's sightings)`` PostgreSQL estimates the semi-join's size and,
    for a threat of 10,000 IOCs among a million, hashes them and reads the whole IOC table (a parallel
    sequential scan: 340 ms, most of a 10,000-IOC STIX export's query time, ``bench/run.py``). An
    ``ARRAY(subquery)`` is one value to the planner, so it probes the primary key per id (~80 ms)."""

    lookup_name = "any_of_subquery"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} IN {rhs}", (*lhs_params, *rhs_params)

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


def _iocs(sighting_rows, clearance: int, statuses: list[str]) -> list[dict]:
    """The IOCs sighted in these rows, with their sightings: two queries whatever their number."""
    columns = [StixTime(f) if f in TIME_FIELDS else f for f in IOC_FIELDS]
    iocs = [
        dict(zip(IOC_FIELDS, values, strict=True))
        for values in IOC.objects.visible_to(clearance)
        .filter(_AnyOfSubquery(F("id"), Subquery(sighting_rows.values("ioc_id"))), status__in=statuses)
        .order_by("type", "value")
        .values_list(*columns)
    ]
    by_id = {row["id"]: row for row in iocs}
    for row in iocs:
        row["sightings"] = []
    for ioc_id, article_id, context, seen_at in (
        sighting_rows.order_by("seen_at", "id").values_list("ioc_id", "article_id", "context", StixTime("seen_at"))
    ):
        row = by_id.get(ioc_id)
        if row is not None:
            row["sightings"].append({"article_id": article_id, "context": context, "seen_at": seen_at})
    return iocs
