"""End to end on a real Celery worker: a local RSS feed served by this test, polled through Redis by a
``celery -A threatcluster worker`` subprocess, becomes a threat with classified IOCs.

Needs PostgreSQL (the worker process must share the test database, which an in-memory SQLite cannot)
and Redis; it skips with the reason otherwise. CI runs it with both (a skip fails CI).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from iocs.models import IOC, Status
from tests.ingest_support import LocalServer, html_page, rss
from tests.live_support import database_url as shared_database_url
from threats.models import Article, Source, Threat

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 180
PARAGRAPHS = [
    "Researchers observed a new spear-phishing campaign by the Gamaredon group against government "
    "agencies. The lure documents exploited CVE-2023-38831 and dropped a PowerShell stager (T1059.001).",
    "Indicators of compromise:",
    "C2 server: hxxp://update-check[.]example-bad[.]com/load.php",
    "C2 IP address: 203.0.113.77",
    "Dropper SHA-256: 4f2a7d1c9b3e8f60a5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a2918f0e1",
]


def _redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("needs REDIS_URL (a Redis the Celery worker uses as broker)")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at {url} is unreachable: {exc}")
    return url


def _start_worker(database_url: str, redis_url: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "SECRET_KEY": os.environ.get("SECRET_KEY") or "celery-worker-test-only", "TC_STRICT": "0"}
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "threatcluster", "worker", "--loglevel", "INFO", "--concurrency",
         "2", "--without-gossip", "--without-mingle", "--hostname", f"ingest-test-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )


def _wait_for(condition, timeout: float, worker: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"the worker exited with {worker.returncode}:\n{log.read_text()[-4000:]}")
        if "raised unexpected" in log.read_text():
            pytest.fail(f"a task failed in the worker:\n{log.read_text()[-4000:]}")
        if condition():
            return
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout} s; worker log:\n{log.read_text()[-4000:]}")


@pytest.mark.celery_worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_ingests_a_local_feed_to_classified_iocs_on_a_threat(tmp_path):
    redis_url, database_url = _redis_url(), shared_database_url()
    from threatcluster.celery import app
    from threats import tasks

    app.control.purge()  # tasks left in this Redis db by an earlier, interrupted run
    server = LocalServer()
    server.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml", "ETag": '"1"'}, rss([
        {"title": "Gamaredon exploits WinRAR flaw", "link": server.url("/post/1"),
         "description": "Short summary.", "pubDate": "Wed, 01 May 2024 08:00:00 GMT"}]))
    server.routes["/post/1"] = (200, {"Content-Type": "text/html"},
                                html_page("Gamaredon exploits WinRAR flaw", PARAGRAPHS))
    source = Source.objects.create(name="local", url=server.url("/feed.xml"), enabled=True)
    log = tmp_path / "worker.log"
    worker = _start_worker(database_url, redis_url, log)
    try:
        tasks.poll_source.delay(source.pk)

        def classified() -> bool:
            iocs = IOC.objects.filter(sightings__threat__isnull=False)
            return iocs.count() >= 3 and not iocs.filter(status=Status.PENDING).exists()

        _wait_for(classified, TIMEOUT, worker, log)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        server.close()
    article = Article.objects.get(url=server.url("/post/1"))
    threat = Threat.objects.get()
    assert article.threat == threat and article.content_hash
    assert "203.0.113.77" in article.text  # the page, not the feed's one-line summary
    values = set(IOC.objects.filter(sightings__threat=threat).values_list("type", "value"))
    assert {("ipv4", "203.0.113.77"), ("url", "http://update-check.example-bad.com/load.php")} <= values
    assert not IOC.objects.filter(sightings__threat=threat, status=Status.PENDING).exists()
    assert threat.vulnerabilities.filter(cve_id="CVE-2023-38831").exists()
    assert threat.attack_patterns.filter(technique_id="T1059.001").exists()
    assert threat.actors.filter(name__icontains="Gamaredon").exists()
    assert threat.threat_score > 0
    worker_log = log.read_text()
    assert "threats.tasks.ingest_article" in worker_log and "succeeded" in worker_log  # the worker did it
