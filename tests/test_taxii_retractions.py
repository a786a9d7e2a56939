"""Retractions reach TAXII pollers: an indicator a collection carried and no longer does comes back
once as a new version with ``revoked: true``, dated by the change, so that a poller resuming with
``added_after`` (OpenCTI, Sentinel, MISP) withdraws its copy. Read from the feeds' removal log."""

from __future__ import annotations

import time

import pytest

from apikeys.tlp import TLP
from iocs.models import IOC
from tests.feeds_helpers import make_ioc
from tests.taxii_helpers import collection_url, walk
from threats import stix

pytestmark = pytest.mark.django_db
INDICATORS = collection_url("indicators")


def indicators(caller, client, params=None, url=INDICATORS) -> dict[str, list[dict]]:
    """Indicator objects by name, every version listed (a name may appear active and revoked)."""
    out: dict[str, list[dict]] = {}
    for page in walk(caller, client, url, params, limit=2):
        for obj in page.get("objects", []):
            if obj["type"] == "indicator":
                out.setdefault(obj["name"], []).append(obj)
    return out


def last_added(caller, client, url=INDICATORS) -> str:
    """What a poller keeps for its next ``added_after``: the date added of the last object it read."""
    response = caller.get(client, url, {"limit": 1000})
    assert response.json().get("more") is not True
    return response["X-TAXII-Date-Added-Last"]


def test_a_false_positive_is_revoked_for_pollers_and_comes_back_when_reconfirmed(client, callers):
    researcher = callers["researcher"]
    bad = make_ioc("wrongly-listed.example.com")
    make_ioc("real-c2.example.net")
    first = indicators(researcher, client)
    assert set(first) == {"wrongly-listed.example.com", "real-c2.example.net"}
    active = first["wrongly-listed.example.com"][0]
    assert "revoked" not in active
    mark = last_added(researcher, client)
    time.sleep(0.01)

    IOC.objects.filter(pk=bad.pk).update(status="false_positive", confidence="")  # the trigger logs it

    since = indicators(researcher, client, {"added_after": mark})
    assert set(since) == {"wrongly-listed.example.com"}  # the unchanged one is not sent again
    (revoked,) = since["wrongly-listed.example.com"]
    assert revoked["revoked"] is True
    assert revoked["id"] == active["id"] == stix.indicator_id("domain", "wrongly-listed.example.com")
    assert revoked["modified"] > active["modified"] and revoked["created"] == active["created"]
    assert revoked["object_marking_refs"] == [stix.marking_id(TLP.CLEAR)]
    whole = indicators(researcher, client)
    assert [o.get("revoked") for o in whole["wrongly-listed.example.com"]] == [True]  # listed once
    one = researcher.get(client, f"{INDICATORS}{revoked['id']}/").json()
    assert [o["revoked"] for o in one["objects"]] == [True]

    IOC.objects.filter(pk=bad.pk).update(status="confirmed", confidence="high")
    again = indicators(researcher, client)["wrongly-listed.example.com"]
    assert [o.get("revoked") for o in again] == [None]


def test_a_stricter_tlp_revokes_for_callers_who_lose_it_only(client, callers):
    ioc = make_ioc("moved-to-amber.example.com", tlp=TLP.GREEN)
    assert "revoked" not in indicators(callers["researcher"], client)["moved-to-amber.example.com"][0]
    IOC.objects.filter(pk=ioc.pk).update(tlp=TLP.AMBER)

    (gone,) = indicators(callers["researcher"], client)["moved-to-amber.example.com"]
    assert gone["revoked"] is True
    assert gone["object_marking_refs"] == [stix.marking_id(TLP.GREEN)]  # what the poller held
    (kept,) = indicators(callers["staff"], client)["moved-to-amber.example.com"]
    assert "revoked" not in kept and kept["object_marking_refs"] == [stix.marking_id(TLP.AMBER)]
    green_collection = indicators(callers["staff"], client, url=collection_url("tlp-green"))
    assert green_collection["moved-to-amber.example.com"][0]["revoked"] is True
    assert "moved-to-amber.example.com" not in indicators(callers["business"], client,
                                                          url=collection_url("tlp-clear"))


def test_callers_never_learn_of_removals_above_their_clearance(client, callers):
    secret = make_ioc("amber-only.example.com", tlp=TLP.AMBER)
    IOC.objects.filter(pk=secret.pk).update(status="false_positive", confidence="")
    assert "amber-only.example.com" not in indicators(callers["researcher"], client)
    assert indicators(callers["staff"], client)["amber-only.example.com"][0]["revoked"] is True


def test_never_published_false_positives_are_not_listed(client, callers):
    make_ioc("always-benign.example.com", status="false_positive")
    make_ioc("still-pending.example.com", status="pending")
    assert not indicators(callers["staff"], client)


@pytest.mark.shared
def test_revoked_indicators_pass_the_stix_validator(client, callers):
    from tests.validators import assert_valid

    ioc = make_ioc("withdrawn.example.com")
    IOC.objects.filter(pk=ioc.pk).update(status="false_positive", confidence="")
    objects = [o for page in walk(callers["researcher"], client, INDICATORS, limit=100) for o in page["objects"]]
    assert any(o.get("revoked") for o in objects)
    assert_valid("validate_stix.py", data={"type": "bundle", "id": "bundle--0d9f3c1e-4f43-4c36-8f54-3a5a8f4e7b21",
                                            "objects": objects})


def test_a_corrected_value_revokes_the_old_indicator_and_a_recreated_one_is_not_revoked(client, callers):
    typo = make_ioc("typo-c2.example.com")
    IOC.objects.filter(pk=typo.pk).update(value="real-typo-c2.example.com")  # staff corrected the value
    got = indicators(callers["researcher"], client)
    assert got["typo-c2.example.com"][0]["revoked"] is True
    assert "revoked" not in got["real-typo-c2.example.com"][0]

    gone = make_ioc("recreated.example.com")
    IOC.objects.filter(pk=gone.pk).delete()  # logged as a removal of that row
    make_ioc("recreated.example.com")  # the same value again, a new row
    again = indicators(callers["researcher"], client)["recreated.example.com"]
    assert [o.get("revoked") for o in again] == [None]
