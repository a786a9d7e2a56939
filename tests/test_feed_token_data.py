"""Token feed, export and v1: every confirmed IOC of every type, the caller's TLP, a 90-day window
by default, filters by confidence, types, hours and days; pending and false positives never."""

import csv
import io
import json

import pytest

from apikeys.tlp import TLP
from tests.access import make_callers
from tests.feeds_helpers import body, lines, make_ioc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_env")]


@pytest.fixture
def callers(db):
    return make_callers()


@pytest.fixture
def data(db):
    make_ioc("high.example.com")
    make_ioc("medium.example.com", confidence="medium")
    make_ioc("low.example.com", confidence="low")
    make_ioc("http://low.example.com/payload.bin", "url", confidence="low")
    make_ioc("0" * 63 + "1", "sha256", confidence="medium")
    make_ioc("198.51.100.9", "ipv4", age_days=60)
    make_ioc("stale.example.com", age_days=100)
    make_ioc("hour.example.com", age_days=0.01)
    make_ioc("pending.example.com", status="pending")
    make_ioc("benign.example.com", status="false_positive")
    make_ioc("green.example.com", tlp=TLP.GREEN)
    make_ioc("amber.example.com", tlp=TLP.AMBER)
    make_ioc("strict.example.com", tlp=TLP.AMBER_STRICT)
    make_ioc("red.example.com", tlp=TLP.RED)


CLEAR_SET = {"high.example.com", "medium.example.com", "low.example.com", "http://low.example.com/payload.bin",
             "0" * 63 + "1", "198.51.100.9", "hour.example.com"}


def values(callers, client, caller, url, **params):
    response = callers[caller].get(client, url, data=params)
    assert response.status_code == 200, response.content
    return set(lines(response))


@pytest.mark.parametrize("url", ["/api/iocs/feed", "/api/iocs/export"])
def test_tlp_by_tier(client, callers, data, url):
    assert values(callers, client, "researcher_token", url) == CLEAR_SET | {"green.example.com"}
    assert values(callers, client, "business_key", url) == CLEAR_SET | {"green.example.com", "amber.example.com"}
    assert values(callers, client, "staff", url) == CLEAR_SET | {"green.example.com", "amber.example.com",
                                                                 "strict.example.com", "red.example.com"}


@pytest.mark.parametrize("url", ["/api/public/v1/iocs/feed", "/api/public/v1/iocs/export"])
def test_v1_serves_the_same_data(client, callers, data, url):
    assert values(callers, client, "business_key", url) == values(callers, client, "business_key",
                                                                 url.replace("/public/v1/iocs/", "/iocs/"))


def test_confidence_filter(client, callers, data):
    url = "/api/iocs/feed"
    assert "low.example.com" not in values(callers, client, "researcher_token", url, confidence="high,medium")
    assert values(callers, client, "researcher_token", url, confidence="low") == {
        "low.example.com", "http://low.example.com/payload.bin"}
    assert values(callers, client, "researcher_token", url, confidence="confirmed") == values(
        callers, client, "researcher_token", url)


def test_types_filter(client, callers, data):
    assert values(callers, client, "researcher_token", "/api/iocs/export", types="url,sha256") == {
        "http://low.example.com/payload.bin", "0" * 63 + "1"}


def test_window_hours_and_days(client, callers, data):
    url = "/api/iocs/feed"
    assert values(callers, client, "researcher_token", url, hours="1") == {"hour.example.com"}
    assert "198.51.100.9" not in values(callers, client, "researcher_token", url, days="30")
    assert "198.51.100.9" in values(callers, client, "researcher_token", url, days="90")
    assert "stale.example.com" not in values(callers, client, "researcher_token", url)  # default 90 days
    assert "stale.example.com" in values(callers, client, "business_key", url, days="365")  # Business cap


def test_export_is_a_dated_download_of_the_same_rows(client, callers, data):
    response = callers["researcher_token"].get(client, "/api/iocs/export", data={"format": "csv"})
    assert response["Content-Disposition"].startswith('attachment; filename="threatcluster-iocs-20')
    assert response["Content-Disposition"].endswith('.csv"')
    rows = list(csv.DictReader(io.StringIO(body(response).decode())))
    assert {r["value"] for r in rows} == CLEAR_SET | {"green.example.com"}
    feed = callers["researcher_token"].get(client, "/api/iocs/feed", data={"format": "json"})
    assert "Content-Disposition" not in feed
    assert {i["value"] for i in json.loads(body(feed))["items"]} == {r["value"] for r in rows}


def test_types_follow_the_format(client, callers, data):
    assert values(callers, client, "researcher_token", "/api/iocs/feed", format="hosts") == {
        f"0.0.0.0 {d}" for d in ("high.example.com", "medium.example.com", "low.example.com", "hour.example.com",
                                 "green.example.com")}
    response = callers["researcher_token"].get(client, "/api/iocs/feed", data={"format": "hosts", "types": "url"})
    assert response.status_code == 400 and "types" in response.json()["errors"]
