"""Traffic Light Protocol 2.0 levels and the clearance they imply.

Stored as small integers ordered from least to most restrictive, so that "may this caller see it"
is one SQL comparison: ``tlp <= clearance``.
"""

from __future__ import annotations

from django.db import models


class TLP(models.IntegerChoices):
    CLEAR = 0, "TLP:CLEAR"
    GREEN = 1, "TLP:GREEN"
    AMBER = 2, "TLP:AMBER"
    AMBER_STRICT = 3, "TLP:AMBER+STRICT"
    RED = 4, "TLP:RED"

    @property
    def slug(self) -> str:
        """Lower-case name as written in MISP tags and STIX TLP 2.0: ``clear`` … ``amber+strict``."""
        return self.label.removeprefix("TLP:").lower()

    @classmethod
    def from_slug(cls, slug: str) -> TLP:
        """Parse ``clear``, ``TLP:AMBER+STRICT``, ``white`` (TLP 1.0 alias of clear) …; ValueError otherwise."""
        key = slug.strip().lower().removeprefix("tlp:")
        if key == "white":
            key = "clear"
        for level in cls:
            if level.slug == key:
                return level
        raise ValueError(f"unknown TLP level {slug!r}; use one of: {', '.join(t.slug for t in cls)}")


def default_tlp() -> int:
    """The TLP of data whose source says nothing, from ``settings.TLP_DEFAULT``."""
    from django.conf import settings

    return int(TLP.from_slug(settings.TLP_DEFAULT))
