"""Per-threat endpoints: the IOC list (txt/csv/json), the STIX 2.1 bundle, the Navigator layer.

Thin views: validate the parameters, load the graph with ``threats.query``, hand it to a renderer.
``{id}`` is the 8-hex public id. A threat above the caller's clearance is a 403 for an authenticated
caller, and the same 404 as an unknown id for an anonymous one (its existence does not leak). A
threat deleted or merged away is a 410 for callers who could see it, naming the survivor of a merge.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions

from apikeys.api import Gone, TCAPIView
from apikeys.tiers import Tier
from apikeys.tlp import TLP
from iocs.models import Status
from iocs.stats import PendingCountHeaderMixin

from .. import ioc_lists, navigator
from ..query import (
    LISTED_STATUSES,
    ThreatAboveClearance,
    ThreatGraph,
    ThreatNotFound,
    ThreatWithdrawn,
    load_threat_graph,
)
from ..stix import MEDIA_TYPE as STIX_MEDIA_TYPE
from ..stix.graph import LaxerMarkingRequested, threat_bundle_json
from .renderers import CSVRenderer, JSONRenderer, STIXRenderer, TextRenderer

STATUS_CHOICES = {"all": LISTED_STATUSES, "confirmed": (Status.CONFIRMED,), "pending": (Status.PENDING,)}
BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
ERRORS = {code: OpenApiResponse(OpenApiTypes.OBJECT, description=text) for code, text in (
    (400, "A malformed parameter; the body names it and its allowed values."),
    (401, "Missing or invalid credentials."),
    (403, "Missing tier or scope, or the threat is above the caller's TLP clearance."),
    (404, "No threat with this id (or, for anonymous callers, one above their clearance)."),
    (410, "The threat was deleted, or merged into another: ``merged_into`` and ``link`` name the survivor "
          "when the caller may see it."),
)}
STATUS_PARAM = OpenApiParameter("status", str, enum=list(STATUS_CHOICES), default="all",
                                description="IOC statuses listed: confirmed and pending (all), or one of them. "
                                            "False positives are never listed.")
ID_PARAM = OpenApiParameter("public_id", str, OpenApiParameter.PATH, description="The threat's 8-hex public id.")


def _choice(params, name: str, choices: dict, default: str):
    raw = params.get(name, default).strip().lower()
    if raw not in choices:
        raise exceptions.ValidationError({name: [f"unknown value {raw[:40]!r}; use one of: {', '.join(choices)}"]})
    return choices[raw]


def _tlp_param(params) -> TLP | None:
    raw = params.get("tlp")
    if raw is None:
        return None
    try:
        return TLP.from_slug(raw)
    except ValueError as exc:
        levels = ", ".join(t.slug for t in TLP)
        raise exceptions.ValidationError({"tlp": [f"unknown TLP level {raw[:40]!r}; use one of: {levels}"]}) from exc


class ThreatExportView(TCAPIView):
    """Shared by the per-threat views: loading the graph with the 404/403 rules, download headers."""

    def load(self, public_id: str, statuses=LISTED_STATUSES) -> ThreatGraph:
        try:
            return load_threat_graph(public_id, self.clearance, statuses=statuses)
        except ThreatWithdrawn as gone:
            survivor = {"merged_into": gone.survivor, "link": self.survivor_link(gone)} if gone.survivor else {}
            raise Gone(str(gone), **survivor) from None
        except ThreatNotFound:
            raise exceptions.NotFound("No threat with this id.") from None
        except ThreatAboveClearance as exc:
            if not self.request.user.is_authenticated:
                raise exceptions.NotFound("No threat with this id.") from None
            raise exceptions.PermissionDenied(str(exc)) from None

    def survivor_link(self, gone: ThreatWithdrawn) -> str:
        """This same request's URL for the survivor of a merge (same format, same parameters)."""
        parts = [gone.survivor if part.lower() == gone.public_id else part for part in self.request.path.split("/")]
        query = self.request.META.get("QUERY_STRING", "")
        return self.request.build_absolute_uri("/".join(parts) + (f"?{query}" if query else ""))

    def base_url(self) -> str:
        return settings.SITE_URL or self.request.build_absolute_uri("/").rstrip("/")

    @staticmethod
    def download(body: str, content_type: str, filename: str, graph: ThreatGraph) -> HttpResponse:
        response = HttpResponse(body.encode("utf-8"), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["X-TLP"] = TLP(graph.threat.tlp).label
        return response


class ThreatIOCListView(PendingCountHeaderMixin, ThreatExportView):
    """``GET …/<id>/iocs``: ``?format=txt|csv|json``, ``?defang=true``, ``?status=all|confirmed|pending``."""

    renderer_classes = [TextRenderer, CSVRenderer, JSONRenderer]

    @extend_schema(
        summary="One threat's IOC list", parameters=[
            ID_PARAM, STATUS_PARAM,
            OpenApiParameter("format", str, enum=["txt", "csv", "json"], default="txt"),
            OpenApiParameter("defang", bool, default=False, description="hxxp and [.] forms of the values."),
        ],
        responses={(200, "text/plain"): OpenApiTypes.STR, (200, "text/csv"): OpenApiTypes.STR,
                   (200, "application/json"): OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request, public_id: str):
        params = request.query_params
        defang = _choice(params, "defang", BOOLEANS, "false")
        statuses = _choice(params, "status", STATUS_CHOICES, "all")
        graph = self.load(public_id, statuses)
        fmt = request.accepted_renderer.format
        body = ioc_lists.RENDERERS[fmt](graph, defang=defang)
        content_type = f"{request.accepted_renderer.media_type}; charset=utf-8"
        return self.download(body, content_type, f"threat-{graph.threat.public_id}-iocs.{fmt}", graph)


class ThreatSTIXView(ThreatExportView):
    """``GET …/<id>/stix``: the STIX 2.1 bundle; ``?tlp=`` (stricter only), ``?status=``."""

    renderer_classes = [STIXRenderer, JSONRenderer]

    @extend_schema(
        summary="One threat's STIX 2.1 bundle", parameters=[
            ID_PARAM, STATUS_PARAM,
            OpenApiParameter("tlp", str, enum=[t.slug for t in TLP],
                             description="Mark the bundle stricter than the threat's TLP (never laxer: 400)."),
        ],
        responses={(200, "application/stix+json"): OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request, public_id: str):
        params = request.query_params
        requested = _tlp_param(params)
        statuses = _choice(params, "status", STATUS_CHOICES, "all")
        graph = self.load(public_id, statuses)
        try:
            body = threat_bundle_json(graph, tlp=requested, base_url=self.base_url())
        except LaxerMarkingRequested as exc:
            raise exceptions.ValidationError({"tlp": [str(exc)]}) from exc
        # STIX is UTF-8 JSON by definition; consumers compare the media type with its version exactly.
        content_type = STIX_MEDIA_TYPE if request.accepted_renderer.format == "stix" else "application/json"
        response = self.download(body, content_type,
                                 f"threat-{graph.threat.public_id}.stix.json", graph)
        if requested is not None:
            response["X-TLP"] = requested.label
        return response


class ThreatNavigatorView(ThreatExportView):
    """``GET …/<id>/attack-navigator``: an ATT&CK Navigator 4.5 layer of the threat's techniques."""

    renderer_classes = [JSONRenderer]

    @extend_schema(summary="One threat's ATT&CK Navigator layer", parameters=[ID_PARAM],
                   responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request, public_id: str):
        graph = self.load(public_id, statuses=())
        body = json.dumps(navigator.navigator_layer(graph, base_url=self.base_url()), ensure_ascii=False, indent=1)
        return self.download(body, "application/json; charset=utf-8",
                             f"threat-{graph.threat.public_id}-attack-navigator.json", graph)


class V1Mixin:
    """The ``/api/public/v1/`` contract: an API key of a Business+ account with ``threats:read``."""

    api_key_only = True
    required_tier = Tier.BUSINESS
    required_scope = "threats:read"


class V1ThreatIOCListView(V1Mixin, ThreatIOCListView):
    pass


class V1ThreatSTIXView(V1Mixin, ThreatSTIXView):
    pass
