"""Clustering: which threat an article belongs to.

The rule. An article joins an existing threat when, **within the time window** (the threat's
reporting, ``first_seen``..``last_seen``, lies within :data:`WINDOW` of the article's date) and
**at the same TLP** (so merging never widens who may read a report), the threat shares with it at
least one of:

1. an IOC (not one ruled a false positive, and not a "hub" already cited by
   :data:`HUB_THREATS` or more threats: a shared CDN address or sinkhole is no shared incident);
2. a near-identical title (``difflib`` ratio of the normalised titles >= :data:`TITLE_SIMILARITY`);
3. a named threat actor;
4. a named malware family (tools, and the commodity frameworks of :data:`COMMODITY` such as Cobalt
   Strike, are used by everyone and do not link);
5. a CVE.

When several threats qualify, the one with the most evidence wins, weighted in the order above
(:data:`WEIGHTS`: an IOC is the strongest tie, a CVE the weakest), then the most recently active.
Otherwise the article starts a new threat.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count

from iocs.models import Status
from threats.models import Sighting, Threat

WINDOW = timedelta(days=30)
TITLE_SIMILARITY = 0.85
HUB_THREATS = 5
TITLE_CANDIDATES = 5000
WEIGHTS = {"iocs": 10, "title": 8, "actors": 5, "malware": 4, "cves": 3}
COMMODITY = frozenset({"Cobalt Strike", "Metasploit", "Sliver", "Brute Ratel C4", "Havoc", "Mythic", "Empire",
                       "PoshC2", "Covenant", "Mimikatz", "Impacket", "PsExec", "Meterpreter"})
_NON_WORD = re.compile(r"[^a-z0-9]+")


@dataclass
class Evidence:
    """What an article brings to the decision."""

    when: datetime
    tlp: int
    title: str = ""
    ioc_ids: set[int] = field(default_factory=set)
    actor_ids: set[int] = field(default_factory=set)
    malware_ids: set[int] = field(default_factory=set)  # families only, not tools
    cve_ids: set[int] = field(default_factory=set)


@dataclass
class Decision:
    threat: Threat | None
    reasons: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        if self.threat is None:
            return "new threat"
        shared = ", ".join(f"{k}={v}" for k, v in self.reasons.items() if v)
        return f"joins {self.threat.public_id} ({shared})"


def normalise_title(title: str) -> str:
    return _NON_WORD.sub(" ", title.lower()).strip()


def similar_titles(a: str, b: str) -> bool:
    a, b = normalise_title(a), normalise_title(b)
    if len(a) < 12 or len(b) < 12:
        return False  # "Weekly digest" is not an incident
    matcher = difflib.SequenceMatcher(None, a, b)
    return matcher.real_quick_ratio() >= TITLE_SIMILARITY and matcher.ratio() >= TITLE_SIMILARITY


def _window(evidence: Evidence):
    return Threat.objects.filter(tlp=evidence.tlp, last_seen__gte=evidence.when - WINDOW,
                                 first_seen__lte=evidence.when + WINDOW)


def _shared(evidence: Evidence, candidates) -> dict[str, Counter]:
    shared: dict[str, Counter] = {name: Counter() for name in WEIGHTS}
    if evidence.ioc_ids:
        hubs = set(Sighting.objects.filter(ioc_id__in=evidence.ioc_ids).values("ioc_id")
                   .annotate(n=Count("threat", distinct=True)).filter(n__gte=HUB_THREATS)
                   .values_list("ioc_id", flat=True))
        linking = evidence.ioc_ids - hubs
        rows = (Sighting.objects.filter(ioc_id__in=linking, threat__in=candidates)
                .exclude(ioc__status=Status.FALSE_POSITIVE)
                .values("threat_id").annotate(n=Count("ioc", distinct=True)))
        shared["iocs"].update({r["threat_id"]: r["n"] for r in rows})
    for name, relation, ids in (("actors", Threat.actors, evidence.actor_ids),
                                ("malware", Threat.malware, evidence.malware_ids),
                                ("cves", Threat.vulnerabilities, evidence.cve_ids)):
        if not ids:
            continue
        through = relation.through
        target = relation.field.m2m_reverse_field_name()
        rows = (through.objects.filter(**{f"{target}__in": ids}, threat__in=candidates)
                .values("threat_id").annotate(n=Count(target, distinct=True)))
        shared[name].update({r["threat_id"]: r["n"] for r in rows})
    if evidence.title:
        for threat_id, title in candidates.order_by("-last_seen").values_list("pk", "title")[:TITLE_CANDIDATES]:
            if similar_titles(evidence.title, title):
                shared["title"][threat_id] = 1
    return shared


def choose_threat(evidence: Evidence) -> Decision:
    """The existing threat this article joins under the module's rule, or ``Decision(None)``."""
    candidates = _window(evidence)
    shared = _shared(evidence, candidates)
    weight: Counter = Counter()
    for name, counts in shared.items():
        for threat_id, n in counts.items():
            weight[threat_id] += WEIGHTS[name] * min(n, 10)
    if not weight:
        return Decision(None)
    best_ids = [tid for tid, w in weight.items() if w == max(weight.values())]
    threat = Threat.objects.filter(pk__in=best_ids).order_by("-last_seen", "-pk").first()
    return Decision(threat, {name: counts.get(threat.pk, 0) for name, counts in shared.items()})
