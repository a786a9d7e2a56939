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
    return _request("GET", base, path, None, headers, timeout)


def post(base: str, path: str, body: str, headers: dict[str, str] | None = None, timeout: float = 900) -> Download:
    """POST ``body`` to ``path``, read the answer as :func:`get` does."""
    return _request("POST", base, path, body, headers, timeout)


def _request(method: str, base: str, path: str, body: str | None, headers: dict[str, str] | None,
             timeout: float) -> Download:
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    start = time.perf_counter()
    try:
        conn.request(method, path, body=body, headers={"Accept-Encoding": "identity", **(headers or {})})
        response = conn.getresponse()
        ttfb = time.perf_counter() - start
        size = 0
        while chunk := response.read1(1 << 16):
            size += len(chunk)
        seconds = time.perf_counter() - start
        return Download(response.status, ttfb, seconds, size, {k.lower(): v for k, v in response.getheaders()})
    finally:
        conn.close()
