"""On PostgreSQL the CSV feeds (token feed, export, their v1 twins, public feed.csv) are rendered by the
database: one statement while the body streams, none of the Python row path, the header out before
it runs, and the same body, ETag and artifact as the Python renderer; ``defang`` included."""

import shutil
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apikeys.tlp import TLP
from iocs.feeds import csvsql
from iocs.feeds.query import Dataset
from iocs.models import IOC
from tests.access import make_callers
from tests.feeds_helpers import body, cite, csv_dataset, make_ioc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_env")]

HEADER = b"type,value,confidence,reason,tlp,first_seen,last_seen,sources\r\n"


@pytest.fixture(autouse=True)
def _small_datasets_too(monkeypatch, settings):
    monkeypatch.setattr(csvsql, "MIN_ROWS", 0)  # the tests' datasets are far below the threshold
    settings.FEED_SEGMENTS = False  # the one-statement path; stored blocks: tests/test_feed_csv_segments.py


@pytest.fixture
def callers(db):
    if connection.vendor != "postgresql":
        pytest.skip("the SQL renderer is PostgreSQL's (SQLite keeps the Python renderer)")
    for n in range(30):
        ioc = make_ioc(f"host{n}.example.com", reason=f"=reason, {n}")
        for k in range(n % 7):
            cite(ioc, title=f"report | {n}.{k}", tlp=TLP.CLEAR if k % 2 else TLP.RED)
    return make_callers()


def no_python_rows():
    """The Python row path fails loudly if anything takes it."""
    return (mock.patch("iocs.feeds.pipeline.with_citations", side_effect=AssertionError("Python citations")),
            mock.patch.object(Dataset, "addition_rows", side_effect=AssertionError("Python rows")))


ESTIMATE = "SELECT reltuples FROM pg_class"  # csvsql.is_sparse: the planner's size of the IOC table


def streamed_queries(response) -> tuple[bytes, list[str]]:
    """The body and the SQL run while it streamed, but for the table-size estimate."""
    with CaptureQueriesContext(connection) as queries:
        data = body(response)
    return data, [q["sql"] for q in queries if not q["sql"].startswith(ESTIMATE)]


ENDPOINTS = [("researcher_token", "/api/iocs/feed", {"format": "csv"}),
             ("researcher_token", "/api/iocs/export", {"format": "csv"}),
             ("business_key", "/api/public/v1/iocs/feed", {"format": "csv"}),
             ("business_key", "/api/public/v1/iocs/export", {"format": "csv"}),
             ("anonymous", "/api/iocs/public/feed.csv", {}),
             ("researcher_token", "/api/iocs/feed", {"format": "csv", "types": "domain", "days": "30"})]


@pytest.mark.parametrize(("who", "url", "params"), ENDPOINTS)
def test_one_statement_renders_the_body(client, callers, who, url, params):
    patches = no_python_rows()
    with patches[0], patches[1]:
        response = callers[who].get(client, url, data=params)
        assert response.status_code == 200
        data, queries = streamed_queries(response)
    assert len(queries) == 1 and csvsql.MARKER in queries[0]  # the Python path runs two (rows, citations)
    assert data.startswith(HEADER) and data.count(b"\r\n") > 1


def test_same_body_etag_and_artifact_as_the_python_renderer(client, callers):
    token = callers["researcher_token"]
    first = token.get(client, "/api/iocs/feed", data={"format": "csv"})
    sql_body = body(first)
    artifacts = sorted((settings.FEED_ARTIFACT_DIR / "responses").iterdir())
    assert len(artifacts) == 1
    stored = artifacts[0].read_bytes()
    shutil.rmtree(settings.FEED_ARTIFACT_DIR / "responses")  # same generation, built again, in Python
    with mock.patch.object(csvsql, "available", return_value=False):
        again = token.get(client, "/api/iocs/feed", data={"format": "csv"})
        python_body = body(again)
    assert python_body == sql_body and b"'=reason, 1" in sql_body
    assert again["ETag"] == first["ETag"] and again["X-Feed-Rows"] == first["X-Feed-Rows"] == "30"
    (rebuilt,) = (settings.FEED_ARTIFACT_DIR / "responses").iterdir()
    assert rebuilt.name == artifacts[0].name and rebuilt.read_bytes() == stored
    cached = token.get(client, "/api/iocs/feed", data={"format": "csv"}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert cached.status_code == 304


def test_header_goes_out_before_the_statement_runs(client, callers):
    response = callers["researcher_token"].get(client, "/api/iocs/feed", data={"format": "csv"})
    blocks = iter(response.streaming_content)
    with CaptureQueriesContext(connection) as queries:
        assert next(blocks) == HEADER
        assert not queries.captured_queries
        rest = b"".join(blocks)
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(ESTIMATE)]
    assert len(statements) == 1 and rest.count(b"\r\n") == 30


def test_defang_is_rendered_in_the_database_too(client, callers):
    patches = no_python_rows()
    with patches[0], patches[1]:
        response = callers["researcher_token"].get(client, "/api/iocs/feed", data={"format": "csv", "defang": "true"})
        data, queries = streamed_queries(response)
    assert response.status_code == 200 and b"host1[.]example[.]com" in data and b"host1.example.com" not in data
    assert len(queries) == 1 and csvsql.MARKER in queries[0]


@pytest.mark.django_db(transaction=True)  # autocommit, as in production: a cancel ends only that statement
def test_a_download_cut_short_cancels_the_statement(client, callers, monkeypatch):
    monkeypatch.setattr(csvsql, "RANGE", 2)  # many blocks: the statement is still running when the client goes
    response = callers["researcher_token"].get(client, "/api/iocs/feed", data={"format": "csv"})
    blocks = iter(response.streaming_content)
    assert next(blocks) == HEADER
    assert next(blocks).count(b"\r\n") >= 1
    response.close()  # what the WSGI server does when the client disconnects
    assert not list(settings.FEED_ARTIFACT_DIR.glob("responses/*.gz"))  # half a body is never stored
    chunks = csvsql.chunks(csv_dataset())
    assert next(chunks)
    chunks.close()  # psycopg cancels; the connection is free again at once
    assert IOC.objects.count() == 30


def test_small_datasets_keep_the_python_renderer(client, callers, monkeypatch):
    monkeypatch.setattr(csvsql, "MIN_ROWS", 31)  # one more than the feed holds
    with mock.patch.object(csvsql, "chunks", side_effect=AssertionError("SQL path")):
        response = callers["researcher_token"].get(client, "/api/iocs/feed", data={"format": "csv"})
        data, queries = streamed_queries(response)
    assert data.count(b"\r\n") == 31 and len(queries) == 2  # rows, citations
