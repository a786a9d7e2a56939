"""Reduce documents to the plain text the extractor reads: web pages, feed summaries, local files.

HTML goes through trafilatura (main content only, tables kept: IOC appendices are often tables);
PDF through pypdf (pure Python). A page whose main text cannot be found yields ``""`` so that the
caller falls back to the feed's summary.
"""

from __future__ import annotations

import hashlib
import html
import re
from io import BytesIO
from pathlib import Path

MAX_TEXT_CHARS = 2_000_000
TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text", ".csv", ".log"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
PDF_SUFFIXES = frozenset({".pdf"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES
_TAGS = re.compile(r"<[^>]+>")
_BLANKS = re.compile(r"[ \t\r\f\v]+")


def clean(text: str) -> str:
    """Drop NUL characters (PostgreSQL text cannot hold them) and cap the length."""
    return text.replace("\x00", "")[:MAX_TEXT_CHARS]


def content_hash(text: str) -> str:
    """SHA-256 of the whitespace-normalised text: the same report under two URLs hashes the same."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def decode(body: bytes, declared: str | None = None) -> str:
    for encoding in filter(None, (declared, "utf-8")):
        try:
            return clean(body.decode(encoding))
        except (LookupError, UnicodeDecodeError):
            continue
    return clean(body.decode("latin-1"))


def html_to_text(markup: str | bytes, *, url: str | None = None) -> str:
    """The main text of an HTML page (trafilatura), or ``""`` when none is found."""
    import trafilatura

    if isinstance(markup, bytes):
        markup = decode(markup)
    if not markup.strip():
        return ""
    text = trafilatura.extract(markup, url=url, include_tables=True, include_comments=False,
                               include_links=False, favor_recall=True, deduplicate=False)
    return clean(text or "")


def fragment_to_text(fragment: str) -> str:
    """A feed summary (an HTML fragment) as text: tags dropped, entities decoded."""
    text = html.unescape(_TAGS.sub(" ", fragment or ""))
    return clean("\n".join(_BLANKS.sub(" ", line).strip() for line in text.splitlines() if line.strip()))


def pdf_to_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(BytesIO(data))
        return clean("\n".join(page.extract_text() or "" for page in reader.pages))
    except (PdfReadError, ValueError, KeyError) as exc:
        raise ValueError(f"unreadable PDF: {exc}") from exc


def file_to_text(path: Path) -> str:
    """Text of a local .txt/.md/.html/.pdf file; ValueError for other kinds."""
    suffix = path.suffix.lower()
    data = path.read_bytes()
    if suffix in PDF_SUFFIXES:
        return pdf_to_text(data)
    if suffix in HTML_SUFFIXES:
        return html_to_text(data) or fragment_to_text(decode(data))
    if suffix in TEXT_SUFFIXES:
        return decode(data)
    raise ValueError(f"unsupported file type {suffix or '(none)'}; use one of {', '.join(sorted(SUPPORTED_SUFFIXES))}")


def title_of(text: str, fallback: str) -> str:
    """A title for a local document: its first heading or non-empty line, else ``fallback``."""
    for line in text.splitlines()[:20]:
        line = line.strip().lstrip("#=").strip()
        if 8 <= len(line) <= 300:
            return line
    return fallback
