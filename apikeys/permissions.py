"""Who may call a view: its declared tier, and for API keys, its declared scope.

Every view states ``required_tier`` (default Public), optionally ``required_scope`` (checked
against API keys) and ``api_key_only`` (the ``/api/public/v1/`` contract). Missing or wrong
credentials are a 401; valid credentials without the tier or scope are a 403 whose message says
which.
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from .clearance import tier_of
from .models import APIKey
from .tiers import Tier


class TierPermission(BasePermission):
    def has_permission(self, request, view) -> bool:
        required = Tier(getattr(view, "required_tier", Tier.PUBLIC))
        api_key = request.auth if isinstance(request.auth, APIKey) else None
        if getattr(view, "api_key_only", False) and api_key is None:
            raise exceptions.NotAuthenticated("This endpoint requires an API key in the X-API-Key header.")
        if required > Tier.PUBLIC and not request.user.is_authenticated:
            raise exceptions.NotAuthenticated(
                f"Authentication required: this endpoint needs the {required.label} tier or above."
            )
        tier = tier_of(request.user)
        if tier < required:
            raise exceptions.PermissionDenied(
                f"This endpoint needs the {required.label} tier or above; this account is {tier.label}."
            )
        scope = getattr(view, "required_scope", None)
        if api_key is not None and scope and scope not in api_key.scopes:
            raise exceptions.PermissionDenied(f"This API key lacks the scope {scope}.")
        return True
