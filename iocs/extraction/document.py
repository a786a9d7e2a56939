"""The state of one document during extraction: where each position sits, and the merge of
occurrences into one :class:`ExtractedIOC` per (type, value)."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from iocs.normalize import (
    MAX_VALUE_LENGTH,
    InvalidIOC,
    normalize,
    normalize_domain,
    normalize_email,
    normalize_ipv4,
    normalize_ipv6,
    normalize_url,
)

from . import patterns
from .context import keywords, roles_in, sentence_bounds, tidy
from .refang import Refanged
from .structure import HEADING, NETWORK_SECTION, PROSE, TABLE, Layout, Section
from .types import NETWORK_TYPES, ExtractedIOC

_RANK = {"code": 3, "table": 3, "list": 2, "heading": 1, PROSE: 0}
_LEAD = patterns.LINE_LEAD.fullmatch
MAX_MERGED = 25  # occurrences of one value whose evidence is merged
_NONE: frozenset[str] = frozenset()
_HASHES = frozenset({"md5", "sha1", "sha256"})
_ROLE_LABEL_END = re.compile(r"[:=]\s*[\"'(]?\s*$")  # "Password: ", "thumbprint = "
_HASH_ROLE_HEADING = re.compile(
    r"(?i)\b(?:(?P<certificate>thumbprints?|certificates?|fingerprints?|x\.?509)|"
    r"(?P<other_hash>keys?|rc4|aes|xor|salt|iv|modulus|imphash|authentihash|ssdeep|tlsh))\b(?!\.\w)"
)
_FILE_HEADING = re.compile(
    r"(?i)\b(?:samples?|files?|hashes|payloads?|binar(?:y|ies)|executables?|droppers?|dlls?)\b|\.\w{2,4}\b")


@dataclass(slots=True)
class Hit:
    start: int
    end: int
    link: bool = False


@dataclass
class DocumentState:
    doc: Refanged
    layout: Layout
    lines: list[str]
    found: dict[tuple[str, str], ExtractedIOC] = field(default_factory=dict)
    _kw_cache: dict[tuple, frozenset[str]] = field(default_factory=dict)
    _spans: dict[tuple[str, str], tuple[int, int, int]] = field(default_factory=dict)
    _header_cells: dict[tuple[int, str], list[str]] = field(default_factory=dict)
    _norm_memo: dict[tuple[str, str], str | None] = field(default_factory=dict)

    # -- where a position sits ----------------------------------------------------------------
    def line_of(self, pos: int) -> int:
        return bisect_right(self.layout.line_starts, pos) - 1

    def section(self, line: int) -> Section | None:
        idx = self.layout.sections[line]
        return self.layout.section_list[idx] if idx >= 0 else None

    def column(self, line: int, pos: int) -> str:
        """The header of the table column ``pos`` sits in ("" when unknown)."""
        header_line = self.layout.table_headers[line]
        if header_line < 0 or header_line == line:
            return ""
        text = self.lines[line]
        sep = "|" if "|" in text else "\t"
        cell = text.count(sep, 0, pos - self.layout.line_starts[line])
        cells = self._header_cells.get((header_line, sep))
        if cells is None:
            cells = self._header_cells[(header_line, sep)] = [c.strip() for c in self.lines[header_line].split(sep)]
        return cells[cell] if cell < len(cells) else ""

    def intro(self, line: int) -> str:
        idx = self.layout.intros[line]
        return self.lines[idx] if idx >= 0 else ""

    def network_cue(self, line: int, pos: int, defanged: bool) -> bool:
        """Defanged, or under a network heading, column or intro: a file-like name is a host."""
        if defanged:
            return True
        sec = self.section(line)
        if sec is not None and sec.network:
            return True
        return bool(NETWORK_SECTION.search(self.column(line, pos) + " " + self.intro(line)))

    # -- recording ----------------------------------------------------------------------------
    def norm(self, ioc_type: str, raw: str) -> str | None:
        """:func:`norm`, memoised for the document (reports repeat their IOCs)."""
        key = (ioc_type, raw)
        try:
            return self._norm_memo[key]
        except KeyError:
            value = self._norm_memo[key] = norm(ioc_type, raw)
            return value

    def add(self, ioc_type: str, value: str, hit: Hit) -> None:
        """Record one occurrence; the context text is cut once, in :meth:`results`. Past
        MAX_MERGED occurrences of one value only the count grows (its evidence is settled)."""
        cur = self.found.get((ioc_type, value))
        if cur is not None and cur.occurrences >= MAX_MERGED:
            cur.occurrences += 1
            return
        start, end = hit.start, hit.end
        doc, lay, text = self.doc, self.layout, self.doc.text
        line = bisect_right(lay.line_starts, start) - 1
        kind = lay.kinds[line]
        line_start = lay.line_starts[line]
        line_end = line_start + len(self.lines[line])
        standalone = kind != HEADING and (start == line_start or _LEAD(text, line_start, start) is not None)
        if standalone and kind == PROSE:
            standalone = not text[end:line_end].strip(" .,;:)\t")  # prose: only if alone on its line
        if kind == PROSE and not standalone:
            s, e = sentence_bounds(text, start, end, 0, len(text))
        else:
            s, e = line_start, line_end
        column = self.column(line, start) if kind == TABLE else ""
        kw = self._keywords(line, kind, s, e, start, end, column, ioc_type in _HASHES)
        roles = self._roles(ioc_type, line, kind, line_start, start, column)
        defanged = doc.is_defanged(start, end) if doc.defang_marks else False
        key = (ioc_type, value)
        sec_idx = lay.sections[line]
        sec = lay.section_list[sec_idx] if sec_idx >= 0 else None
        if cur is None:
            self.found[key] = ExtractedIOC(
                ioc_type, value, "", start, kind, defanged, standalone, hit.link,
                sec is not None and sec.ioc, sec is not None and sec.reference, column, kw, roles,
                sec.title if sec is not None else "",
            )
            self._spans[key] = (s, e, start)
            return
        cur.occurrences += 1
        cur.defanged |= defanged
        cur.standalone |= standalone
        cur.link |= hit.link
        if sec is not None:
            cur.in_ioc_section |= sec.ioc
            cur.in_reference_section |= sec.reference
        if kw - cur.keywords:
            cur.keywords = cur.keywords | kw
        if cur.roles:  # a role only counts when every occurrence has one (else it was an IOC somewhere)
            cur.roles = cur.roles & roles
        if _RANK.get(kind, 0) > _RANK.get(cur.block, 0):
            cur.block, cur.column = kind, column
            cur.heading = sec.title if sec is not None else ""
            self._spans[key] = (s, e, start)

    def _keywords(self, line: int, kind: str, s: int, e: int, start: int, end: int, column: str,
                  wordless: bool) -> frozenset[str]:
        """Keywords of the sentence/line (the value itself left out), its column header, block
        intro and section title. A hash has no words: its line's keywords are computed once."""
        cache = self._kw_cache
        text = self.doc.text
        if e - s - (end - start) <= 4:
            own = _NONE
        elif wordless and kind != PROSE:
            own = cache.get(("line", line))
            if own is None:
                own = cache[("line", line)] = keywords(text[s:e])
        else:
            own = keywords(text[s:start] + " " + text[end:e])
        lay = self.layout
        shared_key = ("block", lay.intros[line], lay.sections[line])
        shared = cache.get(shared_key)
        if shared is None:
            sec = self.section(line)
            shared = cache[shared_key] = keywords(self.intro(line) + " " + (sec.title if sec else ""))
        if column:
            col = cache.get(("col", column))
            if col is None:
                col = cache[("col", column)] = keywords(column)
            shared = shared | col
        return own | shared if own else shared

    def _roles(self, ioc_type: str, line: int, kind: str, line_start: int, start: int, column: str) -> frozenset[str]:
        """What the table column, the label right before the value, or (for a hash) the nearest
        heading says the value is, when that is not an indicator: password, certificate, ..."""
        text = self.doc.text
        if kind == TABLE:
            label = column
            cell_start = text.rfind("|", line_start, start)  # the bar opening the value's cell
            if cell_start >= 0 and not text[cell_start + 1:start].strip():
                prev_bar = text.rfind("|", line_start, cell_start)
                prev_cell = text[prev_bar + 1:cell_start].strip() if prev_bar >= 0 else ""
                if len(prev_cell) <= 30:  # a label cell ("Thumbprint (SHA-1)"), not another value
                    label += " | " + prev_cell
        else:
            label = text[max(line_start, start - 40):start]
            label = label if _ROLE_LABEL_END.search(label) else ""
        roles = roles_in(label) if label else _NONE
        if ioc_type in _HASHES:  # a hash under a "Certificates"/"Key 1" heading is no file's hash
            heading_role = self._heading_role(self.layout.sections[line])
            if heading_role:
                roles = roles | heading_role
        return roles

    def _heading_role(self, sec_idx: int) -> frozenset[str]:
        cached = self._kw_cache.get(("role", sec_idx))
        if cached is None:
            cached = _NONE
            if sec_idx >= 0:
                title = self.layout.section_list[sec_idx].title
                m = None if _FILE_HEADING.search(title) else _HASH_ROLE_HEADING.search(title)
                cached = frozenset({m.lastgroup}) if m and m.lastgroup else _NONE
            self._kw_cache[("role", sec_idx)] = cached
        return cached

    def results(self) -> list[ExtractedIOC]:
        """One ExtractedIOC per (type, value), in order of first appearance, offsets in the original."""
        doc = self.doc
        out = sorted(self.found.values(), key=lambda x: x.offset)
        article_defangs = any(x.defanged for x in out if x.type in NETWORK_TYPES)
        for x in out:
            s, e, _ = self._spans[(x.type, x.value)]
            x.context = tidy(doc.original_slice(s, e))
            x.offset = doc.to_original(x.offset)
            x.article_defangs = article_defangs
        return out


def blank(text: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return text
    parts, last = [], 0
    for s, e in spans:
        s = max(s, last)
        if e <= s:
            continue
        parts.append(text[last:s])
        parts.append(" " * (e - s))
        last = e
    parts.append(text[last:])
    return "".join(parts)


# The text is refanged already: the per-type normalisers are called directly (the same functions
# iocs.normalize.normalize dispatches to, without its refang and checks of an arbitrary input).
_DIRECT = {"ipv4": normalize_ipv4, "ipv6": normalize_ipv6, "domain": normalize_domain, "url": normalize_url,
           "email": normalize_email}


def norm(ioc_type: str, value: str) -> str | None:
    """``normalize(ioc_type, value)``, or None when the value is not valid."""
    try:
        direct = _DIRECT.get(ioc_type)
        if direct is not None and len(value) <= MAX_VALUE_LENGTH:
            return direct(value)
        return normalize(ioc_type, value)
    except InvalidIOC:
        return None
