"""Who may read a threat: the access matrix of every per-threat route, 404 vs 403, malformed ids."""

from __future__ import annotations

import pytest

from apikeys.tlp import TLP
from tests.access import assert_matrix, make_callers
from tests.threat_fixtures import make_threat, roomy_rate_limits

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures(roomy_rate_limits.__name__)]

PUBLIC_ROUTES = ["/api/threats/{}/iocs", "/api/threats/{}/stix", "/api/threats/{}/attack-navigator"]
V1_ROUTES = ["/api/public/v1/threats/{}/iocs", "/api/public/v1/threats/{}/stix"]
BAD_CREDENTIALS = {"revoked_key": 401, "expired_key": 401, "wrong_key": 401}


@pytest.fixture
def callers(db):
    return make_callers()


def public_matrix(anonymous=200, researcher=200, business=200, staff=200) -> dict[str, int]:
    return {"anonymous": anonymous, "researcher_token": researcher, "researcher_session": researcher,
            "business_key": business, "business_key_noscope": business, "staff": staff, **BAD_CREDENTIALS}


def v1_matrix(business=200) -> dict[str, int]:
    return {"anonymous": 401, "researcher_token": 401, "researcher_session": 401, "business_key": business,
            "business_key_noscope": 403, "staff": 401, **BAD_CREDENTIALS}


@pytest.mark.parametrize("route", PUBLIC_ROUTES)
def test_public_routes_clear_threat(client, callers, route):
    make_threat(TLP.CLEAR)
    assert_matrix(client, callers, route.format("0a1b2c3d"), public_matrix())


@pytest.mark.parametrize("route", PUBLIC_ROUTES)
def test_public_routes_amber_threat(client, callers, route):
    """Anonymous: 404 (no existence leak); researcher (GREEN clearance): 403; business (AMBER): 200."""
    make_threat(TLP.AMBER)
    assert_matrix(client, callers, route.format("0a1b2c3d"), public_matrix(anonymous=404, researcher=403))


@pytest.mark.parametrize("route", PUBLIC_ROUTES)
def test_public_routes_red_threat(client, callers, route):
    make_threat(TLP.RED)
    assert_matrix(client, callers, route.format("0a1b2c3d"),
                  public_matrix(anonymous=404, researcher=403, business=403, staff=200))


@pytest.mark.parametrize("route", V1_ROUTES)
def test_v1_routes(client, callers, route):
    make_threat(TLP.AMBER)
    assert_matrix(client, callers, route.format("0a1b2c3d"), v1_matrix())


@pytest.mark.parametrize("route", V1_ROUTES)
def test_v1_routes_above_the_key_clearance(client, callers, route):
    make_threat(TLP.AMBER_STRICT)
    assert_matrix(client, callers, route.format("0a1b2c3d"), v1_matrix(business=403))


@pytest.mark.parametrize("route", PUBLIC_ROUTES + V1_ROUTES)
@pytest.mark.parametrize("public_id", ["ffffffff", "0a1b2c3", "0a1b2c3d0", "zzzzzzzz", "0a1b-c3d", "%20"])
def test_unknown_or_malformed_id_is_a_json_404(client, callers, route, public_id):
    make_threat(TLP.CLEAR)
    caller = callers["business_key"] if "/v1/" in route else callers["anonymous"]
    response = caller.get(client, route.format(public_id))
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "No threat with this id."}


@pytest.mark.parametrize("route", PUBLIC_ROUTES)
def test_hidden_threat_looks_like_an_unknown_one(client, callers, route):
    make_threat(TLP.GREEN)
    hidden = callers["anonymous"].get(client, route.format("0a1b2c3d"))
    unknown = callers["anonymous"].get(client, route.format("ffffffff"))
    assert (hidden.status_code, hidden.json()) == (unknown.status_code, unknown.json())


def test_403_says_why(client, callers):
    make_threat(TLP.AMBER)
    body = callers["researcher_token"].get(client, "/api/threats/0a1b2c3d/stix").json()
    assert body["error"] == "permission_denied"
    assert "TLP:AMBER" in body["detail"] and "TLP:GREEN" in body["detail"]


def test_ids_are_case_insensitive(client):
    make_threat(TLP.CLEAR)
    assert client.get("/api/threats/0A1B2C3D/iocs").status_code == 200


def test_v1_iocs_carry_the_pending_count(client, callers):
    make_threat(TLP.CLEAR)
    response = callers["business_key"].get(client, "/api/public/v1/threats/0a1b2c3d/iocs", data={"format": "csv"})
    assert response.status_code == 200 and response["X-IOC-Pending-Count"] == "3"
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    denied = callers["anonymous"].get(client, "/api/public/v1/threats/0a1b2c3d/iocs")
    assert denied.status_code == 401 and denied["X-IOC-Pending-Count"] == "3"
