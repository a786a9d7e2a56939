"""Timing one HTTP request as a client sees it: time to first byte, total time, bytes."""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Download:
    status: int
    ttfb: float  # seconds until the status line and headers arrived
    seconds: float  # until the last byte
    bytes: int
    headers: dict[str, str]


def get(base: str, path: str, headers: dict[str, str] | None = None, timeout: float = 900) -> Download:
    """GET ``path`` and read the whole body (plain, no gzip) in 64 KiB reads, discarding it."""
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    start = time.perf_counter()
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "identity", **(headers or {})})
        response = conn.getresponse()
        ttfb = time.perf_counter() - start
        size = 0
        while chunk := response.read1(1 << 16):
            size += len(chunk)
        seconds = time.perf_counter() - start
        return Download(response.status, ttfb, seconds, size, {k.lower(): v for k, v in response.getheaders()})
    finally:
        conn.close()
