"""Injection: attacker-controlled IOC values, threat titles and report snippets carrying HTML/JS,
spreadsheet formulas, line breaks and header text reach every output harmless.

``VALUES`` are fed to normalisation (the gate every import and the extractor pass through): each
is either rejected there or stored as is and must then come out escaped or neutralised. ``TITLES``
and ``CONTEXTS`` are stored as given (an admin edit or a STIX/MISP import can set them). Every URL
of ``OUTPUTS`` is fetched, and per format:

- csv: parses to exactly one row per IOC, and no cell starts with ``= + - @``, tab or CR unquoted;
- txt, hosts, rpz, suricata: every data line is one of the IOCs (no line smuggled in by a title);
- json (STIX, MISP, Navigator, lookups): parses, and the payload round-trips as data;
- html: no payload markup appears unescaped;
- headers: no header injected, ``Content-Disposition`` is a plain file name.

A new output is one more line in ``OUTPUTS``.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re

import pytest

from apikeys.models import APIKey, Scope
from apikeys.tiers import Tier
from apikeys.tlp import TLP
from iocs.extraction import extract_iocs
from iocs.normalize import InvalidIOC, normalize
from tests.access import make_user
from tests.scenario import make_ioc, make_threat, sight
from tests.threat_fixtures import roomy_rate_limits  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roomy_rate_limits", "feeds_env")]

INJECTED_HEADER = "X-Injected"
SMUGGLED_LINE = "smuggled.injection-test.net"
VALUES = [
    ("url", "http://xss.injection-test.net/<script>alert(1)</script>"),
    ("url", 'http://xss.injection-test.net/a"onmouseover="alert(1)'),
    ("url", "http://xss.injection-test.net/'><svg/onload=alert(1)>"),
    ("url", "http://xss.injection-test.net/=1+1"),
    ("email", "=1+2@injection-test.net"),
    ("email", "-2+3@injection-test.net"),
    ("email", "+cmd@injection-test.net"),
    ("domain", "plain.injection-test.net"),
    ("ipv4", "45.83.99.1"),
    # rejected by normalisation: line breaks, header text, markup in host names, spaces
    ("domain", f"bad.injection-test.net\n{SMUGGLED_LINE}"),
    ("url", f"http://bad.injection-test.net/a\r\n{INJECTED_HEADER}: 1"),
    ("url", "http://bad.injection-test.net/x?=cmd|' /C calc'!A0"),
    ("domain", "<b>bad.injection-test.net"),
    ("email", '"<script>"@injection-test.net'),
    ("email", "@SUM(1)@injection-test.net"),
    ("url", "http://bad.injection-test.net/\u2028x"),
]
TITLES = [
    '<script>alert("title")</script> campaign',
    '"><img src=x onerror=alert(1)> campaign',
    '=HYPERLINK("http://evil.injection-test.net","click")',
    f"Multi-line\r\n{INJECTED_HEADER}: yes\n{SMUGGLED_LINE}\n# fake comment",
    '"; filename="evil.exe',
]
CONTEXTS = ['=HYPERLINK("http://evil.injection-test.net")', f"line one\n{SMUGGLED_LINE}\r\n@SUM(1)",
            "<script>alert('ctx')</script>"]
MARKUP = ("<script>alert", "<img src=x onerror", "<svg/onload", '"onmouseover="')
FORMULA = ("=", "+", "-", "@", "\t", "\r")

# (url, format) — {threat} is every seeded threat's public id, {uuid} its UUID.
OUTPUTS = [
    ("/api/iocs/public/feed.txt", "txt"),
    ("/api/iocs/public/feed.csv", "csv"),
    ("/api/iocs/public/feed.json", "json"),
    ("/api/iocs/feed?format=txt&confidence=confirmed&types=ipv4,domain,url,email", "txt"),
    ("/api/iocs/feed?format=csv&confidence=confirmed", "csv"),
    ("/api/iocs/feed?format=csv&confidence=confirmed&defang=true", "csv"),
    ("/api/iocs/feed?format=json&confidence=confirmed", "json"),
    ("/api/iocs/feed?format=stix&confidence=confirmed", "json"),
    ("/api/iocs/feed?format=hosts", "hosts"),
    ("/api/iocs/feed?format=rpz", "rpz"),
    ("/api/iocs/feed?format=suricata", "suricata"),
    ("/api/iocs/export?format=csv&confidence=confirmed", "csv"),
    ("/api/iocs/export?format=txt&confidence=confirmed", "txt"),
    ("/api/iocs/lookup?value=http://xss.injection-test.net/<script>alert(1)</script>", "json"),
    ("/api/threats/{threat}/iocs?format=txt", "txt"),
    ("/api/threats/{threat}/iocs?format=csv&status=all", "csv"),
    ("/api/threats/{threat}/iocs?format=json", "json"),
    ("/api/threats/{threat}/stix", "json"),
    ("/api/threats/{threat}/attack-navigator", "json"),
    ("/api/public/v1/iocs/feed?format=csv&confidence=confirmed", "csv"),
    ("/api/public/v1/iocs/export?format=json&confidence=confirmed", "json"),
    ("/api/public/v1/threats/{threat}/iocs?format=csv", "csv"),
    ("/api/public/v1/threats/{threat}/stix", "json"),
    ("/api/misp/{uuid}.json", "json"),
    ("/misp/manifest.json", "json"),
    ("/misp/{uuid}.json", "json"),
    ("/misp/hashes.csv", "hashes"),
    ("/taxii2/api/collections/indicators/objects/", "json"),
    ("/taxii2/api/collections/threats/objects/", "json"),
    ("/", "html"),
    ("/iocs", "html"),
    ("/iocs/lookup?value=http://xss.injection-test.net/<script>alert(1)</script>", "html"),
    ("/threats/", "html"),
    ("/threats/{threat}", "html"),
]
TAXII_ACCEPT = "application/taxii+json;version=2.1"


@pytest.fixture
def seeded():
    accepted, rejected = [], []
    for ioc_type, raw in VALUES:
        try:
            accepted.append(make_ioc(ioc_type, normalize(ioc_type, raw), tlp=TLP.CLEAR))
        except InvalidIOC:
            rejected.append(raw)
    threats = [make_threat(title, tlp=TLP.CLEAR) for title in TITLES]
    for i, threat in enumerate(threats):
        for j, ioc in enumerate(accepted):
            sight(ioc, threat, context=CONTEXTS[(i + j) % len(CONTEXTS)])
    user = make_user("injector", Tier.ENTERPRISE)
    _, key = APIKey.issue(user, scopes=list(Scope.values), name="injection")
    return accepted, rejected, threats, {"X-API-Key": key}


def body_of(response) -> str:
    data = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    return data.decode()


def check_headers(response, url: str) -> None:
    assert not response.has_header(INJECTED_HEADER), url
    for name, value in response.items():
        assert "\n" not in value and "\r" not in value, (url, name)
    disposition = response.get("Content-Disposition")
    if disposition:
        assert re.fullmatch(r'attachment; filename="[A-Za-z0-9._-]+"', disposition), (url, disposition)


def check_csv(text: str, url: str, values: set[str]) -> None:
    rows = list(csv.reader(io.StringIO(text)))
    rows = [row for row in rows if row and not row[0].startswith("#")]
    header, data = rows[0], rows[1:]
    value_col = header.index("value")
    assert len(data) == len({row[value_col] for row in data}), url  # one row per IOC: no row split by a newline
    for row in data:
        assert row[value_col].removeprefix("'") in values or "[.]" in row[value_col], (url, row)
        for cell in row:
            assert not cell.startswith(FORMULA), (url, cell)


def check_lines(text: str, url: str, fmt: str, values: set[str]) -> None:
    comment = ";" if fmt == "rpz" else "#"
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith(comment)]
    assert lines, url
    for line in lines:
        assert not line.startswith((INJECTED_HEADER, SMUGGLED_LINE, "=HYPERLINK")), (url, line)
        if fmt == "txt":
            assert line in values, (url, line)
        elif fmt == "hosts":
            assert line.split()[1] in values, (url, line)
        elif fmt == "suricata":
            assert line.startswith("alert "), (url, line)
        elif fmt == "rpz" and not line.startswith(("$", "@", " ", "\t")):
            name = line.split()[0].removeprefix("*.").removesuffix(".")
            assert name in values or ".rpz-ip" in line.split()[0], (url, line)
    assert SMUGGLED_LINE not in {line.strip() for line in lines}, url


def check_html(text: str, url: str) -> None:
    for markup in MARKUP:
        assert markup not in text, (url, markup)


def test_payloads_are_rejected_at_normalisation_or_reach_every_output_harmless(client, seeded):
    accepted, rejected, threats, headers = seeded
    assert len(rejected) == 7 and len(accepted) == len(VALUES) - 7  # the catalogue's split, stated
    values = {ioc.value for ioc in accepted}
    for url, fmt in OUTPUTS:
        urls = [url.format(threat=t.public_id, uuid=t.uuid) for t in threats] if "{" in url else [url]
        for one in urls:
            extra = {"Accept": TAXII_ACCEPT} if one.startswith("/taxii2/") else {}
            response = client.get(one, headers={**headers, **extra})
            assert response.status_code == 200, (one, response.status_code, response.content[:300])
            check_headers(response, one)
            text = body_of(response)
            if fmt == "csv":
                check_csv(text, one, values)
            elif fmt in ("txt", "hosts", "rpz", "suricata"):
                check_lines(text, one, fmt, values)
            elif fmt == "json":
                json.loads(text)
            elif fmt == "html":
                check_html(text, one)
                if one == "/threats/":  # the titles are on the page, escaped (so the check above means something)
                    assert "&lt;script&gt;alert(" in text, one


def test_json_outputs_keep_the_payload_as_data(client, seeded):
    """Escaping is the reader's job in JSON: the exact title and value come back, not mangled."""
    _, _, threats, headers = seeded
    threat = threats[0]
    graph = json.loads(body_of(client.get(f"/api/threats/{threat.public_id}/iocs?format=json", headers=headers)))
    assert graph["threat"]["title"] == TITLES[0]
    assert VALUES[0][1] in {ioc["value"] for ioc in graph["iocs"]}


def test_the_extractor_never_yields_a_value_with_markup_breaks_or_a_formula_start():
    text = "\n".join(raw for _, raw in VALUES) + "\n" + "\n".join(TITLES + CONTEXTS)
    for item in extract_iocs(text):
        assert not re.search(r"[\s<>\"']", item.value), item
        if item.type != "url":
            assert not item.value.startswith(FORMULA), item
