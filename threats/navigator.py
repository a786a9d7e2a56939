"""One threat's techniques as an ATT&CK Navigator layer (format 4.5, Navigator 5.x; FORMATS.md 3).

Only techniques, no IOCs. Each technique gets one entry per tactic it belongs to, a score of 1
("used in this incident": layers of several threats summed in the Navigator count the incidents
that use a technique), a comment citing the reports the threat was built from, and links back to
ATT&CK and to the threat. Only properties of the 4.5 format are emitted: mitreattack-python's strict
``Layer`` refuses a layer with any unknown property.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from apikeys.tlp import TLP

from .stix.common import stix_time

if TYPE_CHECKING:
    from .query import ThreatGraph

LAYER_VERSION = "4.5"
NAVIGATOR_VERSION = "5.1.0"
ATTACK_VERSION = "18"
USED_COLOR = "#e60d0d"
ATTACK_URL = "https://attack.mitre.org/techniques/{}/"
MAX_COMMENT_SOURCES = 10


def _sources_comment(graph: ThreatGraph) -> str:
    articles = graph.articles
    if not articles:
        return f"Reported in threat {graph.threat.public_id}."
    lines = [f"Reported in {len(articles)} source(s) of threat {graph.threat.public_id}:"]
    for article in articles[:MAX_COMMENT_SOURCES]:
        date = f"{article.published_at:%Y-%m-%d} " if article.published_at else ""
        who = article.publisher or article.url
        lines.append(f"- {date}{who}: {article.title or article.url}")
    if len(articles) > MAX_COMMENT_SOURCES:
        lines.append(f"- and {len(articles) - MAX_COMMENT_SOURCES} more")
    return "\n".join(lines)


def _threat_links(graph: ThreatGraph, base_url: str) -> list[dict]:
    pid = graph.threat.public_id
    return [
        {"label": f"Threat {pid}: STIX 2.1 bundle", "url": f"{base_url}/api/threats/{pid}/stix"},
        {"label": f"Threat {pid}: IOC list", "url": f"{base_url}/api/threats/{pid}/iocs?format=csv"},
    ]


def _techniques(graph: ThreatGraph, base_url: str) -> list[dict]:
    comment = _sources_comment(graph)
    entries = []
    for pattern in graph.attack_patterns:
        links = [{"label": f"ATT&CK {pattern.technique_id}",
                  "url": ATTACK_URL.format(pattern.technique_id.replace(".", "/"))},
                 *_threat_links(graph, base_url)[:1]]
        base = {"techniqueID": pattern.technique_id, "score": 1, "comment": comment, "enabled": True,
                "links": links}
        tactics = sorted(set(pattern.tactics)) or [None]
        for tactic in tactics:
            entries.append({**base, "tactic": tactic} if tactic else dict(base))
    return entries


def navigator_layer(graph: ThreatGraph, *, base_url: str) -> dict:
    """The layer dict for ``graph``; ``base_url`` (scheme and host) makes the links absolute."""
    threat = graph.threat
    tlp = TLP(threat.tlp).label
    base_url = base_url.rstrip("/")
    description = f"{tlp}. ATT&CK techniques of threat {threat.public_id}"
    if threat.summary:
        description += f": {threat.summary}"
    metadata = [
        {"name": "threat", "value": threat.public_id},
        {"name": "TLP", "value": tlp},
        {"name": "first seen", "value": stix_time(threat.first_seen)},
        {"name": "last seen", "value": stix_time(threat.last_seen)},
        {"name": "threat score", "value": str(threat.threat_score)},
    ]
    if graph.actors:
        metadata.append({"name": "threat actors", "value": ", ".join(a.name for a in graph.actors)})
    if graph.malware:
        metadata.append({"name": "malware and tools", "value": ", ".join(m.name for m in graph.malware)})
    return {
        "name": f"{threat.title} ({threat.public_id})"[:200],
        "versions": {"attack": ATTACK_VERSION, "navigator": NAVIGATOR_VERSION, "layer": LAYER_VERSION},
        "domain": "enterprise-attack",
        "description": description,
        "sorting": 0,
        "layout": {"layout": "side", "showID": True, "showName": True, "expandedSubtechniques": "annotated"},
        "hideDisabled": False,
        "techniques": _techniques(graph, base_url),
        "gradient": {"colors": ["#ffffff", USED_COLOR], "minValue": 0, "maxValue": 1},
        "legendItems": [{"label": f"Used in threat {threat.public_id}", "color": USED_COLOR}],
        "metadata": metadata,
        "links": _threat_links(graph, base_url),
        "showTacticRowBackground": False,
        "selectTechniquesAcrossTactics": True,
        "selectSubtechniquesWithParent": False,
        "selectVisibleTechniques": False,
    }
