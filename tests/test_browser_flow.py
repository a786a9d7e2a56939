"""A real browser (Debian's Chromium driven by Playwright) against the live server: open /iocs, use the lookup
box, open the threat, download its STIX bundle, sign in and reset a feed token. Screenshots go to tests/artifacts/.

Everything the pages load must come from this site (no CDN): every request the browser makes is checked.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from apikeys.tiers import Tier
from apikeys.tlp import TLP
from tests.access import make_user
from tests.conftest import STRICT
from tests.scenario import make_ioc, make_threat, sight
from tests.threat_fixtures import roomy_rate_limits  # noqa: F401

CHROMIUM = os.environ.get("TC_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("roomy_rate_limits")]


def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not shutil.which(CHROMIUM):
        if STRICT:
            pytest.fail(f"the browser test needs playwright (requirements-dev.txt) and {CHROMIUM} (apt-get install "
                        "chromium; .ci/run installs it)")
        pytest.skip(f"needs playwright and {CHROMIUM}")
    return sync_playwright


@pytest.fixture
def browser():
    """Chromium; request it after the data fixtures: Playwright's sync API runs an event loop in this thread,
    and Django would refuse the ORM (or open a second, never closed connection) inside it."""
    sync_playwright = _playwright()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def world(transactional_db):
    threat = make_threat("Ransomware crew hits clinics", tlp=TLP.CLEAR, score=88, actors=["Wizard Spider"],
                         malware=[("Conti", "malware")], techniques=[("T1486", "Data Encrypted for Impact")],
                         cves=["CVE-2021-34527"])
    threat.attack_patterns.update(tactics=["impact"])
    sight(make_ioc("domain", "conti-c2.example.net", tlp=TLP.CLEAR), threat)
    sight(make_ioc("ipv4", "203.0.113.66", tlp=TLP.CLEAR), threat)
    make_user("rita", Tier.RESEARCHER)
    return threat


def test_lookup_threat_stix_and_account_in_a_real_browser(live_server, world, browser, tmp_path):
    base = live_server.url
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(f"{base}/iocs")
    assert page.title() == "IOCs · ThreatCluster"
    assert page.locator("#stats .n").first.inner_text() == "2"
    assert page.locator("#ioc-table td.value").count() == 2
    assert page.locator("pre[data-copy] button.copy").count() >= 5  # site.js (served locally) ran
    assert page.locator(".chart svg rect").count() >= 1
    page.screenshot(path=ARTIFACTS / "iocs.png", full_page=True)

    page.fill("#lookup-value", "conti-c2[.]example[.]net")
    page.press("#lookup-value", "Enter")
    page.wait_for_url("**/iocs/lookup?value=*")
    assert "confirmed · high confidence" in page.locator("#verdict").inner_text()
    page.screenshot(path=ARTIFACTS / "lookup.png", full_page=True)

    page.click("#clusters a")
    page.wait_for_url(f"**/threats/{world.public_id}")
    assert page.locator("#threat-title").inner_text() == "Ransomware crew hits clinics"
    assert "T1486" in page.locator("#tactics").inner_text()
    page.screenshot(path=ARTIFACTS / "threat.png", full_page=True)

    with page.expect_download() as info:
        page.click("#downloads a:has-text('STIX 2.1 bundle')")
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    bundle = json.loads(target.read_text())
    assert download.suggested_filename == f"threat-{world.public_id}.stix.json"
    assert bundle["type"] == "bundle"
    patterns = " ".join(o.get("pattern", "") for o in bundle["objects"] if o["type"] == "indicator")
    assert "conti-c2.example.net" in patterns and "203.0.113.66" in patterns

    page.goto(f"{base}/login?next=/account/")
    page.fill("#id_username", "rita")
    page.fill("#id_password", "pw-rita")
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/account/")
    assert page.locator("#tier").inner_text() == "Researcher"
    page.click("#reset-token")
    assert page.locator("#new-token code").inner_text().startswith("tcf_")
    page.screenshot(path=ARTIFACTS / "account.png", full_page=True)

    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.on("request", lambda request: requested.append(request.url))
    phone.goto(f"{base}/threats/{world.public_id}")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    phone.screenshot(path=ARTIFACTS / "threat-phone.png", full_page=True)

    for tab in (page, phone):  # let in-flight requests (favicon) finish before the live server stops
        tab.wait_for_load_state("networkidle")
        tab.close()
    outside = [url for url in requested if not url.startswith(base) and not url.startswith("data:")]
    assert outside == [], f"pages loaded something from elsewhere: {outside}"
