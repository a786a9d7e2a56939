"""JSON: one document (provenance fields, then items) that json.loads reads, at any size."""

import json

import pytest

from tests.access import make_callers
from tests.feeds_helpers import body, cite, make_ioc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_env")]


def test_document_shape(client):
    callers = make_callers()
    ioc = make_ioc("json.example.com", reason='quote " backslash \\ and </script>')
    cite(ioc, title="Ünïcödé report")
    make_ioc("http://json.example.com/a?b=c", "url", confidence="low")
    response = callers["researcher_token"].get(client, "/api/iocs/feed", data={"format": "json"})
    assert response["Content-Type"] == "application/json; charset=utf-8"
    doc = json.loads(body(response))
    assert set(doc) == {"feed", "publisher", "license", "generated_at", "count", "parameters", "source", "items"}
    assert doc["count"] == 2 and len(doc["items"]) == 2
    assert doc["parameters"]["confidence"] == ["high", "medium", "low"] and doc["parameters"]["window"] == "90d"
    assert "token" not in doc["source"]
    item = next(i for i in doc["items"] if i["type"] == "domain")
    assert item["reason"] == 'quote " backslash \\ and </script>'
    assert item["sources"][0]["title"] == "Ünïcödé report"


def test_empty_feed_is_valid(client):
    doc = json.loads(body(client.get("/api/iocs/public/feed.json")))
    assert doc["items"] == [] and doc["count"] == 0
