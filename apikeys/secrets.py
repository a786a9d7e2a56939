"""Generation and verification of API keys and feed tokens.

Only a short prefix is stored in clear (to find the row and to show the owner which key is which);
the rest is kept as an HMAC-SHA256 digest keyed with ``settings.APIKEY_PEPPER`` (healthchecks and
NetBox v2 tokens do the same). A stolen database therefore yields no usable credential, and
verification is a constant-time comparison.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings

API_KEY_PREFIX = "tc_"
FEED_TOKEN_PREFIX = "tcf_"  # noqa: S105 - a marker, not a secret
LOOKUP_CHARS = 8  # characters after the marker kept in clear for lookup


@dataclass(frozen=True)
class NewSecret:
    """A freshly generated credential: ``plaintext`` is shown once and never stored."""

    plaintext: str
    prefix: str
    digest: str


def digest(plaintext: str) -> str:
    return hmac.new(settings.APIKEY_PEPPER.encode(), plaintext.encode(), hashlib.sha256).hexdigest()


def generate(marker: str) -> NewSecret:
    """A new credential ``<marker><40 url-safe characters>``; its prefix is marker + 8 characters."""
    body = secrets.token_urlsafe(30)  # 240 bits -> 40 characters
    plaintext = marker + body
    return NewSecret(plaintext=plaintext, prefix=prefix_of(plaintext, marker), digest=digest(plaintext))


def prefix_of(plaintext: str, marker: str) -> str:
    return plaintext[: len(marker) + LOOKUP_CHARS]


def matches(plaintext: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(plaintext), stored_digest)
