"""TLP in TAXII: one collection per level the caller may see, holding exactly that level's confirmed
IOCs; every object carries its level's marking; API-key ceilings narrow what a tier allows."""

from __future__ import annotations

import pytest

from apikeys.tlp import TLP
from tests.feeds_helpers import make_ioc
from tests.taxii_helpers import collection_url, walk
from threats import stix

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_per_level(db):
    for level in TLP:
        make_ioc(f"{level.slug.replace('+', '-')}.example.com", tlp=level)
        make_ioc(f"pending-{level.slug.replace('+', '-')}.example.com", tlp=level, status="pending")


def names(caller, client, alias: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for page in walk(caller, client, collection_url(alias), limit=3):
        for obj in page["objects"]:
            out.setdefault(obj["type"], []).append(obj)
    return out


@pytest.mark.parametrize("level", list(TLP))
def test_each_level_has_exactly_its_iocs(client, callers, one_per_level, level):
    alias = f"tlp-{level.slug.replace('+', '-')}"
    got = names(callers["staff"], client, alias)
    assert [i["name"] for i in got["indicator"]] == [f"{level.slug.replace('+', '-')}.example.com"]
    assert [m["id"] for m in got["marking-definition"]] == [stix.marking_id(level)]
    for obj in (*got["indicator"], *got["identity"]):
        assert obj["object_marking_refs"] == [stix.marking_id(level)]


def test_the_indicators_collection_marks_each_ioc_with_its_level(client, callers, one_per_level):
    got = names(callers["business"], client, "indicators")
    assert {i["name"]: i["object_marking_refs"] for i in got["indicator"]} == {
        f"{level.slug.replace('+', '-')}.example.com": [stix.marking_id(level)]
        for level in (TLP.CLEAR, TLP.GREEN, TLP.AMBER)}
    referenced = {ref for obj in got["indicator"] for ref in obj["object_marking_refs"]}
    assert referenced <= {m["id"] for m in got["marking-definition"]}


@pytest.mark.parametrize(("caller", "readable", "refused"), [
    ("researcher", ["tlp-clear", "tlp-green"], ["tlp-amber", "tlp-amber-strict", "tlp-red"]),
    ("researcher_token", ["tlp-clear", "tlp-green"], ["tlp-amber"]),
    ("business", ["tlp-clear", "tlp-green", "tlp-amber"], ["tlp-amber-strict", "tlp-red"]),
    ("business_green", ["tlp-clear", "tlp-green"], ["tlp-amber"]),
    ("staff", ["tlp-clear", "tlp-green", "tlp-amber", "tlp-amber-strict", "tlp-red"], []),
])
def test_clearance_per_caller(client, callers, one_per_level, caller, readable, refused):
    for alias in readable:
        assert callers[caller].get(client, collection_url(alias)).status_code == 200, alias
    for alias in refused:
        assert callers[caller].get(client, collection_url(alias)).status_code == 403, alias
    top = max(TLP.from_slug(a.removeprefix("tlp-").replace("amber-strict", "amber+strict")) for a in readable)
    got = names(callers[caller], client, "indicators")
    assert {i["name"] for i in got["indicator"]} == {f"{t.slug.replace('+', '-')}.example.com"
                                                     for t in TLP if t <= top}


def test_an_object_above_the_clearance_is_not_found(client, callers, one_per_level):
    red = stix.indicator_id("domain", "red.example.com")
    assert callers["business"].get(client, collection_url("indicators", f"objects/{red}/")).status_code == 404
    assert callers["staff"].get(client, collection_url("indicators", f"objects/{red}/")).status_code == 200
