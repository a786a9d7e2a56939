"""IOC rows of every type (valid values, awkward quoting) for the STIX tests."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from iocs.normalize import IOCType, normalize
from threats.demo import ValueFactory

T0 = datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)
T1 = datetime(2024, 6, 2, 8, 30, 0, tzinfo=UTC)

# Values that need escaping in a STIX pattern: a quote, a backslash, both.
AWKWARD = [
    (IOCType.URL, "http://evil.example.com/a'b\\c?q='x'"),
    (IOCType.EMAIL, "o'brien@evil.example.com"),
    (IOCType.URL, "https://evil.example.com/\\\\'"),
]


def values_of_every_type(seed: int = 7) -> list[tuple[str, str]]:
    """One valid normalised value per IOC type, plus the awkward ones."""
    factory = ValueFactory(random.Random(seed), seed)
    out = [(t.value, normalize(t.value, factory.make[t](i))) for i, t in enumerate(IOCType)]
    return out + [(t.value, normalize(t.value, v)) for t, v in AWKWARD]


def rows_of_every_type() -> list[dict]:
    """Rows as ``values(*INDICATOR_FIELDS)`` gives them, cycling through statuses and confidences."""
    verdicts = [("confirmed", "high"), ("confirmed", "medium"), ("confirmed", "low"), ("pending", "")]
    rows = []
    for i, (ioc_type, value) in enumerate(values_of_every_type()):
        status, confidence = verdicts[i % len(verdicts)]
        rows.append({"type": ioc_type, "value": value, "status": status, "confidence": confidence,
                     "reason": "demo verdict" if status == "confirmed" else "",
                     "first_seen": T0, "created_at": T0, "updated_at": T1})
    return rows
