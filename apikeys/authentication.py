"""DRF authentication for feed tokens and API keys.

- Feed token (Researcher+): ``?token=…``, ``Authorization: Token …`` or HTTP Basic with the token
  as password (MISP feed settings and TAXII clients send headers, not query strings).
- API key (Business+): ``X-API-Key: tc_…``.

A credential that is present but wrong, revoked or expired is a 401 whose message says which; no
credential at all leaves the request anonymous (the permission classes decide). ``last_used_at``
is written at most once a minute per credential, not on every request.
"""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.request import Request

from .models import APIKey, FeedToken
from .network import client_ip

LAST_USED_RESOLUTION = timedelta(minutes=1)


def _touch(model, obj) -> None:
    """Record use at most once per LAST_USED_RESOLUTION, with a conditional UPDATE (no read-modify-write)."""
    now = timezone.now()
    if obj.last_used_at is not None and now - obj.last_used_at < LAST_USED_RESOLUTION:
        return
    model.objects.filter(pk=obj.pk).exclude(last_used_at__gte=now - LAST_USED_RESOLUTION).update(last_used_at=now)


def _authorization(request: Request) -> tuple[str, str]:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    return scheme.lower(), value.strip()


class APIKeyAuthentication(BaseAuthentication):
    header = "HTTP_X_API_KEY"

    def authenticate(self, request: Request):
        plaintext = request.META.get(self.header, "").strip()
        if not plaintext:
            return None
        key = APIKey.find(plaintext)
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid API key.")
        if key.is_revoked:
            raise exceptions.AuthenticationFailed("API key revoked.")
        if key.is_expired:
            raise exceptions.AuthenticationFailed("API key expired.")
        if not key.user.is_active:
            raise exceptions.AuthenticationFailed("API key owner is inactive.")
        if not key.allows_client(client_ip(request)):
            raise exceptions.PermissionDenied("API key not allowed from this client network.")
        _touch(APIKey, key)
        return key.user, key

    def authenticate_header(self, request: Request) -> str:
        return 'X-API-Key realm="threatcluster"'


class FeedTokenAuthentication(BaseAuthentication):
    """``?token=``, ``Authorization: Token …`` or ``Authorization: Basic`` with the token as password."""

    def authenticate(self, request: Request):
        plaintext = self._token(request)
        if plaintext is None:
            return None
        token = FeedToken.verify(plaintext)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid feed token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("Feed token owner is inactive.")
        _touch(FeedToken, token)
        return token.user, token

    @staticmethod
    def _token(request: Request) -> str | None:
        scheme, value = _authorization(request)
        if scheme in ("token", "bearer") and value:
            return value
        if scheme == "basic" and value:
            try:
                decoded = base64.b64decode(value, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError) as exc:
                raise exceptions.AuthenticationFailed("Malformed Basic credentials.") from exc
            _user, sep, password = decoded.partition(":")
            if not sep or not password:
                raise exceptions.AuthenticationFailed("Malformed Basic credentials.")
            return password
        query_token = request.query_params.get("token")
        if query_token is not None:
            return query_token.strip()
        return None

    def authenticate_header(self, request: Request) -> str:
        return 'Token realm="threatcluster"'


class QuietSessionAuthentication(SessionAuthentication):
    """Session auth that names a scheme, so a missing login is a 401 with WWW-Authenticate, not a 403."""

    def authenticate(self, request: Request):
        """No session cookie, no session: skip loading Django's lazy user (most API calls carry none)."""
        if settings.SESSION_COOKIE_NAME not in request._request.COOKIES:
            return None
        return super().authenticate(request)

    def authenticate_header(self, request: Request) -> str:
        return 'Token realm="threatcluster"'


class BasicFeedTokenAuthentication(FeedTokenAuthentication):
    """The feed token as a TAXII client sends it: HTTP Basic, any user name, the token as password.

    The same credential checks as :class:`FeedTokenAuthentication`; only the challenge differs, so a
    401 tells TAXII clients (taxii2-client, OpenCTI, Splunk) to answer with Basic credentials.
    """

    def authenticate_header(self, request: Request) -> str:
        return 'Basic realm="threatcluster"'
