"""Operations on tiers and credentials, shared by the management commands, the account API and the admin.

Each function validates what a person or a script typed and raises :class:`CredentialError` with a
message fit to show them; the callers only translate it (CommandError, a 400, a form error).
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from .clearance import tier_of
from .models import APIKey, FeedToken, Profile, Scope
from .tiers import Tier
from .tlp import TLP

# An owner with more live keys than this is almost certainly leaking them; revoke some first.
MAX_ACTIVE_KEYS_PER_USER = 25
MAX_KEY_LIFETIME = timedelta(days=3650)
MAX_NETWORKS_PER_KEY = 50


class CredentialError(ValueError):
    """A request about tiers or credentials that cannot be honoured; the message says why."""

    def __init__(self, message: str, *, field: str = "non_field_errors") -> None:
        super().__init__(message)
        self.field = field


#
# Parsing what people type
#
def find_user(username: str, *, create: bool = False):
    """The user called ``username`` (created without a usable password when ``create``)."""
    model = get_user_model()
    user = model.objects.filter(**{model.USERNAME_FIELD: username}).first()
    if user is None and create:
        user = model.objects.create_user(username)
    if user is None:
        raise CredentialError(f"unknown user {username!r}", field="user")
    return user


def parse_tier(name: str) -> Tier:
    try:
        return Tier.from_name(name)
    except ValueError as exc:
        raise CredentialError(str(exc), field="tier") from exc


def parse_scopes(values: list[str] | str) -> list[str]:
    """Scopes from a list or a comma/space separated string; at least one, all known."""
    if not isinstance(values, str | list | tuple):
        raise CredentialError("scopes: a list of strings or a comma separated string", field="scopes")
    items = values.replace(",", " ").split() if isinstance(values, str) else list(values)
    if not all(isinstance(item, str) for item in items):
        raise CredentialError("scopes must be strings", field="scopes")
    scopes = sorted({item.strip() for item in items if item.strip()})
    allowed = ", ".join(Scope.values)
    if not scopes:
        raise CredentialError(f"give at least one scope: {allowed}", field="scopes")
    unknown = [s for s in scopes if s not in Scope.values]
    if unknown:
        raise CredentialError(f"unknown scope(s) {', '.join(unknown)}; use {allowed}", field="scopes")
    return scopes


def _expiry_moment(text: str, now: datetime) -> datetime | None:
    if text[-1:] in ("d", "h") and text[:-1].isascii() and text[:-1].isdigit():
        amount = int(text[:-1])
        return now + (timedelta(days=amount) if text[-1] == "d" else timedelta(hours=amount))
    when = parse_datetime(text)
    if when is None and (day := parse_date(text)) is not None:
        when = datetime(day.year, day.month, day.day)
    if when is not None and timezone.is_naive(when):
        when = timezone.make_aware(when, UTC)
    return when


def parse_expiry(text: str | None, *, now: datetime | None = None) -> datetime | None:
    """``30d``, ``12h``, an ISO 8601 date or date-time (UTC when naive), or empty for no expiry."""
    if text is None or not str(text).strip():
        return None
    if not isinstance(text, str):
        raise CredentialError("expires: a string such as 30d, 12h or 2026-12-31", field="expires")
    text = text.strip()
    now = now or timezone.now()
    try:
        when = _expiry_moment(text, now)
    except (ValueError, OverflowError):  # "0000-00-00", "99999999999d": well formed, not a moment
        when = None
    if when is None:
        raise CredentialError(f"expiry {text!r}: use e.g. 30d, 12h, 2026-12-31 or 2026-12-31T23:59:59Z",
                              field="expires")
    if when <= now:
        raise CredentialError(f"expiry {text!r} is in the past", field="expires")
    if when - now > MAX_KEY_LIFETIME:
        raise CredentialError(f"expiry {text!r} is more than {MAX_KEY_LIFETIME.days} days away", field="expires")
    return when


def parse_tlp(text: str | int | None) -> TLP | None:
    """A TLP ceiling: a slug (``green``, ``amber+strict``), its number, or empty for none."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise CredentialError(f"TLP ceiling: use one of {', '.join(t.slug for t in TLP)}", field="tlp_ceiling")
    try:
        return TLP(int(text)) if isinstance(text, int) or str(text).isdigit() else TLP.from_slug(str(text))
    except ValueError as exc:
        raise CredentialError(f"TLP ceiling {text!r}: use one of {', '.join(t.slug for t in TLP)}",
                              field="tlp_ceiling") from exc


def parse_networks(values: list[str] | str | None) -> list[str]:
    """Client networks in CIDR notation (a bare address is its own /32 or /128)."""
    if values is None:
        return []
    if not isinstance(values, str | list | tuple) or not all(isinstance(v, str) for v in values):
        raise CredentialError("allowed_networks: a list of CIDR strings", field="allowed_networks")
    items = values.replace(",", " ").split() if isinstance(values, str) else list(values)
    if len(items) > MAX_NETWORKS_PER_KEY:
        raise CredentialError(f"at most {MAX_NETWORKS_PER_KEY} networks per key", field="allowed_networks")
    networks = []
    for item in items:
        try:
            networks.append(str(ipaddress.ip_network(str(item).strip(), strict=False)))
        except ValueError as exc:
            raise CredentialError(f"{item!r} is not a network in CIDR notation (e.g. 192.0.2.0/24)",
                                  field="allowed_networks") from exc
    return sorted(set(networks))


#
# Operations
#
def set_tier(user, tier: Tier) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    if profile.tier != tier:
        profile.tier = tier
        profile.save(update_fields=["tier", "updated_at"])
    return profile


def reset_feed_token(user) -> tuple[FeedToken, str]:
    """Issue ``user`` a new feed token (the old one stops working at once); returns the plaintext once."""
    if not user.is_active:
        raise CredentialError(f"user {user} is inactive", field="user")
    return FeedToken.issue(user)


def create_api_key(user, *, scopes: list[str], name: str = "", expires_at: datetime | None = None,
                   tlp_ceiling: int | None = None, allowed_networks: list[str] | None = None) -> tuple[APIKey, str]:
    """A new API key for ``user`` (Business tier or above); returns it with the plaintext, shown once."""
    check_key_owner(user)
    if len(name) > APIKey._meta.get_field("name").max_length:
        raise CredentialError("name: at most 100 characters", field="name")
    scopes = parse_scopes(scopes)
    if expires_at is not None and expires_at <= timezone.now():
        raise CredentialError("expiry is in the past", field="expires")
    with transaction.atomic():
        Profile.objects.select_for_update().filter(user=user).first()  # one creation at a time per user
        live = active_keys(user).count()
        if live >= MAX_ACTIVE_KEYS_PER_USER:
            raise CredentialError(f"{user} already has {live} active API keys; revoke some first")
        return APIKey.issue(user, scopes=scopes, name=name, expires_at=expires_at, tlp_ceiling=tlp_ceiling,
                            allowed_networks=parse_networks(allowed_networks))


def check_key_owner(user) -> None:
    """API keys are for active users of the Business tier or above (staff count as Enterprise)."""
    tier = tier_of(user)
    if tier < Tier.BUSINESS:
        raise CredentialError(f"API keys need the Business tier or above; {user} is {tier.label}", field="user")
    if not user.is_active:
        raise CredentialError(f"user {user} is inactive", field="user")


def active_keys(user):
    now = timezone.now()
    return APIKey.objects.filter(user=user, revoked_at__isnull=True).exclude(expires_at__lte=now)


def revoke_api_keys(queryset) -> int:
    """Revoke the keys not yet revoked; they fail authentication from the next request on."""
    return queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def iso(value: datetime | None) -> str | None:
    """UTC ISO 8601 with ``Z``, or None."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def describe_key(key: APIKey) -> dict:
    """What an owner may see of a key: never the secret nor its digest."""
    state = "revoked" if key.is_revoked else "expired" if key.is_expired else "active"
    return {
        "prefix": key.prefix,
        "name": key.name,
        "scopes": list(key.scopes),
        "state": state,
        "tlp_ceiling": TLP(key.tlp_ceiling).slug if key.tlp_ceiling is not None else None,
        "allowed_networks": list(key.allowed_networks),
        "created_at": iso(key.created_at),
        "expires_at": iso(key.expires_at),
        "revoked_at": iso(key.revoked_at),
        "last_used_at": iso(key.last_used_at),
    }
