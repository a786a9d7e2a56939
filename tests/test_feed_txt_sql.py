"""The plain-text lines PostgreSQL writes (iocs/feeds/txtsql.py) are byte for byte the Python renderer's.

Values carry what a line format breaks on (LF, CR, tabs, every other control character, DEL),
what it must leave alone (``%``, backslashes, unicode, spaces) and what a domain list leaves out
(``_dmarc``-style names); there are more rows than one block holds. The endpoints take the SQL
path on PostgreSQL (the statement is named in the captured queries), ``defang`` stays in Python,
and a delta (``since``) lists the same additions either way.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apikeys.tiers import Tier
from apikeys.tlp import TLP
from iocs.feeds import params as feed_params
from iocs.feeds import txtsql
from iocs.feeds.pipeline import rows_for
from iocs.feeds.query import Dataset
from iocs.feeds.renderers import TxtRenderer
from iocs.feeds.renderers.base import FeedMeta
from iocs.models import IOC
from tests.access import make_callers
from tests.feeds_helpers import body, make_ioc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_env")]

HOSTILE = ["line\nbreak", "cr\rin", "tab\tin", "\x01start", "del\x7f", "".join(map(chr, range(1, 32))),
           "100%25encoded", "back\\slash", "ünïcødé ☃ \U0001d518", "with space", "trailing ", "\\.", "%0A", "\u2028"]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the SQL renderer is PostgreSQL's (SQLite keeps the Python renderer)")


@pytest.fixture
def hostile(db):
    for n, value in enumerate(HOSTILE):
        ioc = make_ioc(f"hostile{n}.example.com", "url")
        IOC.objects.filter(pk=ioc.pk).update(value=value)
    for n in range(30):
        make_ioc(f"host{n}.txt-sql.example.com")
        make_ioc(f"_srv{n}.txt-sql.example.com")  # no host name
        make_ioc(f"198.51.100.{n + 1}", "ipv4", tlp=TLP.CLEAR if n % 2 else TLP.AMBER)
    make_ioc("old.txt-sql.example.com", age_days=400)
    make_ioc("pending.txt-sql.example.com", status="pending")


GENERATED_AT = timezone.now().replace(microsecond=0)


def dataset(profile=feed_params.FEED, tier=Tier.ENTERPRISE, clearance=TLP.RED, query=""):
    p = feed_params.parse_params(QueryDict(query), profile, tier=tier, fmt="txt", format_types=TxtRenderer.types,
                                 defang_ok=True)
    return Dataset(p, clearance=clearance, tier=tier, hostnames_only=TxtRenderer.hostnames_only)


def render(ds, *, in_database: bool) -> tuple[str, list[str]]:
    renderer = TxtRenderer()
    # One fixed time for both renderings: two clock reads may straddle a second and differ in the header.
    meta = FeedMeta(title="t", url="u", generated_at=GENERATED_AT, additions=0, removals=0, license="l",
                    publisher="p", since=ds.params.since)
    with CaptureQueriesContext(connection) as queries:
        text = "".join(renderer.stream(rows_for(ds, renderer, in_database=in_database)(), meta))
    return text, [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize(("profile", "tier", "clearance"), [
    (feed_params.FEED, Tier.ENTERPRISE, TLP.RED),
    (feed_params.FEED, Tier.RESEARCHER, TLP.GREEN),
    (feed_params.PUBLIC, Tier.PUBLIC, TLP.CLEAR),
])
def test_same_bytes_as_the_python_renderer(hostile, monkeypatch, profile, tier, clearance):
    monkeypatch.setattr(txtsql, "BLOCK_IDS", 7)  # many blocks, some empty
    ds = dataset(profile, tier, clearance)
    in_db, queries = render(ds, in_database=True)
    in_python, _ = render(ds, in_database=False)
    assert [q for q in queries if txtsql.MARKER in q], "the SQL renderer was not used"
    assert in_db == in_python
    lines = [line for line in in_db.split("\n") if line and not line.startswith("#")]
    assert len(lines) == ds.additions().count() > 7
    assert not any(c in in_db.replace("\n", "") for c in txtsql.CONTROL)  # one value, one line
    if profile is feed_params.FEED:
        assert "line%0Abreak" in lines and "back\\slash" in lines and "100%25encoded" in lines


def test_a_delta_lists_the_same_additions(hostile):
    since = (timezone.now() - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ds = dataset(query=f"since={since}")
    assert render(ds, in_database=True)[0] == render(ds, in_database=False)[0]


def test_an_empty_feed_is_its_header(db):
    text, queries = render(dataset(), in_database=True)
    assert [q for q in queries if txtsql.MARKER in q]
    assert text == render(dataset(), in_database=False)[0] and all(line.startswith("#") for line in text.splitlines())


def test_the_endpoints_take_the_sql_path_and_defang_stays_in_python(client, hostile):
    callers = make_callers()
    with CaptureQueriesContext(connection) as queries:
        public = client.get("/api/iocs/public/feed.txt")
        public_body = body(public)
    assert public.status_code == 200 and b"host3.txt-sql.example.com\n" in public_body
    assert [q for q in queries.captured_queries if txtsql.MARKER in q["sql"]]
    with CaptureQueriesContext(connection) as queries:
        defanged = callers["researcher_token"].get(client, "/api/iocs/feed", data={"format": "txt", "defang": "1"})
        defanged_body = body(defanged)
    assert defanged.status_code == 200 and b"host3[.]txt-sql[.]example[.]com\n" in defanged_body
    assert not [q for q in queries.captured_queries if txtsql.MARKER in q["sql"]]
