"""A threat deleted or merged away answers 410 Gone, not 404, to callers who could see it, and a
merged part names its survivor (when the caller may see that one): old links in tickets, SIEM
enrichments and chat still lead somewhere. Callers who never could see it still get a 404."""

from __future__ import annotations

import pytest

from apikeys.tlp import TLP
from tests.access import make_callers
from tests.threat_fixtures import make_threat
from threats import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def callers(db):
    return make_callers()  # researcher: clearance GREEN; business key and staff: AMBER and above


@pytest.fixture
def merged(db):
    """Part A (GREEN) merged into B (AMBER)."""
    a = make_threat(TLP.GREEN)
    b = make_threat(TLP.AMBER, public_id="1b2c3d4e", title="Second wave", with_iocs=False)
    services.merge_threats(b, [a])
    return a, b


def test_a_merged_part_points_at_its_survivor(client, callers, merged):
    a, b = merged
    response = callers["business_key"].get(client, f"/api/threats/{a.public_id.upper()}/iocs?format=csv")
    assert response.status_code == 410
    body = response.json()
    assert body["error"] == "gone" and body["detail"] == f"This threat was merged into {b.public_id}."
    assert body["merged_into"] == b.public_id
    assert body["link"] == f"http://testserver/api/threats/{b.public_id}/iocs?format=csv"
    assert callers["business_key"].get(client, body["link"]).status_code == 200
    stix = callers["business_key"].get(client, f"/api/threats/{a.public_id}/stix")
    assert stix.status_code == 410 and stix.json()["link"].endswith(f"/api/threats/{b.public_id}/stix")


def test_a_survivor_above_the_callers_clearance_is_not_named(client, callers, merged):
    a, b = merged
    response = callers["researcher_token"].get(client, f"/api/threats/{a.public_id}/attack-navigator")
    assert response.status_code == 410
    body = response.json()
    assert body["detail"] == "This threat was merged into another one."
    assert "merged_into" not in body and "link" not in body and b.public_id not in response.content.decode()


def test_a_deleted_threat_is_gone_only_for_those_who_could_see_it(client, callers, db):
    amber = make_threat(TLP.AMBER, public_id="2c3d4e5f", title="Deleted", with_iocs=False)
    amber.delete()
    gone = callers["business_key"].get(client, "/api/threats/2c3d4e5f/iocs")
    assert gone.status_code == 410 and gone.json()["detail"] == "This threat was deleted."
    assert callers["researcher_token"].get(client, "/api/threats/2c3d4e5f/iocs").status_code == 404
    assert callers["anonymous"].get(client, "/api/threats/2c3d4e5f/iocs").status_code == 404
    assert callers["business_key"].get(client, "/api/threats/3d4e5f60/iocs").status_code == 404  # never existed


def test_the_page_of_a_merged_part_links_to_the_survivor(client, callers, merged):
    a, b = merged
    client.force_login(callers["staff"].user)
    page = client.get(f"/threats/{a.public_id}")
    assert page.status_code == 410
    html = page.content.decode()
    assert f'<a href="/threats/{b.public_id}">Go to threat {b.public_id}</a>' in html
