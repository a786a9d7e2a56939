"""Content negotiation for the per-threat endpoints (``?format=`` and ``Accept``).

The views build the body themselves (one serialisation) and return it; these classes only tell DRF
which formats exist. ``render`` passes a prepared body through (and JSON-encodes anything else).
"""

from __future__ import annotations

import json

from rest_framework.renderers import BaseRenderer


class _PassThrough(BaseRenderer):
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, bytes):
            return data
        if isinstance(data, str):
            return data.encode("utf-8")
        return json.dumps(data).encode("utf-8")


class TextRenderer(_PassThrough):
    media_type, format = "text/plain", "txt"


class CSVRenderer(_PassThrough):
    media_type, format = "text/csv", "csv"


class JSONRenderer(_PassThrough):
    media_type, format = "application/json", "json"


class STIXRenderer(_PassThrough):
    # Matches ``Accept: application/stix+json;version=2.1`` too; the response says the version.
    media_type, format = "application/stix+json", "stix"
