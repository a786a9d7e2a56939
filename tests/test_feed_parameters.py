"""Bad parameters: a 400 JSON error naming the parameter and the allowed values, before any byte."""

from datetime import timedelta

import pytest
from django.utils import timezone

from iocs.feeds.params import parse_since
from tests.access import make_callers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_env")]


@pytest.fixture
def researcher(db):
    return make_callers()["researcher_token"]


CASES = [
    ({"confidence": "certain"}, "confidence", "confirmed, high, medium, low"),
    ({"confidence": ""}, "confidence", "high, medium, low"),
    ({"types": "ipv4,hash"}, "types", "ipv4, ipv6, domain, url"),
    ({"hours": "abc"}, "hours", "1 to 2160"),
    ({"hours": "2161"}, "hours", "1 to 2160"),
    ({"days": "0"}, "days", "1 to 90"),
    ({"days": "91"}, "days", "1 to 90"),
    ({"days": "7", "hours": "3"}, "hours", "not both"),
    ({"since": "yesterday"}, "since", "2024-05-01T10:00:00Z"),
    ({"since": "2999-01-01"}, "since", "future"),
    ({"since": "2001-01-01"}, "since", "last 90 days"),
    ({"defang": "maybe"}, "defang", "true or false"),
    ({"format": "rpz", "defang": "true"}, "defang", "format=rpz"),
    ({"format": "hosts", "types": "ipv4"}, "types", "domain"),
    ({"format": "pdf"}, "format", "csv, hosts, json, rpz, stix, suricata, txt"),
    ({"confidance": "high"}, "confidance", "confidence, types, hours, days, since, defang"),
    ({"days": ["1", "2"]}, "days", "once"),
]


@pytest.mark.parametrize(("params", "name", "allowed"), CASES)
def test_feed_rejects(client, researcher, params, name, allowed):
    response = researcher.get(client, "/api/iocs/feed", data=params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.has_header("X-IOC-Pending-Count")
    error = response.json()
    assert error["error"] == "invalid_parameter" and name in error["errors"]
    assert allowed in " ".join(error["errors"][name]), error


def test_every_error_at_once(client, researcher):
    errors = researcher.get(client, "/api/iocs/export", data={"confidence": "x", "types": "y", "days": "z"}).json()
    assert set(errors["errors"]) == {"confidence", "types", "days"}


def test_public_feeds(client):
    for url, params, name in [("/api/iocs/public/feed.txt", {"confidence": "medium"}, "confidence"),
                              ("/api/iocs/public/feed.txt", {"since": "2024-01-01"}, "since"),
                              ("/api/iocs/public/feed.json", {"types": "url"}, "types"),
                              ("/api/iocs/public/feed.csv", {"days": "31"}, "days"),
                              ("/api/iocs/public/feed.json", {"format": "csv"}, "format")]:
        response = client.get(url, data=params)
        assert response.status_code == 400 and name in response.json()["errors"], (url, params)


def test_removed_needs_since(client, researcher):
    response = researcher.get(client, "/api/iocs/feed/removed.txt")
    assert response.status_code == 400 and "required" in response.json()["errors"]["since"][0]


def test_since_forms_accepted(client, researcher):
    day = timezone.now() - timedelta(days=2)
    forms = {
        day.strftime("%Y-%m-%d"): day.replace(hour=0, minute=0, second=0, microsecond=0),
        day.strftime("%Y-%m-%dT%H:%M:%SZ"): day.replace(microsecond=0),
        day.strftime("%Y-%m-%dT%H:%M:%S") + "+02:00": day.replace(microsecond=0) - timedelta(hours=2),
        day.strftime("%Y-%m-%dT%H:%M:%S") + " 02:00": day.replace(microsecond=0) - timedelta(hours=2),  # unencoded +
        day.strftime("%Y-%m-%dT%H:%M:%S"): day.replace(microsecond=0),  # no offset: UTC
    }
    for form, moment in forms.items():
        assert parse_since(form) == moment, form
        response = researcher.get(client, "/api/iocs/feed/removed.txt", data={"since": form})
        assert response.status_code == 200, (form, response.content)
