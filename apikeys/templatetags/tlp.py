"""Template filters for TLP badges: ``{{ threat.tlp|tlp_label }}`` and ``{{ threat.tlp|tlp_class }}``."""

from __future__ import annotations

from django import template

from apikeys.tlp import TLP

register = template.Library()


def _level(value) -> TLP | None:
    try:
        return TLP(int(value))
    except (TypeError, ValueError):
        return None


@register.filter
def tlp_label(value) -> str:
    level = _level(value)
    return level.label if level is not None else "TLP:?"


@register.filter
def tlp_class(value) -> str:
    """A CSS class name (``amber+strict`` has a character class names cannot hold)."""
    level = _level(value)
    return f"tlp-{level.slug.replace('+', '-')}" if level is not None else "tlp-unknown"
