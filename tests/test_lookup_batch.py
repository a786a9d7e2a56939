"""POST /api/iocs/lookup: up to 100 values for Researcher+, answered with the same two queries as one."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from iocs.lookup.query import one_statement
from tests.access import make_callers
from tests.scenario import VALUES, fresh_cache, make_ioc, make_threat, sight  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]
URL = "/api/iocs/lookup"


@pytest.fixture
def callers(db):
    return make_callers()


@pytest.fixture
def many(db):
    """100 IPs, each in the same two clusters; one false positive."""
    values = []
    first, second = make_threat("A"), make_threat("B")
    for k in range(100):
        ioc = make_ioc("ipv4", f"198.18.{k // 200}.{k % 200 + 1}")
        sight(ioc, first)
        sight(ioc, second)
        values.append(ioc.value)
    sight(make_ioc("domain", "benign.example.com", status="false_positive"), make_threat("FP"))
    return values


def test_results_follow_the_input_order(client, callers, many):
    body = {"values": ["hxxp://nowhere[.]example/x", many[3], "benign.example.com", "garbage value", many[0]]}
    response = callers["researcher_token"].post(client, URL, body)
    assert response.status_code == 200
    data = response.json()
    assert (data["count"], data["found"]) == (5, 2)
    results = data["results"]
    assert [r["found"] for r in results] == [False, True, False, False, True]
    assert results[0]["value"] == "http://nowhere.example/x"
    assert results[1]["value"] == many[3] and len(results[1]["clusters"]) == 2
    assert results[3] == {"query": "garbage value", "found": False, "error": "invalid_value",
                          "detail": results[3]["detail"]}
    assert response["X-IOC-Pending-Count"] == "0"


def test_items_may_carry_their_type_and_limit_applies_per_value(client, callers, many):
    body = {"values": [{"value": "evil.example.com", "type": "url"}, many[1]], "limit": 1}
    results = callers["business_key"].post(client, URL, body).json()["results"]
    assert results[0]["type"] == "url" and results[0]["value"] == "http://evil.example.com/"
    assert len(results[1]["clusters"]) == 1 and results[1]["more_clusters"] is True


def test_a_bare_list_is_accepted(client, callers, many):
    assert callers["researcher_session"].post(client, URL, many[:3]).json()["found"] == 3


def _queries(client, caller, values) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert caller.post(client, URL, {"values": values}).status_code == 200
    return len(ctx.captured_queries)


def test_one_hundred_values_cost_the_same_queries_as_two(client, callers, many):
    caller = callers["business_key"]
    _queries(client, caller, many[:1])  # warm the pending-count cache and the key's last_used_at
    two = _queries(client, caller, many[:2])
    hundred = _queries(client, caller, many)
    assert hundred == two
    with CaptureQueriesContext(connection) as ctx:
        caller.post(client, URL, {"values": many})
    lookups = [q["sql"] for q in ctx.captured_queries if "iocs_ioc" in q["sql"] or "threats_threat" in q["sql"]]
    # PostgreSQL: one statement; SQLite: the IOCs, then all their clusters.
    assert len(lookups) == (1 if one_statement() else 2), lookups


@pytest.mark.parametrize(("body", "param"), [
    ({"values": []}, "values"),
    ({"values": "198.51.100.7"}, "values"),
    ({"values": ["1.1.1.1"] * 101}, "values"),
    ({"values": [3]}, "values"),
    ({"values": ["1.1.1.1"], "type": "ip"}, "type"),
    ({"values": [{"value": "1.1.1.1", "type": "ip"}]}, "values[0].type"),
    ({"values": ["1.1.1.1"], "limit": 0}, "limit"),
    ({"nothing": 1}, "values"),
    (json.dumps("just a string"), "values"),
])
def test_a_malformed_batch_is_a_400_naming_the_parameter(client, callers, body, param):
    response = callers["researcher_token"].post(client, URL, body)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [param]


def test_invalid_json_is_a_400_and_a_form_is_a_415(client, callers):
    caller = callers["researcher_token"]
    assert caller.post(client, URL, "{not json").status_code == 400
    response = client.post(f"{URL}?token={caller.query['token']}", {"values": "1.1.1.1"})
    assert response.status_code == 415 and response.json()["error"] == "unsupported_media_type"
