"""What a caller may read: their tier and their TLP clearance.

One place answers it, so every query function filters the same way (``tlp <= clearance``).
"""

from __future__ import annotations

from .tiers import Tier
from .tlp import TLP


def tier_of(user) -> Tier:
    """The user's tier; anonymous users are Public, staff count as Enterprise."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Tier.PUBLIC
    if user.is_staff:
        return Tier.ENTERPRISE
    profile = getattr(user, "profile", None)
    return Tier(profile.tier) if profile is not None else Tier.PUBLIC


def clearance_for(user, api_key=None) -> TLP:
    """The most restrictive TLP the caller may read: staff everything, others by tier, keys narrower."""
    if user is not None and getattr(user, "is_authenticated", False) and user.is_staff and api_key is None:
        return TLP.RED
    clearance = tier_of(user).tlp_clearance
    if api_key is not None and api_key.tlp_ceiling is not None:
        clearance = min(clearance, TLP(api_key.tlp_ceiling))
    return TLP(clearance)
