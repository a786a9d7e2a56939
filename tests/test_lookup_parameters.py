"""Lookup parameters: limit (default 20, 1..100), type and value; anything else is a 400 naming it."""

import pytest

from tests.scenario import fresh_cache, make_ioc, make_threat, many_threats, sight  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


@pytest.fixture
def busy_ioc(db):
    """An IOC cited by 105 clusters, the newest one last seen an hour ago."""
    ioc = make_ioc("domain", "busy.example.net")
    many_threats(ioc, 105)
    return ioc


def lookup(client, **params):
    return client.get("/api/iocs/lookup", {"value": "busy.example.net", **params})


def test_default_limit_is_20_newest_first(client, busy_ioc):
    body = lookup(client).json()
    assert [c["title"] for c in body["clusters"]] == [f"Cluster {k}" for k in range(20)]
    assert body["more_clusters"] is True


@pytest.mark.parametrize(("limit", "count", "more"), [("1", 1, True), ("100", 100, True), (" 7 ", 7, True)])
def test_limit_is_honoured(client, busy_ioc, limit, count, more):
    body = lookup(client, limit=limit).json()
    assert len(body["clusters"]) == count and body["more_clusters"] is more


def test_no_more_clusters_when_all_fit(client, db):
    threat = make_threat("Only one")
    sight(make_ioc("ipv4", "198.51.100.9"), threat)
    body = client.get("/api/iocs/lookup", {"value": "198.51.100.9", "limit": "100"}).json()
    assert len(body["clusters"]) == 1 and body["more_clusters"] is False


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5", "1e2", ""])
def test_bad_limit_is_a_400_naming_it(client, busy_ioc, limit):
    response = lookup(client, limit=limit)
    if limit == "":  # an empty parameter is the default
        assert response.status_code == 200
        return
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_parameter" and "limit" in body["errors"]
    assert "1 to 100" in body["detail"]


def test_bad_type_is_a_400_listing_the_types(client, busy_ioc):
    body = lookup(client, type="hostname").json()
    assert list(body["errors"]) == ["type"]
    assert "ipv4" in body["detail"] and "sha256" in body["detail"]


@pytest.mark.parametrize(("params", "reason"), [
    ({}, "required"),
    ({"value": "not an ioc at all"}, "not a recognised IOC"),
    ({"value": "   "}, "empty"),
    ({"value": "x" * 3000}, "longer than"),
    ({"value": "300.1.1.1", "type": "ipv4"}, "IPv4"),
    ({"value": "javascript:alert(1)", "type": "url"}, "URL"),
])
def test_bad_value_is_a_400_naming_it(client, db, params, reason):
    response = client.get("/api/iocs/lookup", params)
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["value"] and reason in body["detail"]


def test_every_answer_carries_the_pending_count(client, busy_ioc):
    make_ioc("md5", "0" * 32, status="pending")
    ok = lookup(client)
    bad = lookup(client, limit="0")
    assert ok["X-IOC-Pending-Count"] == "1" and bad["X-IOC-Pending-Count"] == "1"
