"""Artifacts: a generation's body is written once and served byte for byte (strong ETag), built by
the Celery task for the public feeds, never left half-written, pruned when unused."""

import os
import time

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from iocs.feeds import artifacts, services, tasks
from tests.feeds_helpers import body, bulk_iocs, make_ioc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_env")]


def files() -> list[str]:
    root = artifacts.directory()
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def ioc_queries(queries) -> list[str]:
    """Queries on the IOC table, but the X-IOC-Pending-Count header's own (cached separately)."""
    return [q["sql"] for q in queries.captured_queries if "iocs_ioc" in q["sql"] and "'pending'" not in q["sql"]]


def test_second_download_is_the_same_bytes(client):
    for n in range(50):
        make_ioc(f"a{n}.example.com")
    first = client.get("/api/iocs/public/feed.csv")
    first_body = body(first)
    assert len(files()) == 1 and files()[0].endswith(".gz")
    with CaptureQueriesContext(connection) as queries:
        second = client.get("/api/iocs/public/feed.csv")
        assert body(second) == first_body and second["ETag"] == first["ETag"]
    assert ioc_queries(queries) == []


def test_custom_parameters_are_not_stored(client):
    make_ioc("a.example.com")
    body(client.get("/api/iocs/public/feed.txt", data={"types": "domain"}))
    assert files() == []


def test_task_prebuilds_public_feeds(client, settings):
    settings.SITE_URL = "https://cti.example.org"
    make_ioc("a.example.com")
    result = tasks.refresh_feeds.apply().get()
    assert result["built"] == 3 and len(files()) == 3
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/iocs/public/feed.json", headers={"Accept-Encoding": "gzip"})
        raw = b"".join(response.streaming_content)
    assert ioc_queries(queries) == []
    assert response["Content-Length"] == str(len(raw))  # the file as stored, as is
    assert b"https://cti.example.org/api/iocs/public/feed.json" in body(client.get("/api/iocs/public/feed.json"))


def test_interrupted_download_leaves_nothing(client):
    bulk_iocs(6000)  # several 64 KiB blocks
    response = client.get("/api/iocs/public/feed.txt")
    stream = iter(response.streaming_content)
    next(stream)
    response.close()  # the client went away
    assert files() == []


def test_prune_drops_unused_files(client):
    make_ioc("a.example.com")
    body(client.get("/api/iocs/public/feed.txt"))
    (path,) = artifacts.directory().iterdir()
    assert services.prune_feeds()["artifacts"] == 0
    old = time.time() - artifacts.KEEP_UNUSED_SECONDS - 60
    os.utime(path, (old, old))
    assert services.prune_feeds()["artifacts"] == 1 and files() == []
    assert str(settings.FEED_ARTIFACT_DIR) in str(path)
