"""One threat = one MISP event: header, tags, and the right MISP type, category and flags per IOC type."""

import uuid

import pytest

from apikeys.tlp import TLP
from iocs.models import IOC
from tests.access import make_callers
from tests.scenario import VALUES, fresh_cache, make_ioc, make_threat, sight  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

EXPECTED = {  # IOC type -> (MISP type, category)
    "ipv4": ("ip-dst", "Network activity"), "ipv6": ("ip-dst", "Network activity"),
    "domain": ("domain", "Network activity"), "url": ("url", "Network activity"),
    "md5": ("md5", "Payload delivery"), "sha1": ("sha1", "Payload delivery"),
    "sha256": ("sha256", "Payload delivery"), "email": ("email-src", "Payload delivery"),
    "btc": ("btc", "Financial fraud"), "xmr": ("xmr", "Financial fraud"),
}


@pytest.fixture
def threat(db):
    threat = make_threat(
        "APT28 phishing wave", score=85, articles=2,
        actors=["Fancy Bear"], malware=[("Emotet", "malware"), ("Cobalt Strike", "tool")],
        techniques=[("T1566.001", "Spearphishing Attachment")], cves=["cve-2024-3400"],
    )
    for ioc_type in VALUES:
        sight(make_ioc(ioc_type, confidence="medium"), threat, context=f"the {ioc_type} was used for C2")
    sight(make_ioc("domain", "benign.example.org", status="false_positive"), threat)
    sight(make_ioc("domain", "undecided.example.org", status="pending"), threat)
    return threat


def event(client, threat, caller=None):
    url = f"/misp/{threat.uuid}.json" if caller is None else f"/api/misp/{threat.uuid}.json"
    response = client.get(url) if caller is None else caller.get(client, url)
    assert response.status_code == 200, response.content
    return response.json()["Event"]


def by_value(ev) -> dict:
    return {a["value"]: a for a in ev["Attribute"]}


def test_header(client, threat, settings):
    settings.ORG_NAME, settings.ORG_UUID = "Example CERT", "8c6af861-7b20-41ef-9b59-6344fd872a8f"
    ev = event(client, threat)
    assert list(ev)[:10] == ["analysis", "date", "extends_uuid", "info", "protected", "publish_timestamp",
                             "published", "threat_level_id", "timestamp", "uuid"]
    assert ev["uuid"] == str(threat.uuid) and ev["info"] == "APT28 phishing wave"
    assert ev["date"] == threat.first_seen.date().isoformat()
    assert ev["threat_level_id"] == "1" and ev["analysis"] == "1"  # one IOC still pending
    assert ev["published"] is True and ev["protected"] is False and ev["timestamp"] == ev["publish_timestamp"]
    assert ev["Orgc"] == {"name": "Example CERT", "uuid": "8c6af861-7b20-41ef-9b59-6344fd872a8f"}
    assert "Galaxy" not in ev


def test_tags_tlp_and_galaxies(client, threat):
    names = [t["name"] for t in event(client, threat)["Tag"]]
    assert names == [
        "tlp:clear",
        'misp-galaxy:threat-actor="APT28"',  # the alias resolved to the galaxy's cluster value
        'misp-galaxy:tool="Cobalt Strike"', 'misp-galaxy:mitre-malware="Cobalt Strike - S0154"',
        'misp-galaxy:malpedia="Emotet"', 'misp-galaxy:mitre-malware="Emotet - S0367"',
        'misp-galaxy:mitre-attack-pattern="Spearphishing Attachment - T1566.001"',
    ]


@pytest.mark.parametrize(("level", "tag"), [(TLP.GREEN, "tlp:green"), (TLP.AMBER, "tlp:amber")])
def test_the_tlp_tag_is_the_threats(client, db, level, tag):
    threat = make_threat("Restricted", tlp=level)
    sight(make_ioc("ipv4"), threat)
    assert event(client, threat, make_callers()["business_key"])["Tag"][0]["name"] == tag


@pytest.mark.parametrize(("score", "level"), [(100, "1"), (70, "1"), (69, "2"), (40, "2"), (39, "3"), (1, "3"),
                                              (0, "4")])
def test_threat_level_from_the_score(client, db, score, level):
    threat = make_threat(score=score)
    sight(make_ioc("ipv4"), threat)
    ev = event(client, threat)
    assert ev["threat_level_id"] == level and ev["analysis"] == "2"  # nothing pending: completed


@pytest.mark.parametrize("ioc_type", sorted(EXPECTED))
def test_each_ioc_type_maps_to_its_misp_type(client, threat, ioc_type):
    attr = by_value(event(client, threat))[IOC.objects.get(type=ioc_type, status="confirmed").value]
    assert (attr["type"], attr["category"]) == EXPECTED[ioc_type]
    assert attr["to_ids"] is True and attr["disable_correlation"] is False and "deleted" not in attr
    assert attr["uuid"] == str(uuid.uuid5(threat.uuid, f"{attr['type']}|{attr['value']}"))
    assert attr["comment"].startswith("Confirmed, medium confidence; cited by 1 report")
    assert f"the {ioc_type} was used for C2" in attr["comment"]
    assert attr["first_seen"].endswith("+00:00") and attr["last_seen"] >= attr["first_seen"]


def test_ethereum_is_a_coin_address_object(client, threat):
    (obj,) = event(client, threat)["Object"]
    assert (obj["name"], obj["meta-category"]) == ("coin-address", "financial")
    assert obj["template_uuid"] == "d0e6997e-78da-4815-a6a1-cfc1c1cb8a46"
    relations = {a["object_relation"]: a for a in obj["Attribute"]}
    assert relations["address-crypto"]["value"] == VALUES["eth"] and relations["address-crypto"]["to_ids"] is True
    assert relations["symbol"]["value"] == "ETH" and relations["symbol"]["to_ids"] is False
    assert {a["type"] for a in obj["Attribute"]} == {"text"}


def test_cves_actors_and_sources_are_context_attributes(client, threat):
    attrs = by_value(event(client, threat))
    cve = attrs["CVE-2024-3400"]  # MISP upper-cases vulnerabilities: so do we
    assert (cve["type"], cve["category"], cve["to_ids"]) == ("vulnerability", "External analysis", False)
    actor = attrs["APT28"]
    assert (actor["type"], actor["category"], actor["to_ids"]) == ("threat-actor", "Attribution", False)
    links = [a for a in attrs.values() if a["type"] == "link"]
    assert sorted(a["value"] for a in links) == sorted(threat.articles.values_list("url", flat=True))
    assert all(a["category"] == "External analysis" and a["to_ids"] is False for a in links)
    assert links[0]["comment"].startswith("Source: research.example.org: Report 0")


def test_false_positives_are_retracted_and_pending_iocs_absent(client, threat):
    attrs = by_value(event(client, threat))
    fp = attrs["benign.example.org"]
    assert fp["deleted"] is True and fp["to_ids"] is False and fp["comment"].startswith("Retracted: false positive")
    assert fp["uuid"] == str(uuid.uuid5(threat.uuid, "domain|benign.example.org"))  # the uuid it had live
    assert "undecided.example.org" not in attrs


def test_values_are_written_the_way_misp_stores_them(client, db):
    threat = make_threat(actors=["Dragon \U0001F409"])
    threat.articles.update(url="https://blog.example.org/2024/apt(dot)report")
    sight(make_ioc("ipv4"), threat)
    attrs = by_value(event(client, threat))
    # MISP's normaliser refangs "(dot)" in links and turns 4-byte characters into "?": we emit what
    # MISP will store, so hashes.csv and MISP's correlations agree
    assert "https://blog.example.org/2024/apt.report" in attrs and "Dragon ?" in attrs
