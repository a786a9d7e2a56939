"""Owner self-service for credentials, as small JSON endpoints under ``/api/account/``.

Only a signed-in session reaches them (with Django's CSRF check on every POST): a feed token or an
API key must never be able to mint or revoke credentials. Secrets are returned once, at creation or
reset, and never again; listings show prefixes only.

| route | method | what |
|---|---|---|
| ``api/account/`` | GET | who am I: tier, clearance, feed token and key summary |
| ``api/account/feed-token`` | GET | my feed token's prefix and last use (no secret) |
| ``api/account/feed-token/reset`` | POST | a new feed token, returned once (Researcher+) |
| ``api/account/keys`` | GET / POST | my API keys / create one, returned once (Business+) |
| ``api/account/keys/<prefix>/revoke`` | POST | revoke one of my keys |
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from . import services
from .api import TCAPIView
from .authentication import QuietSessionAuthentication
from .models import APIKey, FeedToken, Scope
from .tiers import Tier

CREATE_FIELDS = {"name", "scopes", "expires", "tlp_ceiling", "allowed_networks"}
IGNORED_FIELDS = {"csrfmiddlewaretoken"}  # sent by HTML forms


class AccountSessionAuthentication(QuietSessionAuthentication):
    def authenticate_header(self, request) -> str:
        return 'Session realm="threatcluster"'


class SignedIn(BasePermission):
    def has_permission(self, request, view) -> bool:
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated(
                "Sign in first: account endpoints accept a session only, not feed tokens or API keys.")
        return True


@extend_schema(tags=["account"], responses={200: OpenApiTypes.OBJECT})
class AccountView(TCAPIView):
    """Your own account, as the site's pages use it: a signed-in session only (never a feed token or an
    API key), and every POST needs the CSRF token."""

    authentication_classes = [AccountSessionAuthentication]
    requires_sign_in = True  # read by apikeys.schema: no anonymous access whatever required_tier says

    def get_permissions(self):
        return [SignedIn(), *super().get_permissions()]


def _token_info(user) -> dict | None:
    token = FeedToken.objects.filter(user=user).first()
    if token is None:
        return None
    return {"prefix": token.prefix, "created_at": services.iso(token.created_at),
            "last_used_at": services.iso(token.last_used_at)}


def _many(data, field: str):
    """A list field from JSON (a list or a string) or from a form (repeated keys)."""
    if hasattr(data, "getlist"):
        values = data.getlist(field)
        return values if len(values) != 1 else values[0]
    return data.get(field)


class AccountOverview(AccountView):
    def get(self, request):
        user = request.user
        return Response({
            "username": user.get_username(),
            "tier": self.tier.label.lower(),
            "clearance": self.clearance.slug,
            "staff": user.is_staff,
            "feed_token": _token_info(user),
            "api_keys": {
                "allowed": self.tier >= Tier.BUSINESS,
                "active": services.active_keys(user).count(),
                "max_active": services.MAX_ACTIVE_KEYS_PER_USER,
                "scopes": Scope.values,
            },
        })


class FeedTokenView(AccountView):
    def get(self, request):
        return Response({"feed_token": _token_info(request.user)})


class FeedTokenReset(AccountView):
    required_tier = Tier.RESEARCHER

    @extend_schema(summary="Reset my feed token (returned once)", request=None, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        try:
            token, plaintext = services.reset_feed_token(request.user)
        except services.CredentialError as exc:
            raise exceptions.ValidationError({exc.field: [str(exc)]}) from exc
        return Response({"token": plaintext, "prefix": token.prefix, "created_at": services.iso(token.created_at),
                         "detail": "Store this token now: it is not shown again. The previous one no longer works."},
                        status=status.HTTP_201_CREATED)


class KeyList(AccountView):
    def check_permissions(self, request) -> None:
        super().check_permissions(request)
        if request.method == "POST" and self.tier < Tier.BUSINESS:
            raise exceptions.PermissionDenied(
                f"Creating API keys needs the Business tier or above; this account is {self.tier.label}.")

    def get(self, request):
        keys = APIKey.objects.filter(user=request.user).order_by("-created_at")
        return Response({"keys": [services.describe_key(key) for key in keys]})

    @extend_schema(summary="Create an API key (Business+; returned once)", responses={201: OpenApiTypes.OBJECT},
                   request=inline_serializer("APIKeyCreate", {
                       "name": serializers.CharField(required=False, max_length=100),
                       "scopes": serializers.ListField(child=serializers.ChoiceField(Scope.values)),
                       "expires": serializers.CharField(required=False, help_text="30d, 12h or an ISO date"),
                       "tlp_ceiling": serializers.CharField(required=False, help_text="clear, green, amber"),
                       "allowed_networks": serializers.ListField(child=serializers.CharField(), required=False),
                   }))
    def post(self, request):
        data = request.data
        if not hasattr(data, "get"):
            raise exceptions.ValidationError({"non_field_errors": ["send a JSON object"]})
        unknown = sorted(set(data) - CREATE_FIELDS - IGNORED_FIELDS)
        if unknown:
            raise exceptions.ValidationError({field: [f"unknown field; allowed: {', '.join(sorted(CREATE_FIELDS))}"]
                                              for field in unknown})
        name = data.get("name") or ""
        if not isinstance(name, str):
            raise exceptions.ValidationError({"name": ["must be a string"]})
        try:
            key, plaintext = services.create_api_key(
                request.user, scopes=services.parse_scopes(_many(data, "scopes") or []), name=name.strip(),
                expires_at=services.parse_expiry(data.get("expires")),
                tlp_ceiling=services.parse_tlp(data.get("tlp_ceiling")),
                allowed_networks=services.parse_networks(_many(data, "allowed_networks")),
            )
        except services.CredentialError as exc:
            raise exceptions.ValidationError({exc.field: [str(exc)]}) from exc
        return Response({"key": plaintext, **services.describe_key(key),
                         "detail": "Store this key now: it is not shown again."},
                        status=status.HTTP_201_CREATED)


class KeyRevoke(AccountView):
    @extend_schema(summary="Revoke one of my API keys", request=None)
    def post(self, request, prefix: str):
        key = get_object_or_404(APIKey, user=request.user, prefix=prefix)
        services.revoke_api_keys(APIKey.objects.filter(pk=key.pk))
        key.refresh_from_db()
        return Response(services.describe_key(key))
