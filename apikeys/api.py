"""The base of every ThreatCluster API view: authentication, tier, scope, rate limits, JSON errors.

A view declares what it needs and inherits the rest::

    class IOCFeedView(TCAPIView):
        required_tier = Tier.RESEARCHER
        rate_group = "feeds"

    class V1IOCFeedView(IOCFeedView):
        api_key_only = True
        required_tier = Tier.BUSINESS
        required_scope = "iocs:read"

``self.clearance`` is the caller's TLP clearance, to hand to the query functions. Errors are always
JSON (``{"error": code, "detail": message, ...}``) whatever format was negotiated, an unknown
``?format=`` is a 400 naming the allowed ones, and every response carries the X-RateLimit-* headers
of the caller's bucket.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from .authentication import APIKeyAuthentication, FeedTokenAuthentication, QuietSessionAuthentication
from .clearance import clearance_for, tier_of
from .models import APIKey
from .permissions import TierPermission
from .throttling import TieredRateThrottle, ratelimit_headers
from .tiers import Tier
from .tlp import TLP


def error_body(code: str, detail, **extra) -> dict:
    return {"error": code, "detail": detail, **extra}


def exception_handler(exc, context) -> Response | None:
    """DRF's handler, with one JSON envelope for every error."""
    if isinstance(exc, RequestDataTooBig):  # Django would answer a bare 400 and log a traceback
        return Response(error_body("too_large", f"The request body exceeds {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} "
                                                "bytes."), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return Response(error_body("too_many_parameters", f"More than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} "
                                                          "parameters in the request."), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        message = "; ".join(f"{field}: {' '.join(str(m) for m in msgs) if isinstance(msgs, list) else msgs}"
                            for field, msgs in errors.items())
        response.data = error_body("invalid_parameter", message, errors=errors)
    elif isinstance(exc, exceptions.Throttled):
        response.data = error_body("throttled", f"Rate limit exceeded; retry in {exc.wait} s.",
                                   retry_after=exc.wait)
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        response.data = error_body(codes if isinstance(codes, str) else exc.default_code, str(exc.detail),
                                   **getattr(exc, "extra", {}))
    return response


class Gone(exceptions.APIException):
    """410: the resource existed and was withdrawn for good; ``extra`` joins the JSON body."""

    status_code = status.HTTP_410_GONE
    default_detail = "This resource was withdrawn."
    default_code = "gone"

    def __init__(self, detail: str, **extra) -> None:
        super().__init__(detail)
        self.extra = extra


class TCAPIView(APIView):
    required_tier: Tier = Tier.PUBLIC
    required_scope: str | None = None
    api_key_only: bool = False
    rate_group: str = "default"
    authentication_classes = [APIKeyAuthentication, FeedTokenAuthentication, QuietSessionAuthentication]
    permission_classes = [TierPermission]
    throttle_classes = [TieredRateThrottle]

    @property
    def api_key(self) -> APIKey | None:
        return self.request.auth if isinstance(self.request.auth, APIKey) else None

    @property
    def clearance(self) -> TLP:
        return clearance_for(self.request.user, self.api_key)

    @property
    def tier(self) -> Tier:
        return tier_of(self.request.user)

    def get_exception_handler(self):
        return exception_handler

    def perform_content_negotiation(self, request, force: bool = False):
        try:
            return super().perform_content_negotiation(request, force)
        except (exceptions.NotFound, Http404) as exc:
            formats = sorted({r.format for r in self.get_renderers()})
            raise exceptions.ValidationError({"format": [f"unsupported format; use one of: {', '.join(formats)}"]}) \
                from exc

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response) and response.status_code >= status.HTTP_400_BAD_REQUEST:
            # Errors are JSON even when a txt/csv/stix renderer was negotiated.
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = "application/json"
        response = super().finalize_response(request, response, *args, **kwargs)
        for header, value in ratelimit_headers(request).items():
            response[header] = value
        return response
