"""Two polls give the same uuids, timestamps and bytes; a change moves only what changed, so MISP
updates the event in place instead of importing a copy."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from iocs.models import IOC
from tests.scenario import ago, fresh_cache, make_ioc, make_threat, sight  # noqa: F401
from threats.models import Threat

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


@pytest.fixture
def world(db):
    """Two events whose IOCs last changed an hour ago; one IOC of the first still pending."""
    first, second = make_threat("First", last_seen=ago(hours=2)), make_threat("Second", last_seen=ago(hours=3))
    for k in range(3):
        sight(make_ioc("ipv4", f"198.51.100.{k + 1}"), first)
        sight(make_ioc("ipv4", f"203.0.113.{k + 1}"), second)
    sight(make_ioc("domain", "later.example.com", status="pending"), first)
    IOC.objects.update(updated_at=ago(hours=1))
    return first, second


def poll(client) -> dict:
    files = {"manifest.json": client.get("/misp/manifest.json")}
    for event_uuid in files["manifest.json"].json():
        files[f"{event_uuid}.json"] = client.get(f"/misp/{event_uuid}.json")
    files["hashes.csv"] = client.get("/misp/hashes.csv")
    return files


def attrs(response) -> dict:
    return {a["value"]: a for a in response.json()["Event"]["Attribute"]}


def test_two_polls_are_identical_even_without_the_cache(client, world, settings):
    settings.MISP_FEED_CACHE_SECONDS = 0  # rebuilt from the database each time
    one, two = poll(client), poll(client)
    assert list(one) == list(two)
    for name in one:
        assert one[name].content == two[name].content, name
        assert one[name]["ETag"] == two[name]["ETag"]


def test_a_verdict_moves_the_event_timestamp_and_only_that(client, world, settings):
    settings.MISP_FEED_CACHE_SECONDS = 0
    first, second = world
    before = poll(client)
    IOC.objects.filter(value="later.example.com").update(status="confirmed", confidence="high")
    after = poll(client)
    manifest_before, manifest_after = before["manifest.json"].json(), after["manifest.json"].json()
    assert manifest_after[str(first.uuid)]["timestamp"] > manifest_before[str(first.uuid)]["timestamp"]
    assert manifest_after[str(second.uuid)] == manifest_before[str(second.uuid)]
    assert after[f"{second.uuid}.json"].content == before[f"{second.uuid}.json"].content
    old, new = attrs(before[f"{first.uuid}.json"]), attrs(after[f"{first.uuid}.json"])
    assert set(new) - set(old) == {"later.example.com"}
    for value, attr in old.items():  # unchanged attributes keep uuid and timestamp: MISP skips them
        assert new[value]["uuid"] == attr["uuid"] and new[value]["timestamp"] == attr["timestamp"]
    assert int(new["later.example.com"]["timestamp"]) == manifest_after[str(first.uuid)]["timestamp"]


def test_a_retraction_keeps_the_uuid_with_a_newer_timestamp(client, world, settings):
    settings.MISP_FEED_CACHE_SECONDS = 0
    first, _ = world
    before = attrs(client.get(f"/misp/{first.uuid}.json"))["198.51.100.1"]
    IOC.objects.filter(value="198.51.100.1").update(status="false_positive", confidence="")
    after = attrs(client.get(f"/misp/{first.uuid}.json"))["198.51.100.1"]
    assert after["uuid"] == before["uuid"] and after["deleted"] is True
    assert int(after["timestamp"]) > int(before["timestamp"])


def test_a_threat_change_moves_its_timestamp(client, world, settings):
    settings.MISP_FEED_CACHE_SECONDS = 0
    first, _ = world
    before = client.get("/misp/manifest.json").json()[str(first.uuid)]
    Threat.objects.filter(pk=first.pk).update(title="First, renamed", updated_at=timezone.now() + timedelta(seconds=1))
    after = client.get("/misp/manifest.json").json()[str(first.uuid)]
    assert after["info"] == "First, renamed" and after["timestamp"] > before["timestamp"]


def test_the_cache_serves_the_same_bytes_until_it_expires(client, world, settings):
    settings.MISP_FEED_CACHE_SECONDS = 300
    first, _ = world
    before = client.get(f"/misp/{first.uuid}.json")
    IOC.objects.filter(value="later.example.com").update(status="confirmed", confidence="high")
    assert client.get(f"/misp/{first.uuid}.json").content == before.content  # within the documented 300 s
    cache.clear()
    assert "later.example.com" in attrs(client.get(f"/misp/{first.uuid}.json"))
