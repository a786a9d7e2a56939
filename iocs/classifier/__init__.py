"""The offline IOC classifier: pending IOCs become ``confirmed`` (high/medium/low) or
``false_positive``, each with a human-readable reason and the classifier's version.

- :func:`classify` judges one IOC row from its type, value, evidence and source count
  (rules and confidence scores are documented in :mod:`iocs.classifier.rules`);
- :func:`classify_extracted` judges what :func:`iocs.extraction.extract_iocs` found in one text
  whose publisher may be unknown (the ``extract_iocs --classify`` command, the benchmark);
- :func:`iocs.classifier.service.classify_pending` is the batch job over the IOC table.

The IOC core knows no threats: nothing here imports ``threats``.
"""

from __future__ import annotations

from iocs.evidence import observation
from iocs.extraction import ENTITY_TYPES, ExtractedIOC

from .rules import RULES_VERSION, Verdict, classifier_version, classify, classify_found
from .warninglists import get_warninglists

__all__ = [
    "RULES_VERSION", "Verdict", "classifier_version", "classify", "classify_extracted", "classify_found",
    "get_warninglists",
]


def classify_extracted(
    found: list[ExtractedIOC], *, publisher: str | None = None,
) -> list[tuple[ExtractedIOC, Verdict]]:
    """A verdict for every IOC extracted from one text (CVE and ATT&CK ids are entities, not
    IOCs: they are returned confirmed, as found)."""
    out = []
    for item in found:
        if item.type in ENTITY_TYPES:
            out.append((item, Verdict("confirmed", "high", "identifier of a known entity", classifier_version())))
            continue
        if publisher:
            out.append((item, classify(item.type, item.value, observation(item, publisher=publisher), 1)))
        else:
            out.append((item, classify_found(item)))
    return out
