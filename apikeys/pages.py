"""The signed-in user's account page: tier, feed token (reset), API keys (create, revoke), sign-in.

HTML forms with Django's CSRF protection, calling the same ``apikeys.services`` functions as the
account API and the management commands. A new secret is rendered in the response to the POST that
made it (never stored, never in a URL, never shown again); the page is sent ``no-store``.
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET, require_POST

from . import services
from .clearance import clearance_for, tier_of
from .models import APIKey, FeedToken, Scope
from .sign_in_limits import limit_sign_in
from .tiers import Tier


@method_decorator(limit_sign_in, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    next_page = "/iocs"


def _render(request: HttpRequest, *, status: int = 200, **extra) -> HttpResponse:
    user = request.user
    tier = tier_of(user)
    token = FeedToken.objects.filter(user=user).first()
    keys = APIKey.objects.filter(user=user).order_by("-created_at") if tier >= Tier.BUSINESS else []
    context = {
        "tier": tier, "clearance": clearance_for(user), "token": token, "can_token": tier >= Tier.RESEARCHER,
        "can_keys": tier >= Tier.BUSINESS, "keys": [services.describe_key(k) for k in keys],
        "scopes": Scope.choices, "max_keys": services.MAX_ACTIVE_KEYS_PER_USER, **extra,
    }
    response = render(request, "apikeys/account.html", context, status=status)
    add_never_cache_headers(response)  # secrets may be on it
    return response


@login_required
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    return _render(request)


@login_required
@require_POST
def reset_token(request: HttpRequest) -> HttpResponse:
    if tier_of(request.user) < Tier.RESEARCHER:
        return _render(request, status=403, error="Feed tokens are for the Researcher tier and above.")
    try:
        _, plaintext = services.reset_feed_token(request.user)
    except services.CredentialError as exc:
        return _render(request, status=400, error=str(exc))
    return _render(request, new_token=plaintext)


@login_required
@require_POST
def create_key(request: HttpRequest) -> HttpResponse:
    if tier_of(request.user) < Tier.BUSINESS:
        return _render(request, status=403, error="API keys need the Business tier or above.")
    data = request.POST
    try:
        key, plaintext = services.create_api_key(
            request.user, scopes=services.parse_scopes(data.getlist("scopes")), name=data.get("name", "").strip(),
            expires_at=services.parse_expiry(data.get("expires") or None),
            tlp_ceiling=services.parse_tlp(data.get("tlp_ceiling") or None),
            allowed_networks=services.parse_networks(data.get("allowed_networks") or None),
        )
    except services.CredentialError as exc:
        return _render(request, status=400, error=str(exc))
    return _render(request, new_key=plaintext, new_key_prefix=key.prefix)


@login_required
@require_POST
def revoke_key(request: HttpRequest, prefix: str) -> HttpResponse:
    key = get_object_or_404(APIKey, user=request.user, prefix=prefix)
    services.revoke_api_keys(APIKey.objects.filter(pk=key.pk))
    return redirect("/account/")
