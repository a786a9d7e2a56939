"""The access matrix for every route of the reverse lookup and the MISP feeds."""

import pytest
from django.utils import timezone

from apikeys.tlp import TLP
from tests.access import assert_matrix, make_callers
from tests.scenario import fresh_cache, make_ioc, make_threat, sight  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

PUBLIC = {"anonymous": 200, "researcher_token": 200, "researcher_session": 200, "business_key": 200,
          "business_key_noscope": 200, "revoked_key": 401, "expired_key": 401, "wrong_key": 401, "staff": 200}
RESEARCHER = {**PUBLIC, "anonymous": 401}
TOKEN_FEED = {**RESEARCHER, "business_key_noscope": 403}  # API keys need the misp:read scope


@pytest.fixture
def world(db):
    clear = make_threat("Clear")
    sight(make_ioc("ipv4", "198.51.100.60"), clear)
    amber = make_threat("Amber", tlp=TLP.AMBER)
    sight(make_ioc("ipv4", "198.51.100.61"), amber)
    return {"clear": clear, "amber": amber, "callers": make_callers()}


def test_lookup_get(client, world):
    assert_matrix(client, world["callers"], "/api/iocs/lookup?value=198.51.100.60", PUBLIC)


def test_lookup_post(client, world):
    expected = {**RESEARCHER, "business_key_noscope": 403}  # a batch is an IOC read: iocs:read
    assert_matrix(client, world["callers"], "/api/iocs/lookup", expected, post={"values": ["198.51.100.60"]})


@pytest.mark.parametrize("name", ["manifest.json", "hashes.csv", "{clear}.json"])
def test_public_mirror(client, world, name):
    assert_matrix(client, world["callers"], "/misp/" + name.format(clear=world["clear"].uuid), PUBLIC)


@pytest.mark.parametrize("prefix", ["", "days/30/", "since/{today}/"])
@pytest.mark.parametrize("name", ["manifest.json", "hashes.csv", "{clear}.json"])
def test_token_feed(client, world, prefix, name):
    path = (prefix + name).format(clear=world["clear"].uuid, today=timezone.now().date().isoformat())
    assert_matrix(client, world["callers"], "/api/misp/" + path, TOKEN_FEED)


def test_above_the_callers_tlp_an_event_is_a_404_not_a_403(client, world):
    amber = f"/api/misp/{world['amber'].uuid}.json"
    assert_matrix(client, world["callers"], amber, {**TOKEN_FEED, "researcher_token": 404,
                                                    "researcher_session": 404})
    assert_matrix(client, world["callers"], f"/misp/{world['amber'].uuid}.json",
                  {**PUBLIC, **{name: 404 for name, code in PUBLIC.items() if code == 200}})


@pytest.mark.parametrize("event_id", ["00000000-0000-4000-8000-000000000000", "not-a-uuid", "..%2f..%2fetc"])
def test_unknown_or_malformed_event_ids_are_json_404s(client, world, event_id):
    for base in ("/misp", "/api/misp"):
        response = world["callers"]["staff"].get(client, f"{base}/{event_id}.json")
        assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_the_feed_token_travels_in_a_header_as_misp_sends_it(client, world):
    token = world["callers"]["researcher_token"].query["token"]
    client.logout()
    response = client.get("/api/misp/manifest.json", headers={"Authorization": f"Token {token}"})
    assert response.status_code == 200 and str(world["clear"].uuid) in response.json()
    assert client.get("/api/misp/manifest.json", headers={"Authorization": "Token tcf_wrong"}).status_code == 401
