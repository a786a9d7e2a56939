"""STIX 2.1 building blocks shared by every STIX output (per-threat bundles, bulk feeds, TAXII).

One builder, not two (DESIGN.md): whoever emits STIX uses these functions, so the same IOC has the
same indicator id and the same pattern in a threat bundle, a bulk feed and a TAXII collection.

Everything returns plain ``dict`` objects, serialised once with :mod:`json`: building ``stix2``
objects costs ~500 µs per indicator (FORMATS.md 2.5), plain dicts ~5 µs. The ``stix2`` library and
the OASIS validator are used in the tests to prove that what we build is valid.

Typical use (a streamed feed)::

    from threats import stix

    marking = stix.marking_id(TLP.CLEAR)
    rows = IOC.objects.published().values(*stix.INDICATOR_FIELDS).iterator(chunk_size=5000)
    head = [stix.marking_definition(TLP.CLEAR), stix.publisher_identity(marking_id=marking)]
    objects = itertools.chain(head, (stix.indicator(row, marking_id=marking) for row in rows))
    return StreamingHttpResponse(stix.bundle_stream(objects), content_type=stix.MEDIA_TYPE)

Timestamps may be datetimes or STIX strings already formatted by the database: at scale, select
the time columns as ``stix.StixTime("first_seen")`` (see :mod:`threats.stix.db`): Django parses
PostgreSQL timestamps in pure Python, which costs more than building the indicators.

The full graph of one threat (Report, entities, relationships) is :mod:`threats.stix.graph`.
"""

from .bundle import MEDIA_TYPE, bundle, bundle_stream, dumps
from .common import (
    IDENTITY_EPOCH,
    deterministic_uuid,
    publisher_identity,
    publisher_identity_id,
    stix_id,
    stix_time,
)
from .db import StixTime
from .indicators import CONFIDENCE_SCORES, INDICATOR_FIELDS, indicator, indicator_id, pattern
from .markings import TLP2_EXTENSION_ID, marking_definition, marking_id

__all__ = [
    "CONFIDENCE_SCORES",
    "IDENTITY_EPOCH",
    "INDICATOR_FIELDS",
    "MEDIA_TYPE",
    "TLP2_EXTENSION_ID",
    "StixTime",
    "bundle",
    "bundle_stream",
    "deterministic_uuid",
    "dumps",
    "indicator",
    "indicator_id",
    "marking_definition",
    "marking_id",
    "pattern",
    "publisher_identity",
    "publisher_identity_id",
    "stix_id",
    "stix_time",
]
