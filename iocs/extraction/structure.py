"""Where in the document a line sits: code block, table, list, heading or prose, and under which
section heading.

Authors put the IOCs they mean in code blocks, tables, lists and "Indicators of compromise"
sections, and the links they cite in prose and "References" sections. One sequential pass over the
lines records that for every line (Markdown, AsciiDoc, reStructuredText-ish and HTML-reduced text
all share these shapes), so the extractor can attach it to every value as evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .types import CODE, HEADING, LIST, PROSE, TABLE

BLANK = "blank"

_MD_HEADING = re.compile(r"#{1,6}(?=[^#])\s*(.*?)\s*#*\s*$")
_ADOC_HEADING = re.compile(r"={1,6}\s+(.*\S)\s*$")
_BLOCK_TITLE = re.compile(r"\.([A-Za-z][^.].*)$")
_LIST_ITEM = re.compile(r"(?:[-*+\u2022\u00b7\u25cf\u25aa]{1,5}|\d{1,3}[.)]|\.{1,5}|[a-z][.)])\s+\S")
_FENCE = re.compile(r"(?:```|~~~)")
_ADOC_DELIM = re.compile(r"(?:-{4,}|\.{4,}|\+{4,})\s*$")
_TABLE_DELIM = re.compile(r"[|!,:]={3,}\s*$")
_MD_TABLE_SEP = re.compile(r"\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")

IOC_SECTION = re.compile(
    r"\b(?:io[cs]s?|indicators?|compromise|network|c&c|c2|cnc|command.and.control|servers?|domains?|"
    r"hosts?|hostnames?|urls?|ip(?:v[46])?s?(?: addresses)?|infrastructure|hashes|samples?|files?|"
    r"payloads?|artifacts?|artefacts?|observables?|wallets?|addresses|dga|malicious)\b",
    re.IGNORECASE,
)
NETWORK_SECTION = re.compile(
    r"\b(?:network|c&c|c2|cnc|command.and.control|servers?|domains?|hosts?(?![- ]based)|hostnames?|urls?|"
    r"ip(?:v[46])?s?|infrastructure|dns|dga|download|exfiltration|phishing|websites?)\b",
    re.IGNORECASE,
)
# A heading that *is* a references/links/about section (not "Yandex disk links", which lists IOCs).
REFERENCE_SECTION = re.compile(
    r"^\W*(?:\d+[.)]?\s*)?(?:references?|further reading|(?:additional |other )?resources|"
    r"(?:external |useful |related |more )?links|sources|bibliography|see also|acknowledg\w*|credits|"
    r"related (?:work|articles?|research|reading)|about(?: us| the authors?)?|contact(?: us)?|licen[cs]e)\W*$",
    re.IGNORECASE,
)


@dataclass(slots=True)
class Section:
    """A heading and what its chain of headings says about the lines under it."""

    title: str
    level: int = 1
    ioc: bool = False
    network: bool = False
    reference: bool = False


@dataclass(slots=True)
class Layout:
    """Per-line facts for one document (indices are line numbers)."""

    line_starts: list[int] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    sections: list[int] = field(default_factory=list)  # index into ``section_list`` or -1
    intros: list[int] = field(default_factory=list)  # line that introduces the current block, or -1
    table_headers: list[int] = field(default_factory=list)  # header row of the current table, or -1
    section_list: list[Section] = field(default_factory=list)


def _classify(title: str, level: int, parents: list[Section]) -> Section:
    sec = Section(title=title, level=level)
    sec.reference = bool(REFERENCE_SECTION.search(title))
    # The document title ("= X Indicators of Compromise") says nothing about one section's content.
    parents = [p for p in parents if p.level > 1]
    sec.ioc = bool(IOC_SECTION.search(title)) or any(p.ioc for p in parents)
    sec.network = bool(NETWORK_SECTION.search(title)) or (
        not IOC_SECTION.search(title) and any(p.network for p in parents))
    return sec


def analyse(text: str) -> tuple[Layout, list[str]]:
    """Per-line layout of ``text`` and its lines (split on ``\\n`` only, so offsets stay exact).

    One tight loop: most lines are prose or IOC lines and leave after two cheap tests."""
    lines = text.split("\n")
    lay = Layout()
    starts, kinds, sections, intros, headers = lay.line_starts, lay.kinds, lay.sections, lay.intros, lay.table_headers
    stack: list[tuple[int, int]] = []  # (level, section index)
    fence: str | None = None
    in_adoc_table = False
    table_header = intro = -1
    prev_kind = BLANK
    pos = 0

    def push(level: int, title: str) -> None:
        while stack and stack[-1][0] >= level:
            stack.pop()
        lay.section_list.append(_classify(title, level, [lay.section_list[i] for _, i in stack]))
        stack.append((level, len(lay.section_list) - 1))

    for idx, line in enumerate(lines):
        starts.append(pos)
        pos += len(line) + 1
        s = line.strip()
        kind = PROSE
        if fence is not None:
            kind = CODE
            if s.startswith(fence) and (len(s) == len(fence) or fence[0] in "`~"):
                fence = None
        elif not s:
            kind = BLANK
        else:
            c = s[0]
            if c in "`~" and _FENCE.match(s):
                fence, kind = s[:3], CODE
            elif c in "-.+" and _ADOC_DELIM.match(s):
                fence, kind = s, CODE
            elif c == "<" and s.startswith(("<pre", "<code")):
                kind = CODE
            elif c in "|!,:" and _TABLE_DELIM.match(s):
                in_adoc_table = not in_adoc_table
                table_header = idx + 1 if in_adoc_table else -1
                kind = TABLE
            elif c == "|" or in_adoc_table or s.count("|") >= 2 or line.count("\t") >= 2:
                if table_header < 0 or prev_kind != TABLE:
                    table_header = idx
                if c in "|:-" and _MD_TABLE_SEP.match(s) and idx > 0:
                    table_header = idx - 1
                kind = TABLE
            elif c == "#" and not s.startswith("#!") and (m := _MD_HEADING.match(s)):
                push(len(s) - len(s.lstrip("#")), m.group(1))
                kind = HEADING
            elif c == "=" and (m := _ADOC_HEADING.match(s)):
                push(len(s) - len(s.lstrip("=")), m.group(1))
                kind = HEADING
            elif c == "." and _BLOCK_TITLE.match(s):
                push(7, s[1:])
                kind = HEADING
            elif (not c.isalpha() or (c.islower() and s[1:2] in ".)")) and _LIST_ITEM.match(s):
                kind = LIST
        if kind in (PROSE, HEADING):
            intro = idx
        kinds.append(kind)
        sections.append(stack[-1][1] if stack else -1)
        intros.append(intro if kind not in (PROSE, HEADING) else -1)
        headers.append(table_header if kind == TABLE else -1)
        if kind != BLANK:
            prev_kind = kind
        elif fence is None and not in_adoc_table:
            prev_kind = BLANK
            table_header = -1
    return lay, lines
