"""``feed/status.json``: per feed, generated at, rows, stale; "empty" is not "broken"."""

import pytest

from iocs.feeds import tasks
from tests.access import make_callers
from tests.feeds_helpers import lines, make_ioc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_env")]
URL = "/api/iocs/feed/status.json"


def feeds(response) -> dict[str, dict]:
    assert response.status_code == 200 and response["Cache-Control"] == "no-cache"
    return {f["feed"]: f for f in response.json()["feeds"]}


def test_never_generated_is_stale(client):
    status = feeds(client.get(URL))
    assert set(status) == {"public/feed.txt", "public/feed.json", "public/feed.csv"}
    assert status["public/feed.txt"]["state"] == "never generated" and status["public/feed.txt"]["stale"] is True


def test_after_a_download(client):
    make_ioc("s.example.com")
    make_ioc("198.51.100.1", "ipv4")
    lines(client.get("/api/iocs/public/feed.txt"))
    txt = feeds(client.get(URL))["public/feed.txt"]
    assert txt["state"] == "ok" and txt["stale"] is False and txt["rows"] == 2
    assert txt["generated_at"].endswith("Z") and txt["url"].endswith("/api/iocs/public/feed.txt")


def test_empty_is_not_broken(client):
    lines(client.get("/api/iocs/public/feed.json"))
    entry = feeds(client.get(URL))["public/feed.json"]
    assert entry["state"] == "empty" and entry["rows"] == 0 and entry["stale"] is False


def test_stale_when_nothing_verified_it(client, clock):
    make_ioc("s.example.com")
    lines(client.get("/api/iocs/public/feed.txt"))
    clock.advance(minutes=26)
    entry = feeds(client.get(URL))["public/feed.txt"]
    assert entry["stale"] is True and entry["state"] == "stale"
    tasks.refresh_feeds.apply()  # the beat task (run here, in process) verifies every default feed
    entry = feeds(client.get(URL))["public/feed.txt"]
    assert entry["stale"] is False and entry["rows"] == 1


def test_callers_see_their_feeds(client):
    callers = make_callers()
    assert {"feed", "export"} <= set(feeds(callers["researcher_token"].get(client, URL)))
    assert "v1/iocs/feed" not in feeds(callers["researcher_token"].get(client, URL))
    assert {"feed", "export", "v1/iocs/feed", "v1/iocs/export"} <= set(feeds(callers["business_key"].get(client, URL)))
