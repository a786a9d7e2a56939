"""``/iocs`` (the analysts' landing page) and ``/iocs/lookup`` (one value's verdict and clusters).

Thin views: parse the query string (a bad value is a 400 page naming it), ask the query functions
for rows at the caller's clearance, render. The MISP "Add feed" table is the template tag
``{% misp_add_feed_forms %}`` of ``misp_feed`` (the one place that knows MISP's form; no import).
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from apikeys.clearance import clearance_for, tier_of
from apikeys.throttling import TieredRateThrottle
from apikeys.tlp import TLP
from iocs.feeds.pipeline import site_base
from iocs.lookup import params as lookup_params
from iocs.lookup.query import lookup
from iocs.models import Confidence
from iocs.normalize import IOCType
from iocs.stats import pending_count

from . import chart, endpoints, keyset, query

LOOKUP_CLUSTERS = 20


class BadParameter(ValueError):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "error.html", {"status": 400, "message": message}, status=400)


def _choice(params, name: str, allowed: list[str]) -> str:
    value = params.get(name, "").strip().lower()
    if value and value not in allowed:
        raise BadParameter(name, f"unknown value {value[:40]!r}; use one of: {', '.join(allowed)}")
    return value


def table_params(params) -> tuple[query.TableFilters, list | None]:
    filters = query.TableFilters(type=_choice(params, "type", list(IOCType.values)),
                                 confidence=_choice(params, "confidence", list(Confidence.values)))
    cursor = None
    if params.get("after"):
        try:
            cursor = keyset.decode(params["after"], [datetime, int])
        except keyset.BadCursor as exc:
            raise BadParameter("after", "not a page link of this table; start again from the first page") from exc
    return filters, cursor


def caller(request: HttpRequest) -> dict:
    clearance = clearance_for(request.user)
    return {"clearance": TLP(clearance), "tier": tier_of(request.user)}


def landing(request: HttpRequest) -> HttpResponse:
    try:
        filters, cursor = table_params(request.GET)
    except BadParameter as exc:
        return bad_request(request, str(exc))
    who = caller(request)
    clearance = who["clearance"]
    rows, next_cursor = query.newest_confirmed(clearance, filters, cursor)
    base = site_base(request).rstrip("/")
    context = {
        **who,
        "base": base,
        "counts": query.confirmed_counts(clearance),
        "types": list(IOCType.values),
        "confidences": list(Confidence.values),
        "pending": pending_count(),
        # Built lazily: the template renders it only when its cached fragment (per TLP and day) expired.
        "chart": lambda: chart.build(query.daily_confirmed(clearance)),
        "chart_day": timezone.now().date().isoformat(),
        "chart_days": query.CHART_DAYS,
        "aggregate_ttl": query.AGGREGATE_TTL,
        "rows": rows,
        "filters": filters,
        "filter_params": filters.as_params(),
        "paged": cursor is not None,
        "next_cursor": next_cursor,
        "endpoints": [(e, e.example(base)) for e in endpoints.endpoints()],
        "scopes": endpoints.SCOPES,
    }
    return render(request, "iocs/pages/landing.html", context)


class _LookupRateGroup:
    """The lookup page counts in the same bucket and group as ``GET /api/iocs/lookup``: the page is
    no way around the API's rate limit."""

    rate_group = "default"


def throttled(request: HttpRequest) -> HttpResponse | None:
    throttle = TieredRateThrottle()
    request.auth = None  # a page knows sessions only, never a token or key
    if throttle.allow_request(request, _LookupRateGroup):
        return None
    wait = throttle.wait()
    response = render(request, "error.html", {"status": 429, "message": f"Too many lookups; retry in {wait} s."},
                      status=429)
    response["Retry-After"] = str(wait)
    return response


def lookup_page(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("value", "")
    context = {**caller(request), "value": raw, "type": request.GET.get("type", ""), "types": list(IOCType.values)}
    if not raw.strip():
        return render(request, "iocs/pages/lookup.html", context)
    if (limited := throttled(request)) is not None:
        return limited
    try:
        ioc_type = lookup_params.parse_type(request.GET.get("type"))
        key = lookup_params.parse_value(raw, ioc_type)
    except ValidationError as exc:
        field, messages = next(iter(exc.detail.items()))
        context["error"] = f"{field}: {' '.join(str(m) for m in messages)}"
        return render(request, "iocs/pages/lookup.html", context, status=400)
    (result,) = lookup([key], context["clearance"], LOOKUP_CLUSTERS)
    context.update(key=key, result=result, pending=pending_count())
    return render(request, "iocs/pages/lookup.html", context)
