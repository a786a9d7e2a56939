"""GET /api/threats/<id>/iocs in txt, csv and json, read back with real parsers."""

from __future__ import annotations

import csv
import io
import json

import pytest

from iocs.normalize import defang
from tests.threat_fixtures import INJECTION_CONTEXT, INJECTION_EMAIL, make_threat, roomy_rate_limits
from threats.ioc_lists import CSV_COLUMNS, csv_safe

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures(roomy_rate_limits.__name__)]
URL = "/api/threats/0a1b2c3d/iocs"


def get(client, fmt: str | None = None, **params):
    if fmt:
        params["format"] = fmt
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return response


def parse_csv(response) -> list[dict]:
    text = response.content.decode("utf-8")
    assert "\r\n" in text  # RFC 4180 line ends
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_txt_lists_values_without_false_positives(client):
    make_threat()
    response = get(client)
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="threat-0a1b2c3d-iocs.txt"'
    lines = response.content.decode().splitlines()
    values = [line for line in lines if not line.startswith("#")]
    assert len(values) == 15 and "benign.example.com" not in values
    assert "http://evil.example.com/a'b\\c?q='x'" in values
    assert any("TLP:CLEAR" in line for line in lines if line.startswith("#"))


def test_csv_has_a_header_and_carries_status(client):
    make_threat()
    response = get(client, "csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="threat-0a1b2c3d-iocs.csv"'
    rows = parse_csv(response)
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert len(rows) == 15
    assert {r["status"] for r in rows} == {"confirmed", "pending"}
    assert {r["confidence"] for r in rows if r["status"] == "pending"} == {""}
    url = next(r for r in rows if r["value"] == "http://evil.example.com/a'b\\c?q='x'")
    assert url["sources"] == "1" and url["source_urls"].startswith("https://news.example.org/0a1b2c3d/")
    assert url["first_seen"] == "2024-05-01T10:00:00.000Z"


def test_csv_neutralises_formulas(client):
    make_threat()
    rows = parse_csv(get(client, "csv"))
    row = next(r for r in rows if INJECTION_EMAIL in r["value"])
    assert row["value"] == "'" + INJECTION_EMAIL
    assert row["context"] == "'" + INJECTION_CONTEXT
    for r in rows:
        for cell in r.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


@pytest.mark.parametrize(("text", "expected"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(1)", "'@SUM(1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("evil.example.com", "evil.example.com"), ("a=b", "a=b"),
])
def test_csv_safe(text, expected):
    assert csv_safe(text) == expected


def test_json_carries_status_and_sources(client):
    make_threat()
    response = get(client, "json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(response.content)
    assert body["threat"]["id"] == "0a1b2c3d" and body["threat"]["tlp"] == "TLP:CLEAR"
    assert body["threat"]["actors"] == ["Lazarus Group"] and body["threat"]["techniques"] == ["T1053.005", "T1566.001"]
    assert body["threat"]["malware"] == ["AgentTesla", "Cobalt Strike"]
    assert body["threat"]["vulnerabilities"] == ["CVE-2021-44228"]
    assert body["count"] == len(body["iocs"]) == 15 and body["pending"] == 3
    pending = [i for i in body["iocs"] if i["status"] == "pending"]
    assert len(pending) == 3 and all(i["confidence"] is None for i in pending)
    source = body["iocs"][0]["sources"][0]
    assert source["url"].startswith("https://news.example.org/") and source["context"].endswith("was used as C2")


def test_defang(client):
    make_threat()
    txt = get(client, defang="true").content.decode()
    assert "hxxp[:]//evil[.]example[.]com/a'b\\c?q='x'" in txt
    assert "evil.example.com" not in txt.replace("# ", "")
    body = json.loads(get(client, "json", defang="true").content)
    assert body["defanged"] is True
    url = next(i for i in body["iocs"] if i["type"] == "url" and "a'b" in i["value"])
    assert url["value"] == defang("url", "http://evil.example.com/a'b\\c?q='x'")
    domain = next(i for i in body["iocs"] if i["type"] == "domain")
    assert "[.]" in domain["value"] and "[.]" in domain["sources"][0]["context"]
    rows = parse_csv(get(client, "csv", defang="1"))
    for r in rows:
        if r["type"] not in ("md5", "sha1", "sha256", "btc", "eth", "xmr"):
            assert "[.]" in r["value"] or "[:]" in r["value"], r
    assert "." not in next(r for r in rows if r["type"] == "ipv4")["value"].replace("[.]", "")


def test_status_filter(client):
    make_threat()
    rows = parse_csv(get(client, "csv", status="confirmed"))
    assert len(rows) == 12 and {r["status"] for r in rows} == {"confirmed"}
    rows = parse_csv(get(client, "csv", status="pending"))
    assert len(rows) == 3 and {r["status"] for r in rows} == {"pending"}


def test_accept_header_negotiates(client):
    make_threat()
    assert client.get(URL, HTTP_ACCEPT="text/csv")["Content-Type"] == "text/csv; charset=utf-8"
    assert client.get(URL, HTTP_ACCEPT="application/json")["Content-Type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize(("params", "name"), [
    ({"format": "xml"}, "format"), ({"defang": "maybe"}, "defang"), ({"status": "false_positive"}, "status"),
])
def test_bad_parameters_are_400_naming_the_parameter(client, params, name):
    make_threat()
    response = client.get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_parameter" and name in body["errors"]


def test_pending_count_header(client):
    make_threat()
    assert get(client)["X-IOC-Pending-Count"] == "3"
    missing = client.get("/api/threats/ffffffff/iocs")
    assert missing.status_code == 404 and missing["X-IOC-Pending-Count"] == "3"
