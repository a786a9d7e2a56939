"""The ``IOC.evidence`` JSON: how reports presented an IOC, merged over every sighting.

The classifier judges an IOC from its row alone (type, value, ``evidence``, ``source_count``), so
everything extraction learned from the text that matters for the verdict is kept here, as counts
over sightings rather than a log (the row stays small however often it is seen). The ingestion
pipeline calls :func:`record_observation` each time it records a sighting; the article-less
``extract_iocs --classify`` path builds the same dict with :func:`observation`.

Schema (version ``v`` = 1; every key optional, absent = 0 / empty)::

    {
      "v": 1,
      "sightings": 3,          # observations merged so far
      "defanged": 2,           # ... in which the author defanged it (hxxp, [.], [@] ...)
      "listed": 2,             # ... in a code block, table or list, or alone on its line
      "standalone": 1,         # ... alone on its line (an IOC list entry)
      "ioc_section": 2,        # ... under an "Indicators"/"Network"/"C&C"/"Hashes" heading
      "prose": 1,              # ... only in running text
      "link": 1,               # ... cited as a hyperlink (anchor text, <autolink>, href)
      "reference_section": 0,  # ... under a "References"/"Links" heading
      "plain_in_defanging": 1, # ... not defanged, in an article that defangs its network IOCs
      "cited": 1,              # ... that were citations: a link, a References entry or plain as above
      "self_reference": 0,     # ... whose host is the publisher's own domain
      "keywords": ["c2", "payload"],   # cue categories around it (iocs.extraction.context)
      "roles": ["password"],   # what its table column / label says it is, when not an indicator
      "role_sightings": 1,     # ... sightings that gave it such a role (all of them: not an IOC)
      "publishers": ["welivesecurity.com"],  # registered domains of the publishers (<= 20)
      "contexts": ["C&C server: evil[.]com"] # the first few contexts, as the authors wrote them
    }

Counts let the classifier tell "only ever a reference link" (every sighting a link, none defanged
or listed) from "a reference link once, and in an IOC table elsewhere".
"""

from __future__ import annotations

from typing import Any

from .extraction import ExtractedIOC
from .extraction.hosts import registered_domain
from .extraction.types import LISTED_BLOCKS, NETWORK_TYPES

SCHEMA_VERSION = 1
MAX_PUBLISHERS = 20
MAX_CONTEXTS = 3
COUNTERS = ("sightings", "defanged", "listed", "standalone", "ioc_section", "prose", "link", "reference_section",
            "plain_in_defanging", "cited", "self_reference", "role_sightings")


def host_of(ioc_type: str, value: str) -> str:
    """The host name inside a normalised domain, URL or e-mail value ("" for other types)."""
    if ioc_type == "domain":
        return value
    if ioc_type == "email":
        return value.rpartition("@")[2]
    if ioc_type == "url":
        rest = value.split("://", 1)[-1]
        host = rest.split("/", 1)[0].rpartition("@")[2]
        return host if host.startswith("[") else host.split(":", 1)[0]
    return ""


def observation(found: ExtractedIOC, *, publisher: str | None = None) -> dict[str, Any]:
    """The evidence of one sighting, in the schema above."""
    listed = found.block in LISTED_BLOCKS or found.standalone
    defanged = found.defanged
    obs: dict[str, Any] = {
        "v": SCHEMA_VERSION,
        "sightings": 1,
        "defanged": int(defanged),
        "listed": int(listed),
        "standalone": int(found.standalone),
        "ioc_section": int(found.in_ioc_section),
        "prose": int(not listed),
        "link": int(found.link and not defanged),
        "reference_section": int(found.in_reference_section),
        "plain_in_defanging": int(not defanged and found.article_defangs and found.type in NETWORK_TYPES),
        "cited": 0,
        "self_reference": 0,
        "keywords": sorted(found.keywords) if found.keywords else [],
        "roles": sorted(found.roles) if found.roles else [],
        "role_sightings": int(bool(found.roles)),
        "publishers": [],
        "contexts": [found.context] if found.context else [],
    }
    obs["cited"] = int(bool(obs["link"] or obs["reference_section"] or obs["plain_in_defanging"]))
    if publisher:
        pub = registered_domain(publisher.lower().strip("."))
        obs["publishers"] = [pub]
        host = host_of(found.type, found.value)
        if host and registered_domain(host) == pub:
            obs["self_reference"] = 1
    return obs


def merge(evidence: dict[str, Any] | None, obs: dict[str, Any]) -> dict[str, Any]:
    """``evidence`` with one more observation folded in (a new dict; inputs untouched)."""
    out: dict[str, Any] = dict(evidence or {})
    out["v"] = SCHEMA_VERSION
    for key in COUNTERS:
        out[key] = int(out.get(key, 0)) + int(obs.get(key, 0))
    for key in ("keywords", "roles"):
        out[key] = sorted(set(out.get(key, [])) | set(obs.get(key, [])))
    publishers = list(out.get("publishers", []))
    for pub in obs.get("publishers", []):
        if pub not in publishers and len(publishers) < MAX_PUBLISHERS:
            publishers.append(pub)
    out["publishers"] = publishers
    contexts = list(out.get("contexts", []))
    for ctx in obs.get("contexts", []):
        if ctx not in contexts and len(contexts) < MAX_CONTEXTS:
            contexts.append(ctx)
    out["contexts"] = contexts
    return out


def record_observation(ioc: Any, found: ExtractedIOC, *, publisher: str | None) -> None:
    """Merge one sighting of ``found`` (published by ``publisher``, a host name, or None when
    unknown) into ``ioc.evidence``. Does not save: the caller saves the row with its other changes."""
    current = ioc.evidence if isinstance(ioc.evidence, dict) else {}
    ioc.evidence = merge(current, observation(found, publisher=publisher))
