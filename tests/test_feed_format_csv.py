"""CSV: a header row, RFC 4180 quoting read back by the csv module, spreadsheet formulas neutralised."""

import csv
import io

import pytest

from tests.access import make_callers
from tests.feeds_helpers import body, cite, make_ioc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_env")]


def rows(response) -> list[dict]:
    text = body(response).decode()
    assert text.startswith("type,value,confidence,reason,tlp,first_seen,last_seen,sources\r\n")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_quoting_round_trips(client):
    ioc = make_ioc("quoted.example.com", reason='has, a comma and "quotes"\nand a newline')
    cite(ioc, title="Report | with a pipe, and a comma")
    (row,) = rows(client.get("/api/iocs/public/feed.csv"))
    assert row["reason"] == 'has, a comma and "quotes"\nand a newline'
    date, threat_id, url, title = row["sources"].split(" ", 3)
    assert len(date) == 10 and len(threat_id) == 8 and url.startswith("https://")
    assert title == "Report / with a pipe, and a comma"


@pytest.mark.parametrize("dangerous", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(1)", "\tx", "\rx"])
def test_formulas_neutralised(client, dangerous):
    callers = make_callers()
    make_ioc("=1+1@evil.example.com", "email", reason=dangerous)
    response = callers["researcher_token"].get(client, "/api/iocs/feed", data={"format": "csv"})
    by_value = {r["value"]: r for r in rows(response)}
    assert by_value["'=1+1@evil.example.com"]["reason"] == "'" + dangerous
    for row in by_value.values():
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values())


def test_timestamps_and_tlp(client):
    make_ioc("t.example.com")
    (row,) = rows(client.get("/api/iocs/public/feed.csv"))
    assert row["tlp"] == "clear" and row["confidence"] == "high"
    assert row["first_seen"].endswith("Z") and len(row["last_seen"]) == 20
