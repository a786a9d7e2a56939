"""Oversized input is refused cleanly: a 400/413 JSON error (never a 500, never a long wait), and in
ingestion a page or feed past its size limit is dropped with the reason recorded, nothing else lost.

Sizes from issue 12: a 50 MB article, a 10,000-character ``value``, 10,000 ``types``.
"""

from __future__ import annotations

import json
import logging

import pytest

from apikeys.models import APIKey, Scope
from apikeys.tiers import Tier
from iocs.models import IOC
from tests.access import make_user
from tests.ingest_support import LocalServer, rss
from tests.threat_fixtures import roomy_rate_limits  # noqa: F401 - fixture
from threats.ingest import articles, feeds, fetch
from threats.models import Article, Source

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roomy_rate_limits", "feeds_env")]
FIFTY_MB = 50 * 1024 * 1024


@pytest.fixture
def key_headers() -> dict[str, str]:
    _, key = APIKey.issue(make_user("big", Tier.ENTERPRISE), scopes=list(Scope.values), name="big")
    return {"X-API-Key": key}


def error_of(response, *statuses: int) -> dict:
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert body["error"] and body["detail"]
    return body


def test_a_10000_character_value_is_a_400_naming_value(client):
    for value in ("a" * 10_000, "1." * 5_000, "http://x.example/" + "a" * 9_983):
        body = error_of(client.get("/api/iocs/lookup", {"value": value}), 400)
        assert "value" in json.dumps(body)
        assert len(json.dumps(body)) < 2_000  # the error does not echo the 10,000 characters back


def test_10000_types_are_a_400_naming_types(client, key_headers):
    urls = ["/api/iocs/public/feed.txt", "/api/iocs/feed", "/api/public/v1/iocs/feed", "/api/public/v1/iocs/export"]
    comma = ",".join(["domain"] * 9_999 + ["nope"])
    for url in urls:
        body = error_of(client.get(url, {"types": comma}, headers=key_headers), 400)
        assert "types" in body["detail"] and len(body["detail"]) < 2_000
        # ?types=…&types=… 10,000 times is more parameters than a request may carry
        body = error_of(client.get(url, {"types": ["ipv4"] * 10_000}, headers=key_headers), 400)
        assert body["error"] == "too_many_parameters"


def test_10000_valid_types_repeated_are_one_set_not_10000_filters(client, key_headers):
    response = client.get("/api/public/v1/iocs/feed", {"types": ",".join(["domain", "ipv4"] * 5_000),
                                                       "format": "json"}, headers=key_headers)
    assert response.status_code == 200


def test_a_batch_lookup_of_10000_values_is_a_400(client, key_headers):
    body = error_of(client.post("/api/iocs/lookup", {"values": ["198.51.100.7"] * 10_000},
                                content_type="application/json", headers=key_headers), 400)
    assert "values" in body["detail"]


def test_a_request_body_past_the_upload_limit_is_a_413_json(client, key_headers, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    payload = json.dumps({"values": ["x" * 1000] * 2_000})  # 2 MB
    body = error_of(client.post("/api/iocs/lookup", payload, content_type="application/json", headers=key_headers),
                    413)
    assert body["error"] == "too_large"
    # a request with 10,000 query parameters (DATA_UPLOAD_MAX_NUMBER_FIELDS) is refused, not parsed
    query = "&".join(f"p{i}=1" for i in range(10_000))
    assert error_of(client.get(f"/api/iocs/lookup?value=198.51.100.7&{query}"), 400)["error"] == "too_many_parameters"


def test_a_50_mb_article_page_is_refused_and_the_feed_summary_kept(caplog):
    server = LocalServer()
    big = b"<html><body><p>" + b"203.0.113.9 " * (FIFTY_MB // 12) + b"</p></body></html>"
    server.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, rss([
        {"title": "Huge report", "link": server.url("/huge"),
         "description": "C2 at 198.51.100.23 per the summary."}]))
    server.routes["/huge"] = (200, {"Content-Type": "text/html"}, big)
    try:
        source = Source.objects.create(name="big", url=server.url("/feed.xml"), enabled=True)
        poll = feeds.poll_source(source.pk, force=True)
        assert poll.status == "fetched" and len(poll.article_ids) == 1
        with caplog.at_level(logging.INFO, logger="threats.ingest.articles"):
            result = articles.process_article(poll.article_ids[0])
    finally:
        server.close()
    assert result.status == articles.NEW
    article = Article.objects.get()
    assert len(article.text) < 1_000 and "198.51.100.23" in article.text  # the summary, not 50 MB
    assert "limit" in caplog.text
    assert set(IOC.objects.values_list("value", flat=True)) == {"198.51.100.23"}


def test_a_50_mb_feed_is_an_error_on_its_source(monkeypatch):
    monkeypatch.setattr(fetch, "MAX_FEED_BYTES", 10 * 1024 * 1024)
    server = LocalServer()
    server.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, b" " * FIFTY_MB)
    try:
        source = Source.objects.create(name="big feed", url=server.url("/feed.xml"), enabled=True)
        poll = feeds.poll_source(source.pk, force=True)
    finally:
        server.close()
    source.refresh_from_db()
    assert poll.status == "error" and "limit" in poll.error
    assert source.error_count == 1 and "limit" in source.last_error
    assert not Article.objects.exists()
