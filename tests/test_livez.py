"""``/livez`` answers without touching the database or the cache (liveness, and the benchmark's ceiling)."""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


@pytest.mark.django_db
def test_it_answers_ok_without_a_query(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/livez")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"].startswith("text/plain")
    assert len(queries) == 0


@pytest.mark.django_db
def test_it_answers_while_the_cache_fails(client):
    with mock.patch("django.core.cache.cache.get", side_effect=ConnectionError), \
            mock.patch("django.core.cache.cache.set", side_effect=ConnectionError):
        response = client.get("/livez")
    assert response.status_code == 200
