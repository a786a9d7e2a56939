"""Sign-in attempts are rate limited per client address, on ``/login`` and the admin's login.

Without a limit, a password can be guessed as fast as the server answers. Each POST to a sign-in
form counts (django-ratelimit's ``get_usage``, in the shared cache under the group ``tc.login``)
against ``LOGIN_RATE_LIMIT`` (default 10 a minute) for the client's address, as the API's rate
limits see it (a /64 for IPv6, ``TRUSTED_PROXY_COUNT`` hops of X-Forwarded-For); past it, the form
is shown again with a 429, ``Retry-After`` and no password checked. GETs are not counted. Per
address, not per account: a per-account limit would let anyone lock staff out by guessing wrong.
Like every rate limit here it fails open: with Redis down, sign-in works un-metered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

from .throttling import bucket_of

logger = logging.getLogger(__name__)
GROUP = "tc.login"


def _client(group: str, request: HttpRequest) -> str:
    return bucket_of(request)


def _rate(group: str, request: HttpRequest) -> str:
    return settings.LOGIN_RATE_LIMIT


def too_many_attempts(request: HttpRequest, seconds: int) -> HttpResponse:
    context = {"throttled": True, "retry_after": seconds, "next": request.GET.get("next", "")}
    response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response


def limit_sign_in(view: Callable) -> Callable:
    """Wrap a sign-in view: a POST past the limit gets :func:`too_many_attempts` instead."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            usage = get_usage(request, group=GROUP, key=_client, rate=_rate, method="POST", increment=True)
        except Exception as exc:  # the cache is down or misbehaving: fail open, never a 500
            logger.warning("sign-in rate limit skipped: %s", exc)
            usage = None
        if usage is not None and usage["should_limit"]:
            return too_many_attempts(request, max(1, int(usage["time_left"])))
        return view(request, *args, **kwargs)

    return wrapped
