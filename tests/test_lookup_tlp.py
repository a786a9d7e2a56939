"""TLP by tier: the IOC is visible at its own TLP, and only the clusters the caller may read are listed."""

import pytest

from apikeys.tlp import TLP
from tests.access import make_callers
from tests.scenario import ago, fresh_cache, make_ioc, make_threat, sight  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


@pytest.fixture
def world(db):
    shared = make_ioc("ipv4", "198.51.100.20")
    for n, level in enumerate(TLP):
        sight(shared, make_threat(f"{level.label} cluster", tlp=level, last_seen=ago(hours=n + 1)))
    secret = make_ioc("ipv4", "198.51.100.21")
    sight(secret, make_threat("Red only", tlp=TLP.RED))
    return make_callers()


def titles(client, caller, value):
    body = caller.get(client, "/api/iocs/lookup", data={"value": value}).json()
    return body["found"], [c["title"] for c in body["clusters"]]


@pytest.mark.parametrize(("caller", "visible"), [
    ("anonymous", ["TLP:CLEAR"]),
    ("researcher_token", ["TLP:CLEAR", "TLP:GREEN"]),
    ("business_key", ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER"]),
    ("staff", ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"]),
])
def test_clusters_are_filtered_by_clearance(client, world, caller, visible):
    found, listed = titles(client, world[caller], "198.51.100.20")
    assert found is True
    assert listed == [f"{label} cluster" for label in visible]


@pytest.mark.parametrize(("caller", "found"), [("anonymous", False), ("researcher_token", False),
                                               ("business_key", False), ("staff", True)])
def test_an_ioc_above_the_callers_tlp_is_not_found(client, world, caller, found):
    assert titles(client, world[caller], "198.51.100.21") == (found, ["Red only"] if found else [])
