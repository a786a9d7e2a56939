"""Feed polling: conditional GET (304), interval, back-off with the last error kept, page fetching."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.ingest_support import LocalServer, eager_celery, html_page, rss
from threats.ingest import articles, feeds, fetch
from threats.models import Article, Source

LONG = "The loader contacted its command-and-control server every ten minutes. " * 8


@pytest.fixture
def server():
    srv = LocalServer()
    yield srv
    srv.close()


def conditional_feed(body: bytes, etag: str = '"v1"'):
    def handler(request):
        if request.headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, b""
        return 200, {"Content-Type": "application/rss+xml", "ETag": etag,
                     "Last-Modified": "Wed, 01 May 2024 10:00:00 GMT"}, body
    return handler


def make_source(server, path="/feed.xml", **extra) -> Source:
    return Source.objects.create(**{"name": "local", "url": server.url(path), "enabled": True, **extra})


@pytest.mark.django_db
def test_a_poll_stores_entries_and_the_next_poll_sends_the_etag_and_gets_a_304(server):
    items = [{"title": "Report one", "link": server.url("/one"), "description": "<b>first</b> summary",
              "pubDate": "Wed, 01 May 2024 08:00:00 GMT"},
             {"title": "Report two", "link": "/two", "description": "second"}]
    server.routes["/feed.xml"] = conditional_feed(rss(items))
    source = make_source(server)
    first = feeds.poll_source(source.pk)
    assert first.status == "fetched" and first.new_articles == 2 and len(first.article_ids) == 2
    one = Article.objects.get(url=server.url("/one"))
    assert (one.title, one.text, one.source_id, one.publisher) == ("Report one", "first summary", source.pk,
                                                                   "127.0.0.1")
    assert one.published_at.isoformat() == "2024-05-01T08:00:00+00:00"
    assert Article.objects.filter(url=server.url("/two")).exists()  # relative links resolved
    source.refresh_from_db()
    assert source.etag == '"v1"' and source.last_modified.startswith("Wed, 01 May 2024")
    assert source.next_poll_at > timezone.now()

    assert feeds.poll_source(source.pk).status == "not_due"  # the interval is respected
    second = feeds.poll_source(source.pk, force=True)
    assert second.status == "not_modified" and second.article_ids == []
    assert server.requests[-1][1]["If-None-Match"] == '"v1"'
    assert server.requests[-1][1]["If-Modified-Since"] == "Wed, 01 May 2024 10:00:00 GMT"
    assert "ThreatCluster" in server.requests[-1][1]["User-Agent"]
    assert Article.objects.count() == 2


@pytest.mark.django_db
def test_errors_back_off_exponentially_and_keep_the_last_error_until_a_success(server):
    server.routes["/feed.xml"] = (500, {}, b"oops")
    source = make_source(server, poll_interval_minutes=10)
    delays = []
    for _ in range(3):
        now = timezone.now()
        result = feeds.poll_source(source.pk, force=True, now=now)
        source.refresh_from_db()
        assert result.status == "error" and "HTTP 500" in source.last_error
        delays.append(source.next_poll_at - now)
    assert delays == [timedelta(minutes=20), timedelta(minutes=40), timedelta(minutes=80)]
    assert source.error_count == 3
    assert not feeds.due_sources().filter(pk=source.pk).exists()
    assert feeds.due_sources(now=timezone.now() + timedelta(hours=2)).filter(pk=source.pk).exists()

    server.routes["/feed.xml"] = (200, {"Content-Type": "text/html"}, b"<html>not a feed</html>")
    feeds.poll_source(source.pk, force=True)
    source.refresh_from_db()
    assert "not an RSS/Atom feed" in source.last_error and source.error_count == 4

    server.routes["/feed.xml"] = conditional_feed(rss([]))
    assert feeds.poll_source(source.pk, force=True).status == "fetched"
    source.refresh_from_db()
    assert (source.error_count, source.last_error) == (0, "")


def test_backoff_is_capped():
    assert feeds.backoff_delay(Source(poll_interval_minutes=60, error_count=30)) == feeds.MAX_BACKOFF


@pytest.mark.django_db
def test_disabled_sources_are_not_polled_nor_due(server):
    source = make_source(server)
    source.enabled = False
    source.save()
    assert feeds.poll_source(source.pk).status == "disabled"
    assert not feeds.due_sources().exists()
    assert server.requests == []


@pytest.mark.django_db
def test_the_page_is_reduced_to_its_main_text_and_the_summary_is_kept_when_it_fails(server):
    server.routes["/feed.xml"] = conditional_feed(rss([
        {"title": "Good", "link": server.url("/good"), "description": "short summary"},
        {"title": "Gone", "link": server.url("/gone"), "description": "the summary survives"},
        {"title": "Elsewhere", "link": server.url("/x").replace("127.0.0.1", "localhost"), "description": "s"},
    ]))
    server.routes["/good"] = (200, {"Content-Type": "text/html"}, html_page("Good", [LONG, LONG]))
    server.routes["/gone"] = (404, {}, b"")
    source = make_source(server)
    feeds.poll_source(source.pk)
    good = articles.page_text(Article.objects.get(title="Good"))
    assert "command-and-control server" in good and "Copyright" not in good and "About" not in good
    assert articles.page_text(Article.objects.get(title="Gone")) == ""
    # A link to another (here: private) host than the feed's is not fetched.
    assert articles.page_text(Article.objects.get(title="Elsewhere")) == ""
    assert not any(path == "/x" for path, _ in server.requests)


def test_fetch_limits_size_and_refuses_other_schemes(server, settings):
    server.routes["/big"] = (200, {"Content-Type": "text/html"}, b"x" * 5000)
    with pytest.raises(fetch.FetchError, match="exceeds"):
        fetch.get(server.url("/big"), trusted=True, max_bytes=1000)
    with pytest.raises(fetch.FetchError, match="only http and https"):
        fetch.get("file:///etc/passwd", trusted=True)
    with pytest.raises(fetch.FetchError, match="private or local"):
        fetch.get(server.url("/big"))
    server.routes["/slow"] = (503, {}, b"")
    with pytest.raises(fetch.TransientFetchError):
        fetch.get(server.url("/slow"), trusted=True)
    server.routes["/hop"] = (302, {"Location": "http://localhost:1/elsewhere"}, b"")
    with pytest.raises(fetch.FetchError, match="private or local"):
        fetch.get(server.url("/hop"), trusted=True)  # trust does not follow a redirect to another host


@pytest.mark.django_db
def test_the_beat_task_claims_due_sources_once_and_polls_them(server, monkeypatch):
    from threats import tasks

    eager_celery(monkeypatch)
    server.routes["/feed.xml"] = conditional_feed(rss([{"title": "x", "link": server.url("/x"), "description": "y"}]))
    source = make_source(server)
    make_source(server, "/other.xml", enabled=False)
    assert feeds.claim_due_sources() == [source.pk]
    assert feeds.claim_due_sources() == []  # claimed: the next tick does not queue it again
    Source.objects.filter(pk=source.pk).update(next_poll_at=None)
    assert tasks.poll_due_sources.apply().get() == 1  # eager: polled now
    source.refresh_from_db()
    assert source.last_polled_at and source.etag == '"v1"'
