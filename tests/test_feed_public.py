"""Public blocklists: confirmed high-confidence domains and IPs of the last 30 days, TLP:CLEAR only,
whoever asks; JSON and CSV carry up to five citations each, never from a stricter incident."""

import csv
import io
import json

import pytest

from apikeys.tlp import TLP
from tests.access import make_callers
from tests.feeds_helpers import body, cite, lines, make_ioc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_env")]


@pytest.fixture
def data(db):
    make_ioc("in.example.com")
    make_ioc("198.51.100.7", "ipv4")
    make_ioc("2001:db8::7", "ipv6")
    make_ioc("medium.example.com", confidence="medium")
    make_ioc("low.example.com", confidence="low")
    make_ioc("pending.example.com", status="pending")
    make_ioc("benign.example.com", status="false_positive")
    make_ioc("old.example.com", age_days=31)
    make_ioc("edge.example.com", age_days=29.9)
    make_ioc("green.example.com", tlp=TLP.GREEN)
    make_ioc("red.example.com", tlp=TLP.RED)
    make_ioc("http://in.example.com/x", "url")
    make_ioc("d41d8cd98f00b204e9800998ecf8427e", "md5")


EXPECTED = {"in.example.com", "198.51.100.7", "2001:db8::7", "edge.example.com"}


def test_txt_holds_exactly_the_public_set(client, data):
    response = client.get("/api/iocs/public/feed.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert set(lines(response)) == EXPECTED


def test_same_data_whoever_asks(client, data):
    callers = make_callers()
    for name in ("anonymous", "researcher_token", "business_key", "staff"):
        response = callers[name].get(client, "/api/iocs/public/feed.txt")
        assert set(lines(response)) == EXPECTED, name


def test_json_items_and_provenance(client, data):
    response = client.get("/api/iocs/public/feed.json")
    assert response["Access-Control-Allow-Origin"] == "*"
    doc = json.loads(body(response))
    assert {item["value"] for item in doc["items"]} == EXPECTED
    assert doc["count"] == len(EXPECTED) and doc["license"] and doc["generated_at"].endswith("Z")
    item = next(i for i in doc["items"] if i["value"] == "in.example.com")
    assert set(item) == {"type", "value", "confidence", "reason", "tlp", "first_seen", "last_seen", "sources"}
    assert item["confidence"] == "high" and item["tlp"] == "clear"


def test_txt_may_narrow_types_but_not_widen(client, data):
    response = client.get("/api/iocs/public/feed.txt?types=domain")
    assert set(lines(response)) == {"in.example.com", "edge.example.com"}
    error = client.get("/api/iocs/public/feed.txt?types=url")
    assert error.status_code == 400 and error["Access-Control-Allow-Origin"] == "*"
    assert client.get("/api/iocs/public/feed.txt?confidence=low").status_code == 400
    assert client.get("/api/iocs/public/feed.txt?days=31").status_code == 400


def test_citations_at_most_five_newest_and_never_above_tlp_clear(client, data):
    from iocs.models import IOC

    ioc = IOC.objects.get(value="in.example.com")
    for k in range(7):
        cite(ioc, title=f"clear report {k}")
    cite(ioc, title="secret incident report", tlp=TLP.RED)
    doc = json.loads(body(client.get("/api/iocs/public/feed.json")))
    sources = next(i for i in doc["items"] if i["value"] == "in.example.com")["sources"]
    assert len(sources) == 5
    assert [s["title"] for s in sources] == [f"clear report {k}" for k in range(5)]  # newest first
    assert all(set(s) == {"title", "url", "date", "threat_id"} and len(s["threat_id"]) == 8 for s in sources)
    rows = list(csv.DictReader(io.StringIO(body(client.get("/api/iocs/public/feed.csv")).decode())))
    cell = next(r for r in rows if r["value"] == "in.example.com")["sources"]
    assert cell.count(" | ") == 4 and "secret" not in cell


def test_citations_cost_one_query_for_the_whole_feed(client, data, django_assert_num_queries):
    from iocs.models import IOC

    for ioc in IOC.objects.all():
        cite(ioc)
        cite(ioc)
    response = client.get("/api/iocs/public/feed.json?types=domain,ipv4")  # custom parameters: streamed live
    with django_assert_num_queries(2):  # the IOC rows and, beside them, their citations
        doc = json.loads(body(response))
    assert len(doc["items"]) == 3 and all(len(item["sources"]) == 2 for item in doc["items"])


def test_each_row_gets_its_own_citations(client, data):
    from iocs.models import IOC

    for ioc in IOC.objects.filter(value__in=["198.51.100.7", "edge.example.com"]):
        cite(ioc, title=f"about {ioc.value}")
        cite(ioc, title=f"more about {ioc.value}")
    rows = list(csv.DictReader(io.StringIO(body(client.get("/api/iocs/public/feed.csv")).decode())))
    for row in rows:
        titles = [part.split(" ", 3)[3] for part in row["sources"].split(" | ") if part]
        if row["value"] in ("198.51.100.7", "edge.example.com"):
            assert sorted(titles) == sorted([f"about {row['value']}", f"more about {row['value']}"])
        else:
            assert titles == []
