"""Every event loads with PyMISP in-process, and PyMISP's own feed export of it is byte-for-byte
what we served: our files are what MISP's feed generator would have written."""

import json

import pytest
from pymisp import MISPEvent

from apikeys.tlp import TLP
from tests.access import make_callers
from tests.scenario import VALUES, fresh_cache, make_ioc, make_threat, sight, the_ioc  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


@pytest.fixture
def world(db):
    for level in (TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT):
        threat = make_threat(f"{level.label} incident", tlp=level, score=20 * level, articles=2,
                             actors=["Lazarus Group"], malware=[("AsyncRAT", "malware")],
                             techniques=[("T1059.001", "PowerShell")], cves=["CVE-2021-44228"])
        for ioc_type in VALUES:
            sight(the_ioc(ioc_type), threat)
        sight(make_ioc("domain", f"fp-{level}.example.org", status="false_positive"), threat)
    return make_callers()


def test_every_event_loads_and_round_trips(client, world):
    staff = world["staff"]
    manifest = staff.get(client, "/api/misp/manifest.json").json()
    assert len(manifest) == 4
    for event_uuid, entry in manifest.items():
        served = staff.get(client, f"/api/misp/{event_uuid}.json").json()
        me = MISPEvent()
        me.load(json.dumps(served))
        assert str(me.uuid) == event_uuid and me.info == entry["info"]
        assert len(me.attributes) == len(served["Event"]["Attribute"]) and len(me.objects) == 1
        assert me.to_feed() == served  # exactly PyMISP's feed output
        assert me.manifest == {event_uuid: entry}  # and exactly its manifest entry
