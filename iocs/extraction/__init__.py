"""IOC extraction from report text. Public API: :func:`extract_iocs` -> list of :class:`ExtractedIOC`.

See :mod:`iocs.extraction.passes` for what is found and how impostors are told apart,
:mod:`iocs.extraction.refang` for the defanging styles, and :mod:`iocs.extraction.structure` for
how code blocks, tables, lists and sections are recognised.
"""

from __future__ import annotations

from .document import DocumentState
from .passes import run_passes
from .refang import refang, refang_document
from .structure import analyse
from .types import ENTITY_TYPES, LISTED_BLOCKS, NETWORK_TYPES, ExtractedIOC

__all__ = ["ENTITY_TYPES", "LISTED_BLOCKS", "NETWORK_TYPES", "ExtractedIOC", "extract_iocs", "refang"]


def extract_iocs(text: str) -> list[ExtractedIOC]:
    """Every IOC in ``text`` (prose, Markdown, AsciiDoc or HTML reduced to text), normalised exactly
    as the IOC table stores it, one per (type, value) in order of first appearance, each with its
    context and evidence. Never raises on any string."""
    if not isinstance(text, str) or not text.strip():
        return []
    doc = refang_document(text)
    layout, lines = analyse(doc.text)
    state = DocumentState(doc=doc, layout=layout, lines=lines)
    run_passes(state)
    return state.results()
