"""What extraction returns: :class:`ExtractedIOC`."""

from __future__ import annotations

from dataclasses import dataclass

CODE, TABLE, LIST, HEADING, PROSE = "code", "table", "list", "heading", "prose"
LISTED_BLOCKS = frozenset({CODE, TABLE, LIST})
NETWORK_TYPES = frozenset({"ipv4", "ipv6", "domain", "url", "email"})
# Types beyond the IOC table's: CVE ids and ATT&CK technique ids are entities, not IOCs.
ENTITY_TYPES = frozenset({"cve", "attack-pattern"})


@dataclass(slots=True)
class ExtractedIOC:
    """One IOC found in a text, with what the classifier needs to judge it (see iocs.evidence).

    ``value`` is normalised exactly as the IOC table stores it (``iocs.normalize.normalize``;
    ``CVE-YYYY-NNNN`` and ``T1059.001`` for the two entity types); ``context`` is the sentence or
    the table row / list line it came from, as the author wrote it (defanged), at most 300
    characters; ``offset`` is where it first appears in the text. The flags are merged over all
    occurrences of the value in the text.
    """

    type: str
    value: str
    context: str
    offset: int = 0
    block: str = PROSE  # code | table | list | heading | prose (of the occurrence kept as context)
    defanged: bool = False  # the author defanged at least one occurrence
    standalone: bool = False  # an occurrence led its own line (an IOC list entry)
    link: bool = False  # cited as a hyperlink (markup with anchor text, <autolink>, href)
    in_ioc_section: bool = False
    in_reference_section: bool = False
    column: str = ""  # table column header, when known
    keywords: frozenset[str] = frozenset()  # cue categories (iocs.extraction.context)
    roles: frozenset[str] = frozenset()  # password / certificate / other_hash, in every occurrence
    heading: str = ""  # the nearest section heading
    occurrences: int = 1
    article_defangs: bool = False  # the article defangs some of its network IOCs

    @property
    def listed(self) -> bool:
        """Presented as an IOC: in a code block, table or list, or alone on its line."""
        return self.block in LISTED_BLOCKS or self.standalone
