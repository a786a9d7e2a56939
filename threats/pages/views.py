"""``/threats/`` (newest or highest score first, filterable) and ``/threats/<id>``.

A threat above the caller's clearance answers like the API: 404 for anonymous callers (its
existence does not leak), 403 for signed-in ones.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from apikeys.clearance import clearance_for, tier_of
from apikeys.tiers import Tier
from apikeys.tlp import TLP
from iocs.models import IOC, Status
from iocs.pages import keyset
from iocs.pages.views import bad_request

from ..query import ThreatAboveClearance, ThreatNotFound, ThreatWithdrawn, load_threat_graph
from . import query

ID_FORMATS = (("IOCs (txt)", "iocs?format=txt"), ("IOCs (CSV)", "iocs?format=csv"), ("IOCs (JSON)", "iocs?format=json"),
              ("STIX 2.1 bundle", "stix"), ("ATT&CK Navigator layer", "attack-navigator"))


class BadParameter(ValueError):
    pass


def _int(params, name: str, low: int, high: int) -> int | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadParameter(f"{name}: an integer from {low} to {high}; got {raw[:40]!r}")
    return int(raw)


def list_params(params) -> tuple[query.ListFilters, list | None]:
    sort = params.get("sort", "").strip() or "recent"
    if sort not in query.SORTS:
        raise BadParameter(f"sort: use one of {', '.join(query.SORTS)}; got {sort[:40]!r}")
    tlp = None
    if params.get("tlp", "").strip():
        try:
            tlp = int(TLP.from_slug(params["tlp"]))
        except ValueError as exc:
            raise BadParameter(f"tlp: use one of {', '.join(t.slug for t in TLP)}") from exc
    q = params.get("q", "").strip()
    if len(q) > 200:
        raise BadParameter("q: at most 200 characters")
    filters = query.ListFilters(q=q, min_score=_int(params, "min_score", 0, 100), tlp=tlp, sort=sort)
    cursor = None
    if params.get("after"):
        try:
            cursor = keyset.decode(params["after"], query.SORTS[sort][1])
        except keyset.BadCursor as exc:
            raise BadParameter("after: not a page link of this list; start again from the first page") from exc
    return filters, cursor


def threat_list(request: HttpRequest) -> HttpResponse:
    try:
        filters, cursor = list_params(request.GET)
    except BadParameter as exc:
        return bad_request(request, str(exc))
    clearance = clearance_for(request.user)
    rows, next_cursor = query.threat_list(clearance, filters, cursor)
    return render(request, "threats/pages/list.html", {
        "rows": rows, "filters": filters, "filter_params": filters.as_params(), "paged": cursor is not None,
        "next_cursor": next_cursor, "clearance": TLP(clearance), "tier": tier_of(request.user),
        "tlps": [t for t in TLP if t <= clearance], "sorts": list(query.SORTS),
    })


def safe_link(url: str) -> str | None:
    """Only http(s) URLs become links: an article URL comes from a feed (``javascript:`` is text)."""
    return url if urlsplit(url or "").scheme.lower() in ("http", "https") else None


def misp_event_url(request: HttpRequest, threat) -> str | None:
    """Where this caller can download the threat as a MISP event, if anywhere.

    The MISP feeds publish a threat that has at least one confirmed IOC: TLP:CLEAR ones on the public
    mirror, up to AMBER+STRICT on the token feed for Researcher and above (a session is accepted
    there; TLP:RED never leaves ThreatCluster in MISP form).
    """
    if not IOC.objects.filter(sightings__threat=threat, status=Status.CONFIRMED).exists():
        return None
    if threat.tlp == TLP.CLEAR:
        return reverse("misp-public-event", args=[str(threat.uuid)])
    if threat.tlp < TLP.RED and request.user.is_authenticated and tier_of(request.user) >= Tier.RESEARCHER:
        return reverse("misp-token-event", args=[str(threat.uuid)])
    return None


def threat_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    clearance = clearance_for(request.user)
    try:
        graph = load_threat_graph(public_id, clearance, statuses=())
    except ThreatWithdrawn as gone:
        context = {"status": 410, "message": str(gone)}
        if gone.survivor:
            context["link"] = (f"/threats/{gone.survivor}", f"Go to threat {gone.survivor}")
        return render(request, "error.html", context, status=410)
    except ThreatNotFound:
        return render(request, "error.html", {"status": 404, "message": "No threat with this id."}, status=404)
    except ThreatAboveClearance as exc:
        if not request.user.is_authenticated:
            return render(request, "error.html", {"status": 404, "message": "No threat with this id."}, status=404)
        return render(request, "error.html", {"status": 403, "message": str(exc)}, status=403)
    iocs, more_iocs = query.threat_iocs(graph.threat, clearance)
    tactics, unmapped = query.tactic_grid(graph.attack_patterns)
    base = f"/api/threats/{graph.threat.public_id}/"
    downloads = [(label, base + suffix) for label, suffix in ID_FORMATS]
    misp_url = misp_event_url(request, graph.threat)
    if misp_url:
        downloads.append(("MISP event", misp_url))
    return render(request, "threats/pages/detail.html", {
        "graph": graph, "threat": graph.threat, "iocs": iocs, "more_iocs": more_iocs,
        "tactics": tactics, "unmapped": unmapped,
        "articles": [(a, safe_link(a.url)) for a in graph.articles],
        "downloads": downloads,
    })
