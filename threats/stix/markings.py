"""The official TLP 2.0 marking definitions (OASIS cti-stix-common-objects, FORMATS.md 2.4).

Their ids, names and ``created`` are fixed by OASIS: consumers (OpenCTI, MISP, the validators)
recognise a TLP marking by its id, so these objects must never be built with ids of our own.
"""

from __future__ import annotations

from apikeys.tlp import TLP

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"

_MARKING_IDS: dict[TLP, str] = {
    TLP.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    TLP.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    TLP.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    TLP.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    TLP.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}


def marking_id(level: int) -> str:
    """The official id of the TLP 2.0 marking definition for ``level`` (a :class:`TLP`)."""
    return _MARKING_IDS[TLP(level)]


def marking_definition(level: int) -> dict:
    """The TLP 2.0 ``marking-definition`` object for ``level``, exactly as OASIS publishes it."""
    tlp = TLP(level)
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": _MARKING_IDS[tlp],
        "created": TLP2_CREATED,
        "name": tlp.label,
        "extensions": {TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": tlp.slug}},
    }
