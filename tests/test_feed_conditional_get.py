"""Polling clients: strong ETag, Last-Modified, Cache-Control, 304 on If-None-Match and
If-Modified-Since, gzip with its own strong ETag, and a new version when the data changes."""

import gzip

import pytest
from django.utils.http import http_date

from tests.access import make_callers
from tests.feeds_helpers import body, lines, make_ioc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_env")]
URL = "/api/iocs/public/feed.txt"


@pytest.fixture
def data(db):
    make_ioc("one.example.com")
    make_ioc("two.example.com")


def test_validators_present(client, data):
    response = client.get(URL)
    assert response["ETag"].startswith('"') and not response["ETag"].startswith("W/")
    assert response["Last-Modified"].endswith("GMT")
    assert response["Cache-Control"].startswith("public, max-age=")
    assert 0 < int(response["Cache-Control"].split("=")[1]) <= 900
    assert "Accept-Encoding" in response["Vary"]


def test_if_none_match_gives_304(client, data):
    first = client.get(URL)
    again = client.get(URL, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again["ETag"] == first["ETag"] and not again.content
    assert again.has_header("X-IOC-Pending-Count") and again.has_header("Cache-Control")
    other = client.get(URL, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


def test_if_modified_since_gives_304(client, data):
    first = client.get(URL)
    assert client.get(URL, headers={"If-Modified-Since": first["Last-Modified"]}).status_code == 304
    assert client.get(URL, headers={"If-Modified-Since": http_date(0)}).status_code == 200


def test_new_data_new_version_after_the_cache_period(client, data, clock):
    first = client.get(URL)
    make_ioc("three.example.com")
    cached = client.get(URL, headers={"If-None-Match": first["ETag"]})
    assert cached.status_code == 304  # within the 15 minutes the feed is cached for
    clock.advance(minutes=16)
    fresh = client.get(URL, headers={"If-None-Match": first["ETag"]})
    assert fresh.status_code == 200 and fresh["ETag"] != first["ETag"]
    assert "three.example.com" in lines(fresh)
    assert client.get(URL, headers={"If-Modified-Since": first["Last-Modified"]}).status_code in (200, 304)


def test_unchanged_data_keeps_its_version_across_periods(client, data, clock):
    first = client.get(URL)
    clock.advance(minutes=40)
    again = client.get(URL, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again["Last-Modified"] == first["Last-Modified"]


def test_gzip_representation(client, data):
    plain = client.get(URL)
    zipped = client.get(URL, headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped["Content-Encoding"] == "gzip"
    assert zipped["ETag"] == plain["ETag"][:-1] + '-gz"'
    raw = b"".join(zipped.streaming_content)
    assert gzip.decompress(raw) == body(plain)
    assert client.get(URL, headers={"If-None-Match": zipped["ETag"]}).status_code == 304
    assert client.get(URL, headers={"Accept-Encoding": "br"}).get("Content-Encoding") is None


def test_token_feed_is_private(client, data):
    response = make_callers()["researcher_token"].get(client, "/api/iocs/feed")
    assert response["Cache-Control"].startswith("private, max-age=")
    assert "X-API-Key" in response["Vary"] and "Authorization" in response["Vary"]


def test_head_has_headers_and_no_body(client, data):
    response = client.head(URL)
    assert response.status_code == 200 and response.has_header("ETag") and response.content == b""
