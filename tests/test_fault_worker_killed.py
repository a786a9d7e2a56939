"""A Celery worker killed in the middle of ingesting an article: the task is handed out again, the
retry completes, and nothing is duplicated or lost (one article, one threat, each IOC and sighting
once, every IOC classified).

The article's page is served by this test and held open on the first request, so the kill lands
while the task runs. Two ways to die: the pool child is killed (the OOM killer's choice; the parent
worker re-queues at once, ``task_reject_on_worker_lost``), or the whole worker with its children
(the message stays unacknowledged, ``task_acks_late``, and another worker takes it once the broker's
visibility timeout has passed). Broker and cache are a ``redis-server`` of this test's own.
"""

from __future__ import annotations

import os
import signal
import threading

import pytest

from iocs.models import IOC, Status
from tests.ingest_support import LocalServer, html_page, rss
from tests.live_support import celery_worker, children, database_url, redis_server, server_env, stop, wait_for
from threats.ingest import feeds
from threats.models import Article, Sighting, Source, Threat

pytestmark = [pytest.mark.exclusive, pytest.mark.slow, pytest.mark.celery_worker,
              pytest.mark.django_db(transaction=True)]
PARAGRAPHS = [
    "Researchers observed a spear-phishing wave by an unnamed group against logistics firms in the spring.",
    "Indicators of compromise:",
    "C2 server: hxxp://relay[.]killed-worker[.]net/gate.php",
    "C2 IP address: 45.83.12.77",
    "Dropper SHA-256: 7f2a7d1c9b3e8f60a5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a2918f0aa",
]
EXPECTED = {("url", "http://relay.killed-worker.net/gate.php"), ("ipv4", "45.83.12.77"),
            ("sha256", "7f2a7d1c9b3e8f60a5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a2918f0aa")}


class HeldPage:
    """The article page: the first request is held until released (the worker dies meanwhile)."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.hits = 0
        self.first_hit = threading.Event()
        self.release = threading.Event()

    def __call__(self, _request):
        self.hits += 1
        if self.hits == 1:
            self.first_hit.set()
            self.release.wait(60)
        return 200, {"Content-Type": "text/html"}, self.body


def _ingested() -> bool:
    article = Article.objects.filter(content_hash__gt="").first()
    return bool(article and IOC.objects.filter(sightings__article=article).exists()
                and not IOC.objects.filter(status=Status.PENDING).exists())


@pytest.mark.parametrize("victim", ["pool child", "whole worker"])
def test_a_worker_killed_mid_ingestion_loses_and_duplicates_nothing(tmp_path, victim, monkeypatch):
    from threatcluster.celery import app
    from threats import tasks

    monkeypatch.setitem(app.conf, "task_always_eager", False)
    server = LocalServer()
    page = HeldPage(html_page("Logistics firms phished", PARAGRAPHS))
    server.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, rss([
        {"title": "Logistics firms phished", "link": server.url("/post/1"), "description": "Short summary."}]))
    server.routes["/post/1"] = page
    source = Source.objects.create(name="local", url=server.url("/feed.xml"), enabled=True)
    (article_id,) = feeds.poll_source(source.pk, force=True).article_ids
    log = tmp_path / "workers.log"
    with redis_server() as (redis_url, _):
        env = server_env(DATABASE_URL=database_url(), REDIS_URL=redis_url, CELERY_VISIBILITY_TIMEOUT="5",
                         CELERY_RESTORE_INTERVAL="1", CELERY_RESTORE_THROTTLE="1")
        first = celery_worker(env, log, "first")
        second = None
        try:
            with app.connection_for_write(redis_url) as connection:
                tasks.ingest_article.apply_async((article_id,), connection=connection)
            wait_for(page.first_hit.is_set, 90, lambda: log.read_text()[-3000:])
            if victim == "pool child":
                (child,) = children(first.pid)
                os.kill(child, signal.SIGKILL)  # the parent notices, re-queues, forks a new child
                page.release.set()
            else:
                os.killpg(first.pid, signal.SIGKILL)
                first.wait()
                page.release.set()
                second = celery_worker(env, log, "second")
            wait_for(_ingested, 120, lambda: log.read_text()[-3000:])
        finally:
            page.release.set()
            for worker in (first, second):
                if worker is not None:
                    stop(worker)
            server.close()
    text = log.read_text()
    assert page.hits == 2, text[-3000:]  # killed on the first fetch, done on the second
    assert "WorkerLostError" in text or victim == "whole worker"
    assert Article.objects.count() == 1 and Threat.objects.count() == 1
    article = Article.objects.get()
    assert article.pk == article_id and article.content_hash and article.threat_id
    values = set(IOC.objects.values_list("type", "value"))
    assert values >= EXPECTED
    sightings = Sighting.objects.count()
    assert sightings == Sighting.objects.values("ioc", "article").distinct().count() == len(values)  # once each
    assert not IOC.objects.filter(status=Status.PENDING).exists()
