"""OpenAPI (drf-spectacular) descriptions of the feed endpoints: parameters, formats, caps."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema


def _caps() -> str:
    caps = settings.FEED_WINDOW_CAPS_DAYS
    return ", ".join(f"{tier} {days} days" for tier, days in caps.items())


def parameters(*, since: bool = True, required_since: bool = False) -> list[OpenApiParameter]:
    params = [
        OpenApiParameter("confidence", OpenApiTypes.STR, description=(
            "`confirmed` (= high, medium, low) or a comma-separated subset of `high,medium,low`.")),
        OpenApiParameter("types", OpenApiTypes.STR, description=(
            "Comma-separated IOC types: ipv4, ipv6, domain, url, md5, sha1, sha256, email, btc, eth, xmr "
            "(hosts: domain; rpz and suricata: domain, ipv4, ipv6).")),
        OpenApiParameter("hours", OpenApiTypes.INT, description=f"last_seen window in hours (caps: {_caps()})."),
        OpenApiParameter("days", OpenApiTypes.INT, description=f"last_seen window in days (caps: {_caps()})."),
        OpenApiParameter("defang", OpenApiTypes.BOOL, description="Defanged values (txt, csv, json only)."),
    ]
    if since:
        params.append(OpenApiParameter("since", OpenApiTypes.STR, required=required_since, description=(
            "ISO date or datetime (UTC): the changes since then, with an action (add/remove) in csv, json "
            "and stix; pass the X-Feed-Generated-At of your previous download.")))
    return params


def feed_schema(summary: str, description: str = "", *, since: bool = True, required_since: bool = False):
    return extend_schema(
        summary=summary, description=description, parameters=parameters(since=since, required_since=required_since),
        responses={200: OpenApiResponse(OpenApiTypes.STR, description="The feed, streamed (gzip when accepted)."),
                   304: OpenApiResponse(description="Not modified (If-None-Match / If-Modified-Since)."),
                   400: OpenApiResponse(OpenApiTypes.OBJECT, description="A parameter is invalid; it is named.")},
    )


status_schema = extend_schema(
    summary="Feed status", description="Per feed: generated at, rows, stale.",
    responses={200: OpenApiResponse(OpenApiTypes.OBJECT)},
)
