"""``?defang=true``: values safe to paste into a report or a ticket; refanging gives them back."""

import json

import pytest

from iocs.normalize import refang
from tests.access import make_callers
from tests.feeds_helpers import body, lines, make_ioc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_env")]

VALUES = {"domain": "evil.example.com", "ipv4": "198.51.100.7", "url": "http://evil.example.com/payload.bin",
          "email": "phish@evil.example.com", "md5": "d41d8cd98f00b204e9800998ecf8427e"}


@pytest.fixture
def researcher(db):
    for ioc_type, value in VALUES.items():
        make_ioc(value, ioc_type)
    return make_callers()["researcher_token"]


def test_txt_defanged(client, researcher):
    got = set(lines(researcher.get(client, "/api/iocs/feed", data={"defang": "true"})))
    assert got == {"evil[.]example[.]com", "198[.]51[.]100[.]7", "hxxp[:]//evil[.]example[.]com/payload.bin",
                   "phish[@]evil[.]example[.]com", "d41d8cd98f00b204e9800998ecf8427e"}
    assert {refang(v) for v in got} == set(VALUES.values())


def test_json_and_export_defanged(client, researcher):
    doc = json.loads(body(researcher.get(client, "/api/iocs/export", data={"format": "json", "defang": "1"})))
    assert "evil[.]example[.]com" in {i["value"] for i in doc["items"]} and doc["parameters"]["defang"] is True


def test_default_is_live_values(client, researcher):
    assert set(lines(researcher.get(client, "/api/iocs/feed"))) == set(VALUES.values())
    assert set(lines(researcher.get(client, "/api/iocs/feed", data={"defang": "false"}))) == set(VALUES.values())


def test_defanged_body_has_its_own_etag(client, researcher):
    live = researcher.get(client, "/api/iocs/feed")
    safe = researcher.get(client, "/api/iocs/feed", data={"defang": "true"})
    assert live["ETag"] != safe["ETag"]
