"""``{% misp_add_feed_forms %}``: MISP's "Add feed" settings, field by field, for any page.

A template tag, so that pages of other apps (the ``/iocs`` landing page) show the table without
importing ``misp_feed`` (DESIGN.md: ``iocs`` does not depend on the MISP app).
"""

from __future__ import annotations

from django import template

from misp_feed.setup import add_feed_forms

register = template.Library()


@register.inclusion_tag("misp_feed/_add_feed.html", takes_context=True)
def misp_add_feed_forms(context) -> dict:
    return {"forms": add_feed_forms(context.get("request"))}
