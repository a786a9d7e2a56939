"""What every feed renderer shares: the DRF-facing attributes, the feed's metadata, text helpers.

A renderer is our own small class (DESIGN.md): DRF negotiates on its ``media_type``/``format`` but
cannot stream (``BaseRenderer.render`` returns the whole body), so the view calls :meth:`stream`,
a generator of text pieces over rows that are already filtered. A renderer never queries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rest_framework.renderers import BaseRenderer

from apikeys.tlp import TLP

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class FeedMeta:
    """Provenance of one response: shown in ``#`` lines (txt), fields (json), comments (zones, rules)."""

    title: str
    url: str
    generated_at: datetime
    additions: int
    removals: int
    license: str
    publisher: str
    parameters: dict = field(default_factory=dict)
    since: datetime | None = None
    removed_url: str | None = None
    clearance: int = TLP.CLEAR
    version: str = ""  # the generation's fingerprint: deterministic ids (bundle, zone serial)


@dataclass(frozen=True)
class Prerendered:
    """Rows a renderer gets already rendered: ``text``, body pieces made elsewhere for its format (the
    database, :mod:`..csvsql`), then ``rows`` it still renders itself (a delta's removals)."""

    text: Iterable[str]
    rows: Iterable[dict] = ()


class FeedRenderer(BaseRenderer):
    media_type = "text/plain"
    format = "txt"
    charset = "utf-8"
    extension = "txt"
    fields: tuple[str, ...] = ("type", "value")
    types: tuple[str, ...] | None = None  # IOC types the format can express; None = all
    defang_ok = True  # False where consumers need live values (DNS zones, IDS rules, STIX patterns)
    citations = False  # rows need ``sources``
    actions = False  # deltas carry removals in the body (an ``action`` per row)
    hostnames_only = False  # a domain list: names whose first label has "_" are left out (in SQL)
    text_times = False  # timestamps wanted as text (``<field>_iso``, formatted by the database)

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8"

    def rows_in_body(self, meta: FeedMeta) -> int:
        return meta.additions + meta.removals if self.actions else meta.additions

    def stream(self, rows: Iterable[dict], meta: FeedMeta) -> Iterator[str]:
        raise NotImplementedError

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        """Only error payloads reach DRF's render path (bodies stream); they are JSON."""
        return json.dumps(data).encode()


def iso(moment: datetime | None) -> str:
    """UTC, seconds, ``Z``: ``2024-05-01T10:00:00Z`` (empty for none). Called twice per row: no strftime."""
    if moment is None:
        return ""
    if moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def when(row: dict, name: str) -> str:
    """A row's timestamp as ``iso`` text, whether the database formatted it or not (removals)."""
    text = row.get(f"{name}_iso")
    return text if text is not None else iso(row.get(name))


def one_line(text: object) -> str:
    """Control characters (CR, LF, tabs, NUL…) percent-encoded: one value can never become two lines."""
    text = str(text)
    if text.isprintable():  # the common case, checked in C
        return text
    return _CONTROL.sub(lambda m: f"%{ord(m.group()):02X}", text)


_TLP_SLUGS = {int(level): level.slug for level in TLP}
TLP_SLUGS = tuple(_TLP_SLUGS[level] for level in range(len(_TLP_SLUGS)))  # by level: 0 = clear … 4 = red


def tlp_slug(level: int | None) -> str:
    return _TLP_SLUGS[level] if level is not None else ""


def header_lines(meta: FeedMeta, rows: int, prefix: str = "#") -> Iterator[str]:
    """The provenance block of the line formats (comments on top, nothing else)."""
    yield f"{prefix} {meta.publisher} {meta.title}\n"
    yield f"{prefix} Generated: {iso(meta.generated_at)}\n"
    yield f"{prefix} Rows: {rows}\n"
    if meta.parameters:
        params = "; ".join(f"{k}={','.join(v) if isinstance(v, list) else v}" for k, v in meta.parameters.items())
        yield f"{prefix} Parameters: {one_line(params)}\n"
    yield f"{prefix} License: {one_line(meta.license)}\n"
    yield f"{prefix} Source: {one_line(meta.url)}\n"
    if meta.since is not None:
        removed = one_line(meta.removed_url or "")
        yield f"{prefix} Changes since {iso(meta.since)}: additions only; removals: {removed}\n"


# A normalised domain as DNS tools take it (FORMATS.md 5: lower-case ASCII/punycode, no trailing dot).
DNS_NAME = re.compile(r"(?=.{4,253}$)(?:(?!-)[a-z0-9_-]{1,63}(?<!-)\.)+(?!-)[a-z0-9-]{2,63}(?<!-)")


def is_dns_name(value: str, max_length: int = 253) -> bool:
    """Defence in depth: values are normalised on save, but a zone or rule file must never receive
    anything else (a stray ``;`` or newline would be a comment or a new directive)."""
    return len(value) <= max_length and DNS_NAME.fullmatch(value) is not None
