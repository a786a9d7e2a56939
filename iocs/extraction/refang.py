"""Refang a whole document while remembering where the author defanged.

Extraction runs its patterns over the refanged text, but two things must survive the rewrite:
whether a value was *defanged by its author* (the strongest sign that the author meant it as an
IOC) and the *original* text around it (contexts are shown to analysts as the author wrote them,
still defanged). :func:`refang_document` therefore returns the clean text plus an offset map.

Styles handled: ``hxxp``/``hXXps``/``h**p``/``h__p``/``hxtp`` and ``fxp`` schemes, ``[.]`` ``(.)``
``{.}`` ``[dot]`` ``(dot)`` ``{dot}`` (also padded: ``evil [.] com``), a spaced `` . `` between
two lower-case names, ``[:]`` ``(:)`` ``[://]`` ``(://)``, ``[@]`` ``(@)`` ``{@}`` ``[at]``
``(at)`` ``{at}``, ``[/]``. Zero-width characters and soft hyphens are dropped and a Markdown escape
``\\.`` becomes ``.``: markup noise, not defanging.

Each style has its own pattern with a literal or one-class first character, so the scan runs at
the regex engine's search speed instead of trying an alternation at every position.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

_BRACKETED = re.compile(r"[\[({]\s*(\.|[dD][oO][tT]|@|[aA][tT]|://|:|/)\s*[\])}]")
_SCHEME = re.compile(r"[hHfF](?:xx|XX|xX|Xx|\*\*|__|x|X|tx|xt)[pP](?=[sS]?(?:\[\s*:|\(\s*:|\{\s*:|:))")
_SPACED = re.compile(r" \. (?=[a-z][a-z0-9-])")
_ESCAPE = re.compile(r"\\(?=[.\[\]_@:-])")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")

_BRACKET_VALUE = {".": ".", "dot": ".", "@": "@", "at": "@", "://": "://", ":": ":", "/": "/"}


@dataclass(slots=True)
class Refanged:
    """The refanged text, the offset map back to the original, and where defanging markers were."""

    text: str
    original: str
    _clean_marks: list[int] = field(default_factory=list)  # clean offset just after each rewrite
    _orig_marks: list[int] = field(default_factory=list)  # the matching original offset
    defang_marks: list[int] = field(default_factory=list)  # clean offsets of defanging rewrites

    def to_original(self, pos: int) -> int:
        """Map an offset in the clean text to the original text."""
        i = bisect_right(self._clean_marks, pos) - 1
        if i < 0:
            return pos
        return self._orig_marks[i] + (pos - self._clean_marks[i])

    def is_defanged(self, start: int, end: int) -> bool:
        """True when a defanging marker was rewritten inside ``[start, end)`` of the clean text."""
        marks = self.defang_marks
        if not marks:
            return False
        i = bisect_left(marks, start)
        return i < len(marks) and marks[i] < end

    def original_slice(self, start: int, end: int) -> str:
        return self.original[self.to_original(start):self.to_original(end)]


def _rewrites(text: str) -> list[tuple[int, int, str, bool]]:
    """(start, end, replacement, is_defanging) for every marker, sorted, overlaps dropped."""
    out: list[tuple[int, int, str, bool]] = []
    for m in _BRACKETED.finditer(text):
        value = _BRACKET_VALUE[m.group(1).lower()]
        start, end = m.span()
        if value in ".@" and text[start - 1:start] == " " and text[end:end + 1] == " ":
            start, end = start - 1, end + 1  # "evil [.] com"
        out.append((start, end, value, True))
    for m in _SCHEME.finditer(text):
        if m.start() and text[m.start() - 1].isalnum():
            continue
        out.append((m.start(), m.end(), "http" if m.group()[0] in "hH" else "ftp", True))
    for m in _SPACED.finditer(text):
        if m.start() and (text[m.start() - 1].islower() or text[m.start() - 1].isdigit()):
            out.append((m.start(), m.end(), ".", True))
    if "\\" in text:
        out.extend((m.start(), m.end(), "", False) for m in _ESCAPE.finditer(text))
    if not text.isascii():
        out.extend((m.start(), m.end(), "", False) for m in _ZERO_WIDTH.finditer(text))
    out.sort()
    kept: list[tuple[int, int, str, bool]] = []
    last_end = -1
    for item in out:
        if item[0] >= last_end:
            kept.append(item)
            last_end = item[1]
    return kept


def refang_document(text: str) -> Refanged:
    """Refang ``text`` (see the module docstring for the styles), keeping the offset map."""
    result = Refanged(text=text, original=text)
    rewrites = _rewrites(text)
    if not rewrites:
        return result
    parts: list[str] = []
    last = clean_len = 0
    for start, end, replacement, defanging in rewrites:
        parts.append(text[last:start])
        clean_len += start - last
        if defanging:
            result.defang_marks.append(clean_len)
        parts.append(replacement)
        clean_len += len(replacement)
        result._clean_marks.append(clean_len)
        result._orig_marks.append(end)
        last = end
    parts.append(text[last:])
    result.text = "".join(parts)
    return result


def refang(text: str) -> str:
    """The refanged form of ``text`` (the same rules extraction uses)."""
    return refang_document(text).text
