"""The client's IP address, honouring only as many X-Forwarded-For hops as we have proxies."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or with ``TRUSTED_PROXY_COUNT`` = n, the n-th address from the right of X-Forwarded-For.

    Taking the left-most entry would let any client choose its own rate-limit bucket and pass a
    key's network allow-list, so only the hops our own proxies appended are trusted.
    """
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    remote = request.META.get("REMOTE_ADDR", "")
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]
