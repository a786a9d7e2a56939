"""Unknown values and false positives are a 200 with found: false, not a 404 (consoles tell
"unknown" from "error"); a false positive is excluded like everywhere else."""

import pytest

from tests.scenario import fresh_cache, make_ioc, make_threat, sight  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


def test_a_value_never_seen_is_found_false(client):
    response = client.get("/api/iocs/lookup", {"value": "never-seen.example.org"})
    assert response.status_code == 200
    assert response.json() == {"query": "never-seen.example.org", "type": "domain",
                               "value": "never-seen.example.org", "found": False, "ioc": None, "clusters": [],
                               "more_clusters": False}


def test_a_false_positive_is_found_false_even_for_staff(client, admin_user):
    threat = make_threat("Mentions a CDN")
    sight(make_ioc("domain", "cdn.example.com", status="false_positive"), threat)
    body = client.get("/api/iocs/lookup", {"value": "cdn.example.com"}).json()
    assert body["found"] is False and body["ioc"] is None and body["clusters"] == []
    client.force_login(admin_user)
    assert client.get("/api/iocs/lookup", {"value": "cdn.example.com"}).json()["found"] is False


def test_a_pending_ioc_is_found_with_its_status(client):
    threat = make_threat("Fresh report")
    sight(make_ioc("domain", "fresh.example.com", status="pending"), threat)
    body = client.get("/api/iocs/lookup", {"value": "fresh.example.com"}).json()
    assert body["found"] is True
    assert body["ioc"]["status"] == "pending" and body["ioc"]["confidence"] is None
