"""Conditional GET on every feed file: a strong ETag and Last-Modified, 304 on If-None-Match (what
MISP sends when it polls) and on If-Modified-Since, a fresh 200 once the file changed."""

import re

import pytest
from django.utils.http import parse_http_date

from iocs.models import IOC
from tests.access import make_callers
from tests.scenario import fresh_cache, make_ioc, make_threat, sight  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


@pytest.fixture
def urls(db):
    threat = make_threat("Watched")
    sight(make_ioc("ipv4", "198.51.100.50"), threat)
    sight(make_ioc("ipv4", "198.51.100.51", status="pending"), threat)
    return {"manifest": "/misp/manifest.json", "event": f"/misp/{threat.uuid}.json", "hashes": "/misp/hashes.csv"}


@pytest.mark.parametrize("name", ["manifest", "event", "hashes"])
def test_validators_and_304s(client, urls, name):
    first = client.get(urls[name])
    etag, modified = first["ETag"], first["Last-Modified"]
    assert re.fullmatch(r'"[0-9a-f]{40}"', etag)  # strong
    assert first["Cache-Control"] == "public, max-age=300"
    for headers in ({"If-None-Match": etag}, {"If-None-Match": f"W/{etag}"}, {"If-Modified-Since": modified},
                    {"If-None-Match": f'"other", {etag}'}):
        again = client.get(urls[name], headers=headers)
        assert again.status_code == 304, headers
        assert again.content == b"" and again["ETag"] == etag and again["Last-Modified"] == modified
    assert client.get(urls[name], headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get(urls[name], headers={"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"}).status_code == 200


@pytest.mark.parametrize("name", ["manifest", "event", "hashes"])
def test_a_changed_file_answers_200_with_new_validators(client, urls, name, settings):
    settings.MISP_FEED_CACHE_SECONDS = 0  # no wait for the cache period
    first = client.get(urls[name])
    IOC.objects.filter(value="198.51.100.51").update(status="confirmed", confidence="low")
    second = client.get(urls[name], headers={"If-None-Match": first["ETag"]})
    assert second.status_code == 200 and second["ETag"] != first["ETag"]
    # If-Modified-Since alone is safe too: new bytes carry the time they were first served
    assert parse_http_date(second["Last-Modified"]) > parse_http_date(first["Last-Modified"])
    assert client.get(urls[name], headers={"If-Modified-Since": first["Last-Modified"]}).status_code == 200
    assert client.get(urls[name], headers={"If-None-Match": second["ETag"]}).status_code == 304


def test_the_token_feed_is_private(client, urls):
    caller = make_callers()["researcher_token"]
    response = caller.get(client, "/api/misp/manifest.json")
    assert response["Cache-Control"] == "private, max-age=300"
    again = caller.get(client, "/api/misp/manifest.json", headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304
