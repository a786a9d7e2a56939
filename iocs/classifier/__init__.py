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

from .rules import RULES_VERSION, Verdict, classifier_version, classify, classify_found, classify_found_all
from .warninglists import get_warninglists

__all__ = [
    "RULES_VERSION", "Verdict", "classifier_version", "classify", "classify_extracted", "classify_found",
    "classify_found_all",
    "get_warninglists",
]


def classify_extracted(
    found: list[ExtractedIOC], *, publisher: str | None = None,
) -> list[tuple[ExtractedIOC, Verdict]]:
    """A verdict for every IOC extracted from one text (CVE and ATT&CK ids are entities, not
    IOCs: they are returned confirmed, as found)."""
    iocs = [item for item in found if item.type not in ENTITY_TYPES]
    if publisher:
        verdicts = [classify(item.type, item.value, observation(item, publisher=publisher), 1) for item in iocs]
    else:
        verdicts = classify_found_all(iocs)
    judged = dict(zip(map(id, iocs), verdicts, strict=True))
    entity = Verdict("confirmed", "high", "identifier of a known entity", classifier_version())
    return [(item, judged.get(id(item), entity)) for item in found]
