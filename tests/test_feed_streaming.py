"""Feeds stream: the response is an iterator over database chunks, and memory does not grow with
the number of rows (tracemalloc peak over 50,000 rows is that of 10,000: both span several database
chunks of 2,000-5,000 rows, so what is compared is the per-chunk cost, which must not grow)."""

import tracemalloc

import pytest
from django.core.cache import cache
from django.http import StreamingHttpResponse

from iocs.models import IOC
from tests.access import make_callers
from tests.feeds_helpers import bulk_iocs

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_env")]


def test_response_is_an_iterator(client):
    bulk_iocs(10)
    response = client.get("/api/iocs/public/feed.txt")
    assert isinstance(response, StreamingHttpResponse)
    content = response.streaming_content
    assert iter(content) is content  # a generator, not a list that was built first


def peak_while_streaming(client, caller, url: str, params: dict) -> tuple[int, int]:
    """Peak traced memory while downloading, and the number of bytes downloaded."""
    cache.clear()  # no generation, no artifact: the body is built from the database
    tracemalloc.start()
    try:
        response = caller.get(client, url, data=params)
        assert isinstance(response, StreamingHttpResponse)
        size = sum(len(chunk) for chunk in response.streaming_content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, size


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["txt", "csv"])
def test_memory_does_not_grow_with_rows(client, fmt):
    researcher = make_callers()["researcher_token"]
    params = {"format": fmt, "types": "domain"}  # custom parameters: streamed live, not from a file
    bulk_iocs(10_000, "small")
    peak_while_streaming(client, researcher, "/api/iocs/feed", params)  # warm up: imports, first-use caches
    small_peak, small_size = peak_while_streaming(client, researcher, "/api/iocs/feed", params)
    bulk_iocs(40_000, "large")
    assert IOC.objects.count() == 50_000
    large_peak, large_size = peak_while_streaming(client, researcher, "/api/iocs/feed", params)
    assert large_size > 4.5 * small_size  # five times the rows went through ...
    print(f"\n{fmt}: peak {small_peak} B at {small_size} B out, {large_peak} B at {large_size} B out")
    assert large_peak < 1.25 * small_peak + 1_000_000, (small_peak, large_peak)  # ... in the same memory
