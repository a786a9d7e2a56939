"""The OpenAPI schema and its documentation UI are served locally."""

import pytest


@pytest.mark.django_db
def test_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    doc = schema.json()
    assert doc["openapi"].startswith("3.")
    assert {"apiKey", "feedToken"} <= set(doc.get("components", {}).get("securitySchemes", {})) or not doc["paths"]
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "unpkg" not in html and "jsdelivr" not in html


@pytest.mark.django_db
def test_the_taxii_endpoints_are_described(client):
    doc = client.get("/api/schema/", {"format": "json"}).json()
    paths = {path: ops for path, ops in doc["paths"].items() if path.startswith("/taxii2/")}
    assert set(paths) == {"/taxii2/", "/taxii2/api/", "/taxii2/api/collections/",
                          "/taxii2/api/collections/{collection_id}/",
                          "/taxii2/api/collections/{collection_id}/objects/",
                          "/taxii2/api/collections/{collection_id}/objects/{object_id}/",
                          "/taxii2/api/collections/{collection_id}/objects/{object_id}/versions/",
                          "/taxii2/api/collections/{collection_id}/manifest/"}
    objects = paths["/taxii2/api/collections/{collection_id}/objects/"]
    assert "application/taxii+json;version=2.1" in objects["get"]["responses"]["200"]["content"]
    assert {p["name"] for p in objects["get"]["parameters"]} >= {"added_after", "limit", "next", "match[id]",
                                                                 "match[type]", "match[version]", "match[spec_version]"}
    # Read-only: a write is refused (403 per the TAXII spec), on top of the errors every operation has.
    assert {"403", "404"} <= set(objects["post"]["responses"])
    assert "201" not in objects["post"]["responses"] and "202" not in objects["post"]["responses"]
    assert {"feedTokenBasic": []} in objects["get"]["security"]
    assert doc["components"]["securitySchemes"]["feedTokenBasic"] == {
        "type": "http", "scheme": "basic",
        "description": "Feed token (Researcher+) as the password of HTTP Basic; any user name."}
