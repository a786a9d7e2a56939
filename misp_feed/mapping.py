"""How ThreatCluster data maps onto MISP: attribute types and categories, tags, levels, values.

Checked against PyMISP 2.5.34.4's ``describeTypes`` and its port of MISP's server-side
``AttributeValidationTool`` (FORMATS.md 1.6, 1.7): every value is emitted in the form MISP would
store, so that our ``hashes.csv`` and MISP's correlations agree.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import uuid
from functools import lru_cache
from pathlib import Path

from apikeys.tlp import TLP
from iocs.normalize import IOCType

# IOC type -> (MISP type, category). IPs in reports are contacted infrastructure: ip-dst.
# Ethereum has no MISP attribute type: it travels as a coin-address object (see ETH_OBJECT).
ATTRIBUTE_TYPES: dict[str, tuple[str, str]] = {
    IOCType.IPV4: ("ip-dst", "Network activity"),
    IOCType.IPV6: ("ip-dst", "Network activity"),
    IOCType.DOMAIN: ("domain", "Network activity"),
    IOCType.URL: ("url", "Network activity"),
    IOCType.MD5: ("md5", "Payload delivery"),
    IOCType.SHA1: ("sha1", "Payload delivery"),
    IOCType.SHA256: ("sha256", "Payload delivery"),
    IOCType.EMAIL: ("email-src", "Payload delivery"),
    IOCType.BTC: ("btc", "Financial fraud"),
    IOCType.XMR: ("xmr", "Financial fraud"),
}
VULNERABILITY = ("vulnerability", "External analysis")
THREAT_ACTOR = ("threat-actor", "Attribution")
REFERENCE = ("link", "External analysis")


# PyMISP is imported only when a value is first checked: importing it pulls pymispgalaxies and
# jsonschema's format checkers, seconds at every process start for the web workers and commands.
_PYMISP_DIR = Path(importlib.util.find_spec("pymisp").submodule_search_locations[0])


def _object_template(name: str) -> dict:
    path = _PYMISP_DIR / "data" / "misp-objects" / "objects" / name / "definition.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return {"name": data["name"], "meta-category": data["meta-category"], "description": data["description"],
            "template_uuid": data["uuid"], "template_version": str(data["version"])}


# MISP's own answer for coins without an attribute type (FORMATS.md 1.7): object coin-address,
# address in ``address-crypto`` (text) and the ticker in ``symbol``.
ETH_OBJECT = _object_template("coin-address")
ETH_CATEGORY = "Financial fraud"

# tlp taxonomy v10 colours, so a MISP that creates the tag from our feed shows the usual colours.
TLP_COLOURS = {TLP.CLEAR: "#ffffff", TLP.GREEN: "#339900", TLP.AMBER: "#ffc000", TLP.AMBER_STRICT: "#ffc000",
               TLP.RED: "#cc0033"}
GALAXY_COLOUR = "#0088cc"
# TLP:RED is for named recipients only: it never leaves ThreatCluster in a MISP feed, whoever asks.
MAX_FEED_TLP = TLP.AMBER_STRICT


def tag(name: str, colour: str = GALAXY_COLOUR) -> dict:
    """A tag as PyMISP's ``to_feed`` writes it (keys sorted)."""
    return {"colour": colour, "local": False, "name": name, "relationship_type": ""}


def tlp_tag(level: int) -> dict:
    return tag(f"tlp:{TLP(level).slug}", TLP_COLOURS[TLP(level)])


def threat_level_id(score: int) -> int:
    """MISP 1 High (score >= 70), 2 Medium (>= 40), 3 Low (>= 1), 4 Undefined (not scored)."""
    if score >= 70:
        return 1
    if score >= 40:
        return 2
    return 3 if score >= 1 else 4


def analysis(pending_iocs: int) -> int:
    """MISP 1 Ongoing while some of the threat's IOCs await the classifier, 2 Completed otherwise.

    Derived from stored data only (never from the clock), so it changes only together with an
    IOC's ``updated_at``, which moves the event timestamp: MISP then pulls the change.
    """
    return 1 if pending_iocs else 2


def warm_up() -> None:
    """Import PyMISP's validation code now (gunicorn's ``post_worker_init``, see gunicorn.conf.py),
    so that the first MISP poll a web worker serves does not pay for it: ~0.5 s with the production
    requirements, several seconds where jsonschema's optional format checkers are installed
    (rfc3987-syntax builds a grammar at import; the test tools bring it)."""
    from pymisp.tools import AttributeValidationTool  # noqa: F401


@lru_cache(maxsize=65536)
def misp_value(misp_type: str, value: str) -> str | None:
    """``value`` as MISP stores it (its own normalisation), or None when MISP would drop it.

    Memoised: the same IOC values come back in every poll, and the check costs ~40 us a value.
    """
    from pymisp.tools import AttributeValidationTool

    normalised = AttributeValidationTool.modifyBeforeValidation(misp_type, value)
    if not isinstance(normalised, str) or not normalised:
        return None
    return normalised if AttributeValidationTool.validate(misp_type, normalised) is True else None


def uuid5(namespace: uuid.UUID, name: str) -> str:
    """``str(uuid.uuid5(namespace, name))``, three times faster (it runs once per attribute)."""
    digest = bytearray(hashlib.sha1(namespace.bytes + name.encode("utf-8")).digest()[:16])  # noqa: S324 - RFC 4122 v5
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def attribute_uuid(event_uuid: uuid.UUID, misp_type: str, value: str) -> str:
    """Stable across polls: the same (event, type, value) always has the same uuid."""
    return uuid5(event_uuid, f"{misp_type}|{value}")


def object_uuid(event_uuid: uuid.UUID, name: str, key: str) -> str:
    return uuid5(event_uuid, f"object|{name}|{key}")
