"""Site-wide views: the home page, the liveness and health checks, error pages."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from threats.taxii.protocol import error_response as taxii_error_response

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def livez(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers (no database, no cache). For orchestrators that restart a stuck
    worker without restarting every worker when PostgreSQL is away (``healthz`` is readiness), and the
    ceiling ``bench/run.py`` compares the lookup with: what this server does for a request doing nothing."""
    return HttpResponse(b"ok\n", content_type="text/plain")


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: 200 when the database answers; the cache is reported, not required."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        logger.warning("health check: database unavailable: %s", exc)
        checks["database"] = "unavailable"
    try:
        cache.set("healthz", "1", 5)
        checks["cache"] = "ok" if cache.get("healthz") == "1" else "degraded"
    except Exception:
        checks["cache"] = "degraded"
    status = 200 if checks["database"] == "ok" else 503
    return JsonResponse({"status": "ok" if status == 200 else "unavailable", "checks": checks}, status=status)


_API_PREFIXES = ("/api/", "/misp/", "/taxii2/")


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(_API_PREFIXES)


def _taxii_error(request: HttpRequest, status: int, title: str) -> HttpResponse | None:
    """Under ``/taxii2/`` every answer is a TAXII error message in the TAXII media type (TAXII 2.1 3.6.1)."""
    if not request.path.startswith("/taxii2/"):
        return None
    return taxii_error_response(status, title)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if (taxii := _taxii_error(request, 404, "Not found")) is not None:
        return taxii
    if _wants_json(request):
        return JsonResponse({"error": "not_found", "detail": "Not found."}, status=404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if (taxii := _taxii_error(request, 500, "Internal error; it has been logged")) is not None:
        return taxii
    if _wants_json(request):
        return JsonResponse({"error": "server_error", "detail": "Internal error; it has been logged."}, status=500)
    return render(request, "500.html", status=500)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if (taxii := _taxii_error(request, 400, "Bad request")) is not None:
        return taxii
    if _wants_json(request):
        return JsonResponse({"error": "bad_request", "detail": "Bad request."}, status=400)
    return render(request, "400.html", status=400)
