"""HTTP for ingestion: a polite client with a timeout, a size limit and conditional GET.

Report pages and feeds are fetched with an identifying User-Agent, a connect/read timeout and a cap
on the body size (read in chunks, the download stops at the cap). Redirects are followed by hand so
that every hop is checked: only ``http``/``https``, and no private, loopback or link-local address
unless the caller trusts the URL (staff-configured sources and command-line arguments are trusted; a
link found in a feed is trusted only on the feed's own host). That keeps an attacker-written feed
from making the worker read internal services.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings

USER_AGENT = "ThreatCluster/0.1 (threat-intelligence reader; polls at most once per source interval)"
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 30
MAX_FEED_BYTES = 10 * 1024 * 1024
MAX_PAGE_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5


class FetchError(Exception):
    """The resource could not be fetched; the message is kept on the Source for staff."""


class TransientFetchError(FetchError):
    """Worth retrying later: timeouts, connection errors, 429 and 5xx."""


@dataclass
class Response:
    url: str
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def user_agent() -> str:
    """Who we are, with the site's address when it is configured, so publishers can reach us."""
    site = getattr(settings, "SITE_URL", "") or ""
    return f"{USER_AGENT[:-1]}; +{site})" if site else USER_AGENT


def _public_host(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror as exc:
        raise TransientFetchError(f"cannot resolve {host}: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not address.is_global:
            return False
    return True


def check_url(url: str, *, trusted: bool = False) -> None:
    """Raise :class:`FetchError` for URLs the worker must not read."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"only http and https URLs are fetched: {url[:200]}")
    allow_private = trusted or getattr(settings, "INGEST_ALLOW_PRIVATE_ADDRESSES", False)
    if not allow_private and not _public_host(parts.hostname):
        raise FetchError(f"refusing to fetch a private or local address: {parts.hostname}")


def get(url: str, *, trusted: bool = False, etag: str = "", last_modified: str = "",
        max_bytes: int = MAX_PAGE_BYTES, accept: str = "*/*", session: requests.Session | None = None) -> Response:
    """GET with conditional headers, checked redirects, a timeout and a size cap."""
    headers = {"User-Agent": user_agent(), "Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    http = session or requests.Session()
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        check_url(current, trusted=trusted)
        try:
            resp = http.get(current, headers=headers, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT), stream=True,
                            allow_redirects=False)
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise TransientFetchError(f"{type(exc).__name__}: {exc}"[:500]) from exc
        except requests.RequestException as exc:
            raise FetchError(f"{type(exc).__name__}: {exc}"[:500]) from exc
        with resp:
            if resp.is_redirect and resp.headers.get("Location"):
                target = urljoin(current, resp.headers["Location"])
                # A redirect keeps the trust of the URL only on the same host.
                trusted = trusted and urlsplit(target).hostname == urlsplit(current).hostname
                current = target
                continue
            if resp.status_code == 304:
                return Response(current, 304, headers=dict(resp.headers))
            if resp.status_code == 429 or resp.status_code >= 500:
                raise TransientFetchError(f"HTTP {resp.status_code} from {current[:200]}")
            if resp.status_code >= 400:
                raise FetchError(f"HTTP {resp.status_code} from {current[:200]}")
            return Response(current, resp.status_code, _read_capped(resp, max_bytes), dict(resp.headers))
    raise FetchError(f"more than {MAX_REDIRECTS} redirects from {url[:200]}")


def _read_capped(resp: requests.Response, max_bytes: int) -> bytes:
    declared = resp.headers.get("Content-Length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"body of {declared} bytes exceeds the {max_bytes}-byte limit")
    chunks, size = [], 0
    try:
        for chunk in resp.iter_content(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise FetchError(f"body exceeds the {max_bytes}-byte limit")
            chunks.append(chunk)
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise TransientFetchError(f"{type(exc).__name__} while reading: {exc}"[:500]) from exc
    return b"".join(chunks)
