"""The lookup refangs and normalises what it is given: defanged or mixed-case input finds the IOC."""

import pytest

from tests.scenario import VALUES, fresh_cache, make_ioc, make_threat, sight  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


@pytest.fixture
def stored(db):
    threat = make_threat("Phishing wave")
    for ioc_type in VALUES:
        sight(make_ioc(ioc_type), threat)
    sight(make_ioc("url", "http://evil.com/x"), threat)
    return threat


@pytest.mark.parametrize(("query", "ioc_type", "value"), [
    ("hxxp://evil[.]com/x", "url", "http://evil.com/x"),
    ("hXXp[://]Evil[.]COM/x", "url", "http://evil.com/x"),
    ("198[.]51[.]100[.]7", "ipv4", "198.51.100.7"),
    (" 198.51.100.7 ", "ipv4", "198.51.100.7"),
    ("2001:0DB8:0:0:0:0:0:7", "ipv6", "2001:db8::7"),
    ("EVIL[.]example(dot)COM", "domain", "evil.example.com"),
    ("D41D8CD98F00B204E9800998ECF8427E", "md5", VALUES["md5"]),
    ("phish[@]evil[.]example[.]com", "email", "phish@evil.example.com"),
    ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "eth", VALUES["eth"]),
    (VALUES["btc"], "btc", VALUES["btc"]),
    (VALUES["xmr"], "xmr", VALUES["xmr"]),
])
def test_it_finds_the_ioc_from_any_written_form(client, stored, query, ioc_type, value):
    response = client.get("/api/iocs/lookup", {"value": query})
    assert response.status_code == 200
    body = response.json()
    assert body["found"] is True, body
    assert (body["query"], body["type"], body["value"]) == (query, ioc_type, value)
    assert body["ioc"]["type"] == ioc_type and body["ioc"]["value"] == value
    assert [c["title"] for c in body["clusters"]] == ["Phishing wave"]


def test_an_explicit_type_is_used_instead_of_the_guess(client, stored):
    # "evil.example.com" alone is guessed as a domain; as a URL it is http://evil.example.com/
    guessed = client.get("/api/iocs/lookup", {"value": "evil.example.com"}).json()
    assert guessed["type"] == "domain" and guessed["found"]
    as_url = client.get("/api/iocs/lookup", {"value": "evil.example.com", "type": "URL"}).json()
    assert (as_url["type"], as_url["value"], as_url["found"]) == ("url", "http://evil.example.com/", False)


def test_the_answer_has_the_ioc_fields_and_cluster_links(client, stored, settings):
    settings.SITE_URL = "https://cti.example.org"
    body = client.get("/api/iocs/lookup", {"value": "198.51.100.7"}).json()
    assert set(body["ioc"]) == {"type", "value", "status", "confidence", "reason", "tlp", "first_seen", "last_seen"}
    assert body["ioc"]["status"] == "confirmed" and body["ioc"]["confidence"] == "high"
    assert body["ioc"]["first_seen"].endswith("Z")
    (cluster,) = body["clusters"]
    assert set(cluster) == {"id", "title", "threat_score", "tlp", "first_seen", "last_seen", "link"}
    assert cluster["id"] == stored.public_id
    assert cluster["link"] == f"https://cti.example.org/threats/{stored.public_id}"
