"""The pages respect TLP by tier: counts, table, lookup, threat list and detail show only what the caller may read."""

import pytest

from apikeys.tiers import Tier
from apikeys.tlp import TLP
from tests.access import make_user
from tests.scenario import fresh_cache, make_ioc, make_threat, sight  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


@pytest.fixture
def world(db):
    threats = {}
    for n, level in enumerate((TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.RED)):
        threat = make_threat(f"{level.slug} threat", tlp=level)
        sight(make_ioc("ipv4", f"198.51.100.{n + 1}"), threat)
        threats[level] = threat
    return threats


@pytest.mark.parametrize(("tier", "staff", "visible"), [
    (None, False, 1), (Tier.RESEARCHER, False, 2), (Tier.BUSINESS, False, 3), (Tier.PUBLIC, True, 4),
])
def test_every_page_filters_by_clearance(client, world, tier, staff, visible):
    if tier is not None:
        client.force_login(make_user("u", tier, is_staff=staff))
    levels = [TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.RED]
    landing = client.get("/iocs").content.decode()
    listing = client.get("/threats/").content.decode()
    for n, level in enumerate(levels):
        shown = n < visible
        assert (f"198.51.100.{n + 1}" in landing) is shown, (level, "table")
        assert (f"{level.slug} threat" in listing) is shown, (level, "list")
        lookup = client.get("/iocs/lookup", {"value": f"198.51.100.{n + 1}"}).content.decode()
        assert ('id="not-found"' in lookup) is not shown, (level, "lookup")
        detail = client.get(f"/threats/{world[level].public_id}")
        assert detail.status_code == (200 if shown else 404 if tier is None else 403), (level, "detail")
    assert f'<div class="n">{visible}</div><div class="l">confirmed IOCs' in landing


def test_counts_are_cached_per_clearance_not_shared(client, world):
    anonymous = client.get("/iocs").content.decode()
    client.force_login(make_user("r", Tier.RESEARCHER))
    researcher = client.get("/iocs").content.decode()
    assert '<div class="n">1</div><div class="l">confirmed IOCs' in anonymous
    assert '<div class="n">2</div><div class="l">confirmed IOCs' in researcher
    assert "by type (1 in all)" in anonymous and "by type (2 in all)" in researcher  # the chart fragment too
