"""Access tiers, ordered Public < Researcher < Business < Enterprise."""

from __future__ import annotations

from django.db import models

from .tlp import TLP


class Tier(models.IntegerChoices):
    PUBLIC = 0, "Public"
    RESEARCHER = 10, "Researcher"
    BUSINESS = 20, "Business"
    ENTERPRISE = 30, "Enterprise"

    @classmethod
    def from_name(cls, name: str) -> Tier:
        for tier in cls:
            if tier.label.lower() == name.strip().lower():
                return tier
        raise ValueError(f"unknown tier {name!r}; use one of: {', '.join(t.label.lower() for t in cls)}")

    @property
    def tlp_clearance(self) -> TLP:
        """The most restrictive TLP this tier may read (staff read everything, see ``clearance_for``)."""
        return TIER_CLEARANCE[self]


TIER_CLEARANCE = {
    Tier.PUBLIC: TLP.CLEAR,
    Tier.RESEARCHER: TLP.GREEN,
    Tier.BUSINESS: TLP.AMBER,
    Tier.ENTERPRISE: TLP.AMBER,
}
