"""Attacker-controlled text (IOC values, contexts, article titles and URLs, threat titles) is escaped everywhere."""

import pytest

from apikeys.tlp import TLP
from iocs.models import IOC
from tests.scenario import fresh_cache, make_threat, sight  # noqa: F401
from threats.models import Article

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

SCRIPT = "<script>alert(1)</script>"
ATTR = "\"><img src=x onerror=alert(2)>"
HOSTILE_URL = "http://evil.example.com/?q=<script>alert(3)</script>&x=\"'><svg/onload=alert(4)>"


@pytest.fixture
def hostile(db):
    threat = make_threat(f"Campaign {SCRIPT}{ATTR}", tlp=TLP.CLEAR, actors=[f"APT {SCRIPT}"],
                         malware=[(f"Loader{ATTR}", "malware")], techniques=[("T1059", f"Cmd {SCRIPT}")])
    threat.summary = f"Summary {SCRIPT}"
    threat.save()
    Article.objects.create(url="javascript:alert(5)", title=f"Report {ATTR}", publisher=f"pub{SCRIPT}", threat=threat)
    ioc = IOC.objects.create(type="url", value=HOSTILE_URL, status="confirmed", confidence="high", tlp=TLP.CLEAR,
                             reason=f"reason {SCRIPT}")
    sight(ioc, threat, context=f"context {SCRIPT}")
    return threat, ioc


def assert_escaped(html: str) -> None:
    for needle in ("<script>alert", "<img src=x", "<svg/onload", 'href="javascript:'):
        assert needle not in html, needle
    assert "&lt;script&gt;alert(" in html


def test_the_landing_page_escapes_ioc_values(client, hostile):
    html = client.get("/iocs").content.decode()
    assert_escaped(html)
    assert "q%3D%3Cscript%3E" in html  # the lookup link's query string is URL-encoded too


def test_the_lookup_page_escapes_the_value_the_verdict_and_cluster_titles(client, hostile):
    _threat, ioc = hostile
    html = client.get("/iocs/lookup", {"value": ioc.value, "type": "url"}).content.decode()
    assert_escaped(html)
    assert "Campaign &lt;script&gt;" in html and "reason &lt;script&gt;" in html


def test_the_lookup_page_escapes_what_was_typed_on_error(client):
    response = client.get("/iocs/lookup", {"value": f"{ATTR}{SCRIPT}"})
    assert response.status_code == 400
    assert_escaped(response.content.decode())


def test_the_threat_pages_escape_titles_entities_and_sources(client, hostile):
    threat, _ = hostile
    html = client.get(f"/threats/{threat.public_id}").content.decode()
    assert_escaped(html)
    assert "javascript:alert(5)" in html  # shown as text, never as a link
    assert_escaped(client.get("/threats/").content.decode())
    assert_escaped(client.get("/threats/", {"q": SCRIPT}).content.decode())
