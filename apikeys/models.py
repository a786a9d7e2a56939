"""Users' tiers, feed tokens and API keys.

Every user has a :class:`Profile` with a tier; a user may hold one feed token (Researcher+) and
several API keys with scopes (Business+). Credentials are stored hashed (see ``apikeys.secrets``).
"""

from __future__ import annotations

import ipaddress
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from . import secrets
from .tiers import Tier
from .tlp import TLP


class Scope(models.TextChoices):
    IOCS_READ = "iocs:read", "Read IOC feeds and exports"
    THREATS_READ = "threats:read", "Read threats and their exports"
    MISP_READ = "misp:read", "Read MISP feeds"


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.PUBLIC, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user} ({Tier(self.tier).label})"


class FeedToken(models.Model):
    """The one feed token of a user, for ``?token=`` and ``Authorization: Token …``."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_token")
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def issue(cls, user) -> tuple[FeedToken, str]:
        """Create or replace ``user``'s token; the old one stops working at once. Returns the plaintext."""
        for _ in range(5):
            new = secrets.generate(secrets.FEED_TOKEN_PREFIX)
            try:
                with transaction.atomic():
                    token, _created = cls.objects.update_or_create(
                        user=user,
                        defaults={"prefix": new.prefix, "digest": new.digest, "created_at": timezone.now(),
                                  "last_used_at": None},
                    )
                return token, new.plaintext
            except IntegrityError:  # prefix collision: draw again
                continue
        raise RuntimeError("could not draw a unique feed token prefix")

    @classmethod
    def verify(cls, plaintext: str) -> FeedToken | None:
        if not plaintext.startswith(secrets.FEED_TOKEN_PREFIX):
            return None
        prefix = secrets.prefix_of(plaintext, secrets.FEED_TOKEN_PREFIX)
        token = cls.objects.select_related("user", "user__profile").filter(prefix=prefix).first()
        if token is None or not secrets.matches(plaintext, token.digest):
            return None
        return token


class APIKey(models.Model):
    """A machine credential sent as ``X-API-Key``, narrower than its owner where configured."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True, help_text="What the key is for, e.g. 'SIEM prod'.")
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    scopes = models.JSONField(default=list, blank=True, help_text="Any of iocs:read, threats:read, misp:read.")
    tlp_ceiling = models.PositiveSmallIntegerField(
        choices=TLP.choices, null=True, blank=True,
        help_text="Most restrictive TLP this key may read; empty: as its owner's tier allows.",
    )
    allowed_networks = models.JSONField(
        default=list, blank=True, help_text="Client networks (CIDR) the key may be used from; empty: any."
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.prefix}… {self.name}".strip()

    @classmethod
    def issue(cls, user, *, scopes: list[str], name: str = "", expires_at: datetime | None = None,
              tlp_ceiling: int | None = None, allowed_networks: list[str] | None = None) -> tuple[APIKey, str]:
        """Create a key and return it with its plaintext, which is never stored and shown once."""
        unknown = set(scopes) - set(Scope.values)
        if unknown:
            raise ValueError(f"unknown scope(s) {sorted(unknown)}; use {', '.join(Scope.values)}")
        networks = [str(ipaddress.ip_network(n, strict=False)) for n in (allowed_networks or [])]
        for _ in range(5):
            new = secrets.generate(secrets.API_KEY_PREFIX)
            try:
                with transaction.atomic():
                    key = cls.objects.create(
                        user=user, name=name, prefix=new.prefix, digest=new.digest, scopes=sorted(set(scopes)),
                        expires_at=expires_at, tlp_ceiling=tlp_ceiling, allowed_networks=networks,
                    )
                return key, new.plaintext
            except IntegrityError:
                continue
        raise RuntimeError("could not draw a unique API key prefix")

    @classmethod
    def find(cls, plaintext: str) -> APIKey | None:
        """The key this plaintext belongs to (revoked or expired included), or None."""
        if not plaintext.startswith(secrets.API_KEY_PREFIX):
            return None
        prefix = secrets.prefix_of(plaintext, secrets.API_KEY_PREFIX)
        key = cls.objects.select_related("user", "user__profile").filter(prefix=prefix).first()
        if key is None or not secrets.matches(plaintext, key.digest):
            return None
        return key

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return not (self.is_revoked or self.is_expired)

    def allows_client(self, ip: str | None) -> bool:
        if not self.allowed_networks:
            return True
        if not ip:
            return False
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(addr in ipaddress.ip_network(net) for net in self.allowed_networks)

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])
