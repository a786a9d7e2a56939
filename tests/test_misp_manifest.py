"""manifest.json: the latest 10 TLP:CLEAR events for everyone, the latest 50 at the caller's
clearance for token holders (never TLP:RED), each entry exactly PyMISP's manifest shape."""

import pytest

from apikeys.tlp import TLP
from tests.access import make_callers
from tests.scenario import ago, fresh_cache, make_ioc, make_threat, sight, threat_with_iocs  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


@pytest.fixture
def world(db):
    """60 CLEAR events (hour k), a GREEN, AMBER, AMBER+STRICT and RED one (newest), and CLEAR threats
    that are not events: one with pending IOCs only, one with a false positive only."""
    clear = [threat_with_iocs(title=f"Clear {k}", last_seen=ago(hours=k + 10)) for k in range(60)]
    levels = {level: threat_with_iocs(title=level.label, tlp=level, last_seen=ago(minutes=10 + level))
              for level in (TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED)}
    pending = make_threat("Pending only", last_seen=ago(minutes=1))
    sight(make_ioc("domain", "pending.example.com", status="pending"), pending)
    fp = make_threat("False positive only", last_seen=ago(minutes=2))
    sight(make_ioc("domain", "benign.example.com", status="false_positive"), fp)
    return {"clear": clear, "levels": levels, "callers": make_callers()}


def manifest(client, world, caller=None):
    if caller is None:
        client.logout()
        return client.get("/misp/manifest.json")
    return world["callers"][caller].get(client, "/api/misp/manifest.json")


def test_public_manifest_lists_the_latest_10_clear_events(client, world):
    response = manifest(client, world)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    listed = list(response.json())
    assert listed == [str(t.uuid) for t in world["clear"][:10]]


@pytest.mark.parametrize(("caller", "levels"), [
    ("researcher_token", [TLP.GREEN]),
    ("business_key", [TLP.GREEN, TLP.AMBER]),
    ("staff", [TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT]),
])
def test_token_manifest_lists_the_latest_50_at_the_callers_clearance(client, world, caller, levels):
    listed = list(manifest(client, world, caller).json())
    above = [str(world["levels"][level].uuid) for level in levels]
    assert len(listed) == 50
    assert listed == above + [str(t.uuid) for t in world["clear"][:50 - len(above)]]
    assert str(world["levels"][TLP.RED].uuid) not in listed  # TLP:RED never leaves in a MISP feed


def test_threats_without_a_confirmed_ioc_are_not_events(client, world):
    titles = {entry["info"] for entry in manifest(client, world, "staff").json().values()}
    assert "Pending only" not in titles and "False positive only" not in titles


def test_an_entry_is_pymisps_manifest_shape(client, world, settings):
    settings.ORG_NAME, settings.ORG_UUID = "Example CERT", "8c6af861-7b20-41ef-9b59-6344fd872a8f"
    threat = world["clear"][0]
    entry = manifest(client, world).json()[str(threat.uuid)]
    assert list(entry) == ["Orgc", "Tag", "info", "date", "analysis", "threat_level_id", "timestamp"]
    assert entry["Orgc"] == {"name": "Example CERT", "uuid": "8c6af861-7b20-41ef-9b59-6344fd872a8f"}
    assert entry["Tag"] == [{"colour": "#ffffff", "local": False, "name": "tlp:clear", "relationship_type": ""}]
    assert entry["info"] == "Clear 0" and entry["date"] == threat.first_seen.date().isoformat()
    assert entry["analysis"] == 2 and entry["threat_level_id"] == 2
    assert isinstance(entry["timestamp"], int) and entry["timestamp"] >= int(threat.updated_at.timestamp())


def test_an_empty_feed_is_an_empty_object(client, db):
    response = client.get("/misp/manifest.json")
    assert response.status_code == 200 and response.json() == {}
