"""The CSV PostgreSQL writes (iocs/feeds/csvsql.py) is byte for byte the Python renderer's, on hostile data.

Values, reasons, titles, URLs and threat ids carry what CSV and spreadsheets are made of (quotes,
commas, CR, LF, tabs, ``|``, leading ``=``/``+``/``-``/``@``/tab/CR, unicode, Python-only whitespace,
empty strings); IOCs have 0, 1, 2, 5 or 7 citations, some by threats above the caller's clearance,
some from articles without ``published_at``, some on the same date. Both bodies are also read back
with the csv module. (``confidence`` is never NULL: a database constraint ties it to the status.)
"""

import csv
import io
import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apikeys.tlp import TLP
from iocs.feeds import csvsql
from iocs.models import IOC
from tests.feeds_helpers import csv_dataset, make_ioc, render_csv
from threats.models import Article, Sighting, Threat

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_env")]

HOSTILE = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\tx", "\rx", "a,b", 'say "hi"', "line\nbreak",
           "cr\rin", "pipe|bar", "ünïcødé ☃ \U0001d518\u3000", "", " lead space", "'already", "\\.", '"', ",",
           "\r\n", "-", "x" * 300, 'é,"\n=', "\u2028sep", "tab\tinside", "trailing ", "\x85", "=", "中文,\"引号\""]
TITLES = ["", "   ", "a | b || c", "=cmd", "tabs\there\tand\u3000ideographic", "runs   of \u00a0 spaces ",
          "\x1c\x1d\x1e\x1f seps", 'quote " and, comma', "new\nline\r\nand cr", "|", "ünï | cødé", "- dash",
          "trailing \x85", "+1", "@x", "\u2028\u2029 line seps", "plain title"]
URLS = ["https://x.example/\"q\"", "https://x.example/a,b", "https://x.example/trailing \n", "=HYPERLINK()",
        "https://x.example/tab\t", "https://x.example/ok"]
CITATION_COUNTS = [0, 1, 5, 7, 2]
THREAT_TLPS = [TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED]


def hostile_data() -> None:
    now = timezone.now()
    titles, urls, tlps = itertools.cycle(TITLES), itertools.cycle(URLS), itertools.cycle(THREAT_TLPS)
    threats = [Threat.objects.create(title=f"t{n}", tlp=next(tlps)) for n in range(10)]
    Threat.objects.filter(pk=threats[0].pk).update(public_id="")  # written "-"
    Threat.objects.filter(pk=threats[1].pk).update(public_id='=x,"y"')
    serial = itertools.count()
    special_urls = iter(["", " "])  # unique column: each once
    for n, value in enumerate(HOSTILE):
        ioc = make_ioc(f"ioc{n}.example.com", "url", tlp=THREAT_TLPS[n % 4])
        IOC.objects.filter(pk=ioc.pk).update(value=value, reason=HOSTILE[-1 - n])
        for _ in range(CITATION_COUNTS[n % len(CITATION_COUNTS)]):
            i = next(serial)
            url = next(special_urls, None) if i % 6 == 5 else None
            published = None if i % 4 == 3 else now - timedelta(days=i % 3)  # ties on purpose
            article = Article.objects.create(url=url if url is not None else f"{next(urls)}{i}", title=next(titles),
                                             published_at=published, fetched_at=now - timedelta(hours=i))
            Sighting.objects.create(ioc=ioc, article=article, threat=threats[i % len(threats)])
    # Neither pending nor false-positive IOCs are published, citations or not.
    for status in ("pending", "false_positive"):
        hidden = make_ioc(f"{status}.example.com", status=status)
        article = Article.objects.create(url=f"https://x.example/{status}", title=status)
        Sighting.objects.create(ioc=hidden, article=article, threat=threats[0])


def rendered_in_database(dataset) -> str:
    with CaptureQueriesContext(connection) as queries:
        body = render_csv(dataset, in_database=True)
    assert [q["sql"] for q in queries if csvsql.MARKER in q["sql"]], "the SQL renderer was not used"
    return body


@pytest.fixture(autouse=True)
def _postgresql_only(settings):
    if connection.vendor != "postgresql":
        pytest.skip("the SQL renderer is PostgreSQL's (SQLite keeps the Python renderer)")
    settings.FEED_SEGMENTS = False  # the statement itself; stored blocks: tests/test_feed_csv_segments.py


@pytest.fixture(params=["dense", "sparse"])
def plan(request, monkeypatch):
    """Both citation plans (every sighting of a range, or the dataset's own rows'): the same bytes."""
    monkeypatch.setattr(csvsql, "is_sparse", lambda dataset: request.param == "sparse")
    return request.param


@pytest.mark.parametrize("clearance", [TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.RED])
def test_same_bytes_as_the_python_renderer(clearance, plan):
    hostile_data()
    dataset = csv_dataset(clearance=clearance)
    assert csvsql.available(dataset)
    expected = render_csv(dataset, in_database=False)
    got = rendered_in_database(dataset)
    assert got == expected
    rows = list(csv.reader(io.StringIO(got, newline="")))
    assert rows == list(csv.reader(io.StringIO(expected, newline="")))
    visible = IOC.objects.filter(status="confirmed", tlp__lte=clearance).count()
    assert len(rows) == 1 + visible and visible > 0


def test_cells_read_back_as_written():
    hostile_data()
    body = rendered_in_database(csv_dataset(clearance=TLP.RED))
    rows = list(csv.DictReader(io.StringIO(body, newline="")))
    values = [row["value"] for row in rows]
    assert values == ["'" + v if v.startswith(("=", "+", "-", "@", "\t", "\r")) else v for v in HOSTILE]
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values())
        assert len(row["sources"].split(" | ")) <= 5 if row["sources"] else True
    assert body.count("\r\n") >= len(rows) + 1


def test_citations_above_the_clearance_never_appear(plan):
    ioc = make_ioc("cited.example.com")
    now = timezone.now()
    for n, tlp in enumerate([TLP.RED, TLP.AMBER_STRICT, TLP.CLEAR]):  # the newest is the most restricted
        article = Article.objects.create(url=f"https://reports.example/{tlp.name}", title=f"report {tlp.name}",
                                         published_at=now - timedelta(days=n))
        Sighting.objects.create(ioc=ioc, article=article, threat=Threat.objects.create(title=tlp.name, tlp=tlp))
    (amber,) = csv.DictReader(io.StringIO(rendered_in_database(csv_dataset(clearance=TLP.AMBER)), newline=""))
    assert [s.split(" ")[2] for s in amber["sources"].split(" | ")] == ["https://reports.example/CLEAR"]
    (red,) = csv.DictReader(io.StringIO(rendered_in_database(csv_dataset(clearance=TLP.RED)), newline=""))
    assert [s.split(" ")[4] for s in red["sources"].split(" | ")] == ["RED", "AMBER_STRICT", "CLEAR"]


def test_deltas_add_in_sql_and_remove_in_python(clock, plan):
    hostile_data()
    gone = make_ioc("gone.example.com")
    since = timezone.now()
    clock.advance(minutes=5)
    IOC.objects.filter(pk=gone.pk).update(status="false_positive", confidence="")
    dataset = csv_dataset(query={"since": since.strftime("%Y-%m-%dT%H:%M:%SZ")})
    expected = render_csv(dataset, in_database=False)
    assert "\r\n" + "domain,gone.example.com" in expected and ",remove,false_positive," in expected
    assert rendered_in_database(dataset) == expected


def test_empty_dataset():
    dataset = csv_dataset()
    assert rendered_in_database(dataset) == render_csv(dataset, in_database=False)


def test_whitespace_is_pythons():
    import sys

    python = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
    assert python == csvsql.WHITESPACE


def test_many_ranges_and_gaps_in_the_ids(monkeypatch, plan):
    """Rows split over many ranges (and ids far apart) come out whole, in order, once."""
    hostile_data()
    far = make_ioc("far.example.com")
    IOC.objects.filter(pk=far.pk).update(id=far.pk + 10**12)  # a gap of a trillion ids
    monkeypatch.setattr(csvsql, "RANGE", 3)
    dataset = csv_dataset()
    blocks = list(csvsql.chunks(dataset))
    assert len(blocks) > 5
    assert "".join(blocks) == render_csv(dataset, in_database=False).split("\r\n", 1)[1]


DEFANG = {"url": ["http://a.b/c.d", "HtTp://a.b.c/", "https://x.y:8443/p?q=a.b", "hxxp://a.b", "ftp://f.t.p/x",
                  "://a.b", "http:/no.sep", "http", "a.b", "httpsomething.example/x", "http://a.b", "http://",
                  "HTTP://ünï.cödé/ü.x", "=http://x.y", "http://a/b/c.d", "a://b://c.d/e.f"],
                  "domain": ["a.b.c", "=evil.example", "..", ""], "ipv4": ["1.2.3.4", "-1.2"],
                  "ipv6": ["::1", "2001:db8::1", "+::"], "email": ["a@b.c", "a@b@c.d", "no-at.example", "@x.y", "a@"],
                  "md5": ["d41d8cd98f00b204e9800998ecf8427e"], "btc": ["1.2@3:4"]}


def test_defanged_values_same_bytes(clock, plan):
    for ioc_type, values in DEFANG.items():
        for n, value in enumerate(values):
            ioc = make_ioc(f"d{n}.{ioc_type}.example.com", "url")
            IOC.objects.filter(pk=ioc.pk).update(type=ioc_type, value=value)
    gone = make_ioc("gone.example.com")  # a delta's removal is defanged too
    since = timezone.now()
    clock.advance(minutes=5)
    IOC.objects.filter(pk=gone.pk).update(status="false_positive", confidence="")
    for query in ({"defang": "true"}, {"defang": "true", "since": since.strftime("%Y-%m-%dT%H:%M:%SZ")}):
        dataset = csv_dataset(query=query)
        expected = render_csv(dataset, in_database=False)
        assert "hxxp[:]//a[.]b/c.d" in expected and "a[@]b@c[.]d" in expected
        assert rendered_in_database(dataset) == expected
    assert "gone[.]example[.]com" in expected


def test_small_datasets_take_the_sparse_plan():
    from django.core.cache import cache

    from iocs.feeds import generation

    for n in range(100):
        make_ioc(f"h{n}.example.com") if n < 20 else make_ioc(f"https://h{n}.example.com/x", "url")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {IOC._meta.db_table}")  # the planner's row count: 100
    small = csv_dataset(query={"types": "domain"})
    large = csv_dataset()
    assert not csvsql.is_sparse(small)  # no generation yet: the dense plan, which never costs more than a feed's
    for dataset in (small, large):
        generation.refresh(dataset)
    assert csvsql.is_sparse(small) and not csvsql.is_sparse(large)  # 20 and 100 rows of 100
    cache.clear()
