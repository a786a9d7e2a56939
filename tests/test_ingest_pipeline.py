"""One article through the pipeline: idempotent, crash-safe, duplicates cited once, threat kept current.

The extractor's output is fixed here (``analyze`` is replaced by a table of findings per text) so that
these tests pin the pipeline's own behaviour; the real extractor runs in the command and worker tests.
"""

import pytest

from apikeys.tlp import TLP
from iocs.models import IOC
from tests.ingest_support import LocalServer, eager_celery, html_page
from threats import tasks
from threats.ingest import articles, entities, fetch, record
from threats.ingest.record import Findings, found_ioc
from threats.models import Article, Sighting, Source, Threat

TEXTS = {
    "alpha": lambda: Findings(iocs=[found_ioc("ipv4", "198.51.100.7", "C2 at 198.51.100.7"),
                                    found_ioc("domain", "evil.example.com", "hosted on evil.example.com")],
                              actors=[entities.actor("Turla")]),
    "beta": lambda: Findings(iocs=[found_ioc("ipv4", "198.51.100.7", "again 198.51.100.7"),
                                   found_ioc("sha256", "ab" * 32, "dropper")]),
    "gamma": lambda: Findings(iocs=[found_ioc("md5", "c" * 32, "unrelated")]),
    "empty": Findings,
}


@pytest.fixture(autouse=True)
def fixed_findings(monkeypatch):
    def analyze(body, title=""):
        return next(TEXTS[word] for word in body.split() if word in TEXTS)()

    monkeypatch.setattr(articles, "analyze", analyze)


def stored(url, text, title="A report", **kw):
    return Article.objects.create(url=url, title=title, text=text, publisher=articles.publisher_of(url), **kw)


def counts():
    return (Threat.objects.count(), IOC.objects.count(), Sighting.objects.count())


@pytest.mark.django_db
def test_an_article_twice_creates_nothing_twice():
    article = stored("https://blog.example.org/a", "alpha report")
    first = articles.process_article(article.pk, fetch_page=False)
    assert first.status == articles.NEW and len(first.new_ioc_ids) == 2
    before = counts()
    second = articles.process_article(article.pk, fetch_page=False)
    assert second.status == articles.SKIPPED and counts() == before == (1, 2, 2)
    threat = Threat.objects.get()
    assert threat.title == "A report" and threat.threat_score > 0
    assert list(threat.actors.values_list("name", flat=True)) == ["Turla"]
    assert Sighting.objects.get(ioc__value="198.51.100.7").context == "C2 at 198.51.100.7"


@pytest.mark.django_db
def test_a_shared_ioc_clusters_and_iocs_seen_again_are_counted():
    articles.process_article(stored("https://a.example.org/1", "alpha", title="First").pk, fetch_page=False)
    result = articles.process_article(stored("https://b.example.org/2", "beta", title="Second").pk,
                                      fetch_page=False)
    assert "joins" in result.decision and len(result.new_ioc_ids) == 1 and len(result.seen_ioc_ids) == 1
    threat = Threat.objects.get()
    assert threat.title == "First" and "Reported in 2 articles by 2 publisher(s)" in threat.summary
    assert IOC.objects.get(value="198.51.100.7").source_count == 2
    other = articles.process_article(stored("https://c.example.org/3", "gamma").pk, fetch_page=False)
    assert other.threat_id != threat.pk and Threat.objects.count() == 2


@pytest.mark.django_db
def test_a_crash_before_the_commit_leaves_nothing_and_the_retry_completes(monkeypatch):
    article = stored("https://blog.example.org/a", "alpha")

    def crash(*args, **kwargs):
        raise RuntimeError("worker died")

    monkeypatch.setattr(articles, "record", crash)
    with pytest.raises(RuntimeError):
        articles.process_article(article.pk, fetch_page=False)
    article.refresh_from_db()
    assert (article.content_hash, article.threat_id) == ("", None) and counts() == (0, 0, 0)
    monkeypatch.setattr(articles, "record", record.record)
    assert articles.process_article(article.pk, fetch_page=False).status == articles.NEW
    assert counts() == (1, 2, 2)


@pytest.mark.django_db
def test_the_same_text_under_another_url_cites_the_threat_without_new_sightings():
    articles.process_article(stored("https://a.example.org/1", "alpha report").pk, fetch_page=False)
    twin = articles.process_article(stored("https://mirror.example.net/1", "alpha   report").pk, fetch_page=False)
    assert twin.status == articles.DUPLICATE and counts() == (1, 2, 2)
    assert Article.objects.get(url="https://mirror.example.net/1").threat == Threat.objects.get()


@pytest.mark.django_db
def test_an_article_without_findings_is_processed_but_starts_no_threat():
    article = stored("https://blog.example.org/news", "empty weekly news")
    assert articles.process_article(article.pk, fetch_page=False).status == articles.NO_FINDINGS
    assert Threat.objects.count() == 0 and Article.objects.get().content_hash
    assert articles.process_article(article.pk, fetch_page=False).status == articles.SKIPPED


@pytest.mark.django_db
def test_the_source_tlp_is_the_threat_and_ioc_tlp():
    source = Source.objects.create(name="s", url="https://isac.example.org/feed", tlp=TLP.AMBER)
    articles.process_article(stored("https://isac.example.org/1", "alpha", source=source).pk, fetch_page=False)
    assert Threat.objects.get().tlp == TLP.AMBER
    assert set(IOC.objects.values_list("tlp", flat=True)) == {TLP.AMBER}


@pytest.mark.django_db
def test_the_article_task_retries_a_failing_page_and_finally_uses_the_summary(monkeypatch):
    eager_celery(monkeypatch)
    server = LocalServer()
    try:
        server.routes["/feed"] = (200, {}, b"")
        server.routes["/post"] = (503, {}, b"")
        source = Source.objects.create(name="s", url=server.url("/feed"))
        article = stored(server.url("/post"), "alpha summary from the feed", source=source)
        with pytest.raises(fetch.TransientFetchError):
            articles.process_article(article.pk, raise_transient=True)
        assert counts() == (0, 0, 0)
        result = articles.process_article(article.pk)  # what the last retry does
        assert result.status == articles.NEW and "alpha summary" in Article.objects.get().text
        server.routes["/good"] = (200, {"Content-Type": "text/html"},
                                  html_page("Good", ["beta " + "the page text is longer than the summary. " * 10]))
        page = stored(server.url("/good"), "gamma summary", source=source)
        assert tasks.ingest_article.apply(args=[page.pk]).get()["status"] == "new"
        assert "the page text is longer" in Article.objects.get(pk=page.pk).text  # the page, not the summary
    finally:
        server.close()
