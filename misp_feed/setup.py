"""What staff type into MISP's "Add feed" form (Sync Actions > Feeds > Add Feed), field by field.

Rendered by ``templates/misp_feed/_add_feed.html`` (the landing page includes it) and described in
the README. The rules that matter, from MISP's Feed.php (FORMATS.md 1.1, 1.5):

- the URL is the feed's base with no trailing slash: MISP appends ``/manifest.json``,
  ``/<uuid>.json`` and ``/hashes.csv`` by string concatenation (a trailing slash gives ``//``), and
  a query string would not survive that, so the token goes in a header;
- headers are one ``Name: value`` per line and MISP keeps only the text up to the next ``:`` of
  the value, so the value must contain no colon: ``Authorization: Token tcf_…`` is safe (feed
  tokens are ``tcf_`` + URL-safe base64, which has no ``:``);
- the backfill feed is the same URL with ``/days/<N>`` appended (``?days=`` would be lost).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from .feed import PUBLIC_EVENTS, TOKEN_EVENTS

TOKEN_PLACEHOLDER = "<your feed token>"  # noqa: S105 - shown to the user, not a credential


@dataclass(frozen=True)
class Field:
    label: str  # as MISP's form labels it
    value: str
    note: str = ""


@dataclass(frozen=True)
class FeedForm:
    title: str
    summary: str
    fields: list[Field]


def site_base(request=None) -> str:
    """The site's public URL without a trailing slash (SITE_URL, else the request's own)."""
    if settings.SITE_URL:
        return settings.SITE_URL.rstrip("/")
    return request.build_absolute_uri("/").rstrip("/") if request is not None else "https://<this site>"


def header_line(token: str) -> str:
    if ":" in token or "\n" in token:
        raise ValueError("a feed token never contains ':' or a newline (MISP would cut the header)")
    return f"Authorization: Token {token}"


def _common(name: str, url: str, headers: str, distribution: str, note: str) -> list[Field]:
    return [
        Field("Enabled", "checked"),
        Field("Caching enabled", "checked", "MISP then fetches hashes.csv to show feed hits on your own data."),
        Field("Lookup visible", "checked (optional)", "Lets your users see the feed in lookups."),
        Field("Name", name),
        Field("Provider", settings.ORG_NAME),
        Field("Input Source", "Network"),
        Field("URL", url, "Exactly this: no trailing slash, no query string. MISP appends /manifest.json."),
        Field("Source Format", "MISP Feed"),
        Field("Any headers to be passed with requests", headers, note),
        Field("Distribution", distribution),
        Field("Default Tag", "none (optional)", "Events already carry their tlp:* and misp-galaxy tags."),
        Field("Filter rules", "none (optional)", "e.g. allow only tag tlp:clear, or block an actor's galaxy tag."),
    ]


def add_feed_forms(request=None, token: str | None = None) -> list[FeedForm]:
    """The public feed and the token feed (with the caller's token when given), field by field."""
    base = site_base(request)
    token_header = header_line(token or TOKEN_PLACEHOLDER)
    days = settings.FEED_WINDOW_CAPS_DAYS["researcher"]
    return [
        FeedForm(
            "Public MISP feed",
            f"The latest {PUBLIC_EVENTS} TLP:CLEAR incidents with confirmed IOCs; no account needed.",
            _common(f"{settings.ORG_NAME} (public)", f"{base}/misp", "leave empty",
                    "All communities (TLP:CLEAR)", ""),
        ),
        FeedForm(
            "Token MISP feed (Researcher and above)",
            f"The latest {TOKEN_EVENTS} incidents your tier may read (TLP:GREEN for Researcher, up to "
            f"TLP:AMBER for Business and Enterprise; TLP:RED never leaves {settings.ORG_NAME}). For a one-off "
            f"backfill add a second feed with the URL {base}/api/misp/days/{days} (every incident active in "
            f"the last {days} days; your tier's maximum applies).",
            _common(f"{settings.ORG_NAME} (token)", f"{base}/api/misp", token_header, "Your organisation only",
                    "One line, exactly as shown. MISP cuts a header value at its next ':', and the token "
                    "has none. A token in the URL (?token=) would be lost when MISP appends the file name."),
        ),
    ]
