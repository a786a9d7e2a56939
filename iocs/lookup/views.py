"""Reverse lookup endpoints: thin views over :func:`iocs.lookup.query.lookup`.

- ``GET /api/iocs/lookup?value=…[&type=…][&limit=N]``: public; one value.
- ``POST /api/iocs/lookup`` with ``{"values": [...]}``: Researcher+; up to 100 values, read at once
  as one value is (values the process remembers are not read, :mod:`.memo`). A batch item that is
  not a valid IOC gets its own error entry instead of failing the whole batch (SIEM enrichment
  sends whatever its logs hold).
"""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from apikeys.api import TCAPIView
from apikeys.tiers import Tier
from iocs.normalize import InvalidIOC, IOCType
from iocs.stats import PendingCountHeaderMixin

from . import params
from .query import lookup
from .render import error_json, result_json


class LookupView(PendingCountHeaderMixin, TCAPIView):
    """Reverse lookup: is this value a known IOC (verdict, TLP, first/last seen), and which clusters cite it?"""

    rate_group = "default"
    parser_classes = [JSONParser]

    @property
    def required_tier(self) -> Tier:
        return Tier.RESEARCHER if self.request.method == "POST" else Tier.PUBLIC

    @property
    def required_scope(self) -> str | None:
        """A batch is bulk IOC reading: API keys need ``iocs:read`` (one public lookup needs nothing)."""
        return "iocs:read" if self.request.method == "POST" else None

    @cached_property
    def threats_base(self) -> str:
        """Built once per request (a view instance serves one), not once per cluster."""
        return settings.SITE_URL + "/threats/" if settings.SITE_URL else self.request.build_absolute_uri("/threats/")

    def link(self, public_id: str) -> str:
        return self.threats_base + public_id

    @extend_schema(
        summary="Look up one IOC value",
        parameters=[
            OpenApiParameter("value", str, required=True, description="IP, domain, URL, hash, e-mail or wallet; "
                             "defanged forms accepted"),
            OpenApiParameter("type", str, enum=list(IOCType.values), description="skip type inference"),
            OpenApiParameter("limit", int, description=f"clusters, 1-{params.MAX_LIMIT} (default "
                             f"{params.DEFAULT_LIMIT})"),
        ],
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        limit = params.parse_limit(request.query_params.get("limit"))
        key = params.parse_value(request.query_params.get("value"),
                                 params.parse_type(request.query_params.get("type")))
        (result,) = lookup([key], self.clearance, limit)
        return Response(result_json(request.query_params["value"], result, self.link))

    @extend_schema(summary=f"Look up to {params.MAX_BATCH} IOC values", request=OpenApiTypes.OBJECT,
                   responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT})
    def post(self, request):
        body = request.data
        limit = params.parse_limit(body.get("limit") if isinstance(body, dict) else None)
        items, default_type = params.parse_batch(body)
        keys, answers = [], []
        for item in items:
            raw = item if isinstance(item, str) else item["value"]
            ioc_type = default_type if isinstance(item, str) else (params.parse_type(item.get("type")) or default_type)
            try:
                keys.append(params.to_key(raw, ioc_type))
                answers.append(raw)
            except InvalidIOC as exc:
                answers.append(error_json(raw, str(exc)))
        results = iter(lookup(keys, self.clearance, limit))
        out = [answer if isinstance(answer, dict) else result_json(answer, next(results), self.link)
               for answer in answers]
        return Response({"count": len(out), "found": sum(1 for r in out if r["found"]), "results": out})
