"""The OpenAPI schema lists every route under /api/ and /misp/, with its path parameters, its auth and its errors,
and what it says about auth is what the server does."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from iocs.pages.endpoints import endpoints
from tests.scenario import fresh_cache  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

NOT_API = {"/api/schema/", "/api/docs/"}
SAMPLE = {"public_id": "deadbeef", "event_id": "5c3b8e2a-1f0d-4a57-9d43-7c6b2f1e8a90", "days": "7",
          "since": "2026-01-01", "prefix": "tc_nothing",
          "collection_id": "indicators", "object_id": "indicator--5c3b8e2a-1f0d-4a57-9d43-7c6b2f1e8a90"}


def routes(patterns=None, prefix=""):
    """(OpenAPI path, view class) of every routed URL."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route), getattr(entry.callback, "view_class", None)


def api_routes():
    return sorted({(path, view) for path, view in routes()
                   if path.startswith(("/api/", "/misp/")) and path not in NOT_API}, key=lambda r: r[0])


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        from django.test import Client

        return Client().get("/api/schema/", {"format": "json"}).json()


def test_every_api_route_and_method_is_in_the_schema(schema):
    found = api_routes()
    assert len(found) >= 30
    for path, view in found:
        assert path in schema["paths"], f"{path} ({view}) is missing from /api/schema/"
        methods = {m for m in ("get", "post", "put", "patch", "delete") if view and hasattr(view, m)}
        assert methods == set(schema["paths"][path]), path


def test_every_operation_declares_path_parameters_auth_and_errors(schema):
    for path, operations in schema["paths"].items():
        in_path = set(re.findall(r"{(\w+)}", path))
        for method, op in operations.items():
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == in_path, (method, path)
            assert op.get("security"), (method, path)
            assert {"400", "401", "429"} <= set(op["responses"]), (method, path)
            assert "Retry-After" in op["responses"]["429"]["headers"], (method, path)
            anonymous = {} in op["security"]
            assert anonymous or "403" in op["responses"] or method == "get", (method, path)
            assert "**Access**" in op.get("description", ""), (method, path)


def test_the_schema_tells_the_truth_about_anonymous_access(client, schema):
    """Call every operation without credentials: 401 exactly where the schema says credentials are required."""
    for path, operations in schema["paths"].items():
        url = re.sub(r"{(\w+)}", lambda m: SAMPLE[m.group(1)], path)
        for method, op in operations.items():
            response = client.generic(method.upper(), url, data="{}", content_type="application/json")
            anonymous = {} in op["security"]
            assert (response.status_code == 401) is (not anonymous), (method, path, response.status_code)
            assert response.status_code != 500


def test_api_key_only_routes_say_so(schema):
    for path, operations in schema["paths"].items():
        if path.startswith("/api/public/v1/"):
            for op in operations.values():
                assert op["security"] == [{"apiKey": []}], path


def test_the_landing_pages_endpoint_guide_only_names_documented_routes(schema):
    for endpoint in endpoints():
        path = re.sub(r"<(\w+)>", r"{public_id}", endpoint.path)
        assert path in schema["paths"], endpoint.path
