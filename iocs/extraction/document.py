"""The state of one document during extraction: where each position sits, and the merge of
occurrences into one :class:`ExtractedIOC` per (type, value)."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from iocs.normalize import InvalidIOC, normalize

from . import patterns
from .context import keywords, sentence_bounds, tidy
from .refang import Refanged
from .structure import HEADING, NETWORK_SECTION, PROSE, TABLE, Layout, Section
from .types import NETWORK_TYPES, ExtractedIOC

_RANK = {"code": 3, "table": 3, "list": 2, "heading": 1, PROSE: 0}
_LEAD = patterns.LINE_LEAD.fullmatch
_NONE: frozenset[str] = frozenset()


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
    def add(self, ioc_type: str, value: str, hit: Hit) -> None:
        """Record one occurrence; the context text is cut once, in :meth:`results`."""
        start, end = hit.start, hit.end
        doc, lay = self.doc, self.layout
        line = bisect_right(lay.line_starts, start) - 1
        kind = lay.kinds[line]
        line_start = lay.line_starts[line]
        standalone = kind != HEADING and (start == line_start or _LEAD(doc.text, line_start, start) is not None)
        if kind == PROSE and not standalone:
            s, e = sentence_bounds(doc.text, start, end, 0, len(doc.text))
        else:
            s, e = line_start, line_start + len(self.lines[line])
        column = self.column(line, start) if kind == TABLE else ""
        kw = self._keywords(line, kind, s, e, column, end - start)
        defanged = doc.is_defanged(start, end) if doc.defang_marks else False
        key = (ioc_type, value)
        cur = self.found.get(key)
        sec_idx = lay.sections[line]
        sec = lay.section_list[sec_idx] if sec_idx >= 0 else None
        if cur is None:
            self.found[key] = ExtractedIOC(
                ioc_type, value, "", start, kind, defanged, standalone, hit.link,
                sec is not None and sec.ioc, sec is not None and sec.reference, column, kw,
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
        if _RANK.get(kind, 0) > _RANK.get(cur.block, 0):
            cur.block, cur.column = kind, column
            self._spans[key] = (s, e, start)

    def _keywords(self, line: int, kind: str, s: int, e: int, column: str, size: int) -> frozenset[str]:
        """Keywords of the sentence/line, its column header, block intro and section title."""
        cache = self._kw_cache
        if kind == PROSE:
            own = keywords(self.doc.text[s:e])
        elif e - s <= size + 4:
            own = _NONE  # the line is the value itself
        else:
            own = cache.get(("line", line))
            if own is None:
                own = cache[("line", line)] = keywords(self.lines[line])
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
        parts.append(text[last:s])
        parts.append(" " * (e - s))
        last = e
    parts.append(text[last:])
    return "".join(parts)


def norm(ioc_type: str, value: str) -> str | None:
    try:
        return normalize(ioc_type, value)
    except InvalidIOC:
        return None
