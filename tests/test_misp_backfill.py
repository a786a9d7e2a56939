"""Token feed backfill: ?since=YYYY-MM-DD or ?days=N (or the same as a path prefix MISP can poll),
capped per tier (FEED_WINDOW_CAPS_DAYS); anything else is a 400 naming the parameter."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.access import make_callers
from tests.scenario import ago, fresh_cache, threat_with_iocs  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


@pytest.fixture
def world(db):
    """One CLEAR event per day for 70 days (day k last seen k days + 1 hour ago), one 200 days old."""
    days = [threat_with_iocs(title=f"Day {k}", last_seen=ago(days=k, hours=1)) for k in range(70)]
    old = threat_with_iocs(title="Old", last_seen=ago(days=200))
    return {"days": days, "old": old, "callers": make_callers()}


def get(client, world, url, caller="researcher_token", headers=None, **params):
    return world["callers"][caller].get(client, url, data=params, headers=headers)


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [entry["info"] for entry in response.json().values()]


def test_without_a_window_the_latest_50(client, world):
    assert titles(get(client, world, "/api/misp/manifest.json")) == [f"Day {k}" for k in range(50)]


def test_days_lists_every_event_active_in_the_last_n_days(client, world):
    assert titles(get(client, world, "/api/misp/manifest.json", days="7")) == [f"Day {k}" for k in range(7)]
    assert len(titles(get(client, world, "/api/misp/manifest.json", days="90"))) == 70  # more than 50


def test_since_lists_every_event_active_since_that_day(client, world):
    since = (timezone.now() - timedelta(days=65)).date()
    listed = titles(get(client, world, "/api/misp/manifest.json", since=since.isoformat()))
    assert listed[:3] == ["Day 0", "Day 1", "Day 2"] and "Day 63" in listed and "Day 66" not in listed


def test_the_path_form_is_the_same_feed(client, world):
    by_query = get(client, world, "/api/misp/manifest.json", days="7")
    by_path = get(client, world, "/api/misp/days/7/manifest.json")
    assert by_path.content == by_query.content and by_path["ETag"] == by_query["ETag"]
    since = (timezone.now() - timedelta(days=3)).date().isoformat()
    assert titles(get(client, world, f"/api/misp/since/{since}/manifest.json"))[:1] == ["Day 0"]
    event = world["days"][60]
    assert get(client, world, f"/api/misp/days/90/{event.uuid}.json").status_code == 200
    streamed = get(client, world, "/api/misp/days/90/hashes.csv")  # a window's hashes.csv is streamed
    lines = b"".join(streamed.streaming_content).decode().splitlines()
    assert len(lines) == 2 * 70  # each event: its IPv4 and its source link
    assert {line.split(",")[1] for line in lines} == {str(t.uuid) for t in world["days"]}
    again = get(client, world, "/api/misp/days/90/hashes.csv", headers={"If-None-Match": streamed["ETag"]})
    assert streamed["ETag"].startswith('W/"') and again.status_code == 304


def test_events_in_the_callers_window_are_served_even_if_not_listed(client, world):
    beyond_50 = world["days"][60]
    assert get(client, world, f"/api/misp/{beyond_50.uuid}.json").status_code == 200
    client.logout()
    assert client.get(f"/misp/{beyond_50.uuid}.json").status_code == 404  # not in the public manifest
    old = world["old"]
    assert get(client, world, f"/api/misp/{old.uuid}.json").status_code == 404  # researcher: 90 days
    assert get(client, world, f"/api/misp/{old.uuid}.json", caller="business_key").status_code == 200  # 365


@pytest.mark.parametrize(("params", "param", "says"), [
    ({"days": "91"}, "days", "1 to 90"),
    ({"days": "0"}, "days", "1 to 90"),
    ({"days": "seven"}, "days", "integer"),
    ({"days": "-3"}, "days", "integer"),
    ({"since": "2024-13-01"}, "since", "YYYY-MM-DD"),
    ({"since": "yesterday"}, "since", "YYYY-MM-DD"),
    ({"since": "2000-01-01"}, "since", "at most 90 days"),
    ({"since": "2999-01-01"}, "since", "future"),
    ({"since": "2024-01-01", "days": "3"}, "since", "not both"),
])
def test_a_bad_window_is_a_400_naming_the_parameter(client, db, params, param, says):
    response = get(client, {"callers": make_callers()}, "/api/misp/manifest.json", **params)
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == [param] and says in body["detail"], body


def test_the_cap_follows_the_tier(client, world):
    assert get(client, world, "/api/misp/manifest.json", caller="business_key", days="365").status_code == 200
    assert get(client, world, "/api/misp/manifest.json", caller="business_key", days="366").status_code == 400
    assert get(client, world, "/api/misp/days/91/manifest.json").status_code == 400
    assert get(client, world, "/api/misp/days/7/manifest.json", days="7").status_code == 400  # given twice
