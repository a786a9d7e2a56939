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
