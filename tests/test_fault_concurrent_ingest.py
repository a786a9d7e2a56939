"""Two Celery workers ingesting the same feed at the same moment: one copy of each article, IOC and
sighting, and no task failing on a unique constraint.

The feed is polled twice at once (the local server holds the first request until the second has
arrived), every article task is queued twice more, and the articles share IOCs, so that the two
workers race on the article rows, on the IOC upserts and on the sightings. Broker and cache are a
``redis-server`` of this test's own.
"""

from __future__ import annotations

import contextlib
import threading
import time

import pytest

from iocs.models import IOC, Status
from tests.ingest_support import LocalServer, html_page, rss
from tests.live_support import celery_worker, database_url, redis_server, server_env, stop, wait_for
from threats.models import Article, Sighting, Source, Threat

pytestmark = [pytest.mark.exclusive, pytest.mark.slow, pytest.mark.celery_worker,
              pytest.mark.django_db(transaction=True)]
ARTICLES = 4
SHARED = ("45.83.50.1", "hxxp://shared-c2[.]concurrent-ingest[.]net/api")


def page(n: int) -> bytes:
    return html_page(f"Campaign report {n}", [
        f"Report {n}: researchers tracked an intrusion set targeting shipping companies during week {n}.",
        "Indicators of compromise:",
        f"Shared C2 IP address: {SHARED[0]}",
        f"Shared C2 URL: {SHARED[1]}",
        f"Own C2 domain: node{n}.concurrent-ingest[.]net",
    ])


class FeedGate:
    """Answers the feed only once two polls are waiting (or after 15 s): the polls truly overlap."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.barrier = threading.Barrier(2, timeout=15)
        self.hits = 0

    def __call__(self, _request):
        self.hits += 1
        with contextlib.suppress(threading.BrokenBarrierError):
            self.barrier.wait()
        return 200, {"Content-Type": "application/rss+xml"}, self.body


def slow_page(n: int):
    def handler(_request):
        time.sleep(0.5)  # both workers are inside the same article at once
        return 200, {"Content-Type": "text/html"}, page(n)
    return handler


def _all_done() -> bool:
    return (Article.objects.filter(content_hash__gt="").count() == ARTICLES
            and IOC.objects.exists() and not IOC.objects.filter(status=Status.PENDING).exists())


def test_two_workers_ingesting_one_feed_at_once_record_everything_once(tmp_path, monkeypatch):
    from threatcluster.celery import app
    from threats import tasks

    monkeypatch.setitem(app.conf, "task_always_eager", False)
    server = LocalServer()
    gate = FeedGate(rss([{"title": f"Campaign report {n}", "link": server.url(f"/post/{n}"),
                          "description": "Short summary."} for n in range(ARTICLES)]))
    server.routes["/feed.xml"] = gate
    for n in range(ARTICLES):
        server.routes[f"/post/{n}"] = slow_page(n)
    source = Source.objects.create(name="local", url=server.url("/feed.xml"), enabled=True)
    log = tmp_path / "workers.log"
    with redis_server() as (redis_url, _):
        env = server_env(DATABASE_URL=database_url(), REDIS_URL=redis_url)
        workers = [celery_worker(env, log, f"racer{k}", concurrency=2) for k in range(2)]
        try:
            with app.connection_for_write(redis_url) as connection:
                for _ in range(2):
                    tasks.poll_source.apply_async((source.pk,), {"force": True}, connection=connection)
                wait_for(lambda: Article.objects.count() == ARTICLES, 90, lambda: log.read_text()[-3000:])
                for article_id in Article.objects.values_list("pk", flat=True):
                    for _ in range(2):
                        tasks.ingest_article.apply_async((article_id,), connection=connection)
            wait_for(_all_done, 150, lambda: log.read_text()[-3000:])
            time.sleep(2)  # the duplicate tasks still queued finish (as skips)
        finally:
            for worker in workers:
                stop(worker)
            server.close()
    text = log.read_text()
    assert gate.hits == 2
    assert "raised unexpected" not in text and "IntegrityError" not in text, text[-3000:]
    assert text.count("succeeded") >= 2 + 3 * ARTICLES  # two polls, three tasks per article
    urls = list(Article.objects.values_list("url", flat=True))
    assert sorted(urls) == sorted(server.url(f"/post/{n}") for n in range(ARTICLES))
    assert all(Article.objects.values_list("threat_id", flat=True))
    values = set(IOC.objects.values_list("type", "value"))
    expected = {("ipv4", SHARED[0]), ("url", "http://shared-c2.concurrent-ingest.net/api")} | {
        ("domain", f"node{n}.concurrent-ingest.net") for n in range(ARTICLES)}
    assert values >= expected, values
    shared = IOC.objects.get(type="ipv4", value=SHARED[0])
    assert Sighting.objects.filter(ioc=shared).count() == ARTICLES  # once per article, never twice
    assert Sighting.objects.count() == Sighting.objects.values("ioc", "article").distinct().count()
    assert Threat.objects.filter(articles__isnull=False).distinct().count() == Threat.objects.count()
