"""The real client: OASIS taxii2-client (``../shared/validators/taxii_smoke.py``) against a live server,
discovery -> API root -> collections -> every page of objects -> manifest -> added_after re-poll, and
every collection passes the STIX validator."""

from __future__ import annotations

import pytest
from django.test import Client

from apikeys.models import FeedToken
from apikeys.tiers import Tier
from apikeys.tlp import TLP
from tests.access import make_user
from tests.feeds_helpers import bulk_iocs
from tests.taxii_helpers import TAXII, basic, collection_url
from tests.threat_fixtures import make_threat
from tests.validators import assert_valid, run_validator
from threats.taxii.collections import find_collection

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.shared, pytest.mark.slow]


def smoke(url: str, token: str, *args: str) -> str:
    result = run_validator("taxii_smoke.py", url, "--user", "researcher", "--password", token,
                           "--per-request", "10", *args)
    assert result.returncode == 0, f"taxii_smoke.py failed:\n{result.stdout}\n{result.stderr}"
    assert "WARN" not in result.stdout, result.stdout
    return result.stdout


def test_taxii2_client_reads_every_collection(live_server, settings):
    settings.RATE_LIMITS = {group: dict.fromkeys(table, "100000/m") for group, table in settings.RATE_LIMITS.items()}
    make_threat(TLP.CLEAR)
    make_threat(TLP.GREEN, public_id="1b2c3d4e", title="Second wave", with_iocs=False)
    make_threat(TLP.AMBER, public_id="2c3d4e5f", title="Above a researcher", with_iocs=False)
    bulk_iocs(45, "smoke")
    _, token = FeedToken.issue(make_user("researcher", Tier.RESEARCHER))
    url = f"{live_server.url}/taxii2/"

    out = smoke(url, token)
    assert "4 collection(s)" in out  # indicators, threats, tlp-clear, tlp-green: not amber
    # 45 bulk IOCs + the 12 confirmed of the CLEAR threat, the Identity and the CLEAR and GREEN markings
    assert "('Confirmed indicators'): 60 objects in 6 page(s)" in out
    assert "('Confirmed indicators at TLP:CLEAR'): 59 objects in 6 page(s)" in out
    assert "('Threat reports'): 61 objects in 7 page(s)" in out  # the two graphs, shared objects once
    # What it fetched, collection by collection, through the STIX validator (strict, refs resolved inside the
    # collection). taxii_smoke.py --validate-stix would do the same in a fresh process per run (~10 s each).
    client = Client(headers=basic(token))
    for alias in ("indicators", "threats", "tlp-clear", "tlp-green"):
        page = client.get(collection_url(alias), {"limit": 5000}, headers={"Accept": TAXII}).json()
        assert page["more"] is False
        assert_valid("validate_stix.py", data={"type": "bundle", "id": f"bundle--{find_collection(alias).id}",
                                               "objects": page["objects"]})
