"""A threat with 10,000 indicators renders as one complete STIX bundle.

Speed is a benchmark, not a unit test (a timed test is flaky on a shared machine):
``bench/threat_exports.py`` measures the whole request on a seeded database.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from apikeys.tlp import TLP
from threats.models import AttackPattern, Malware, Threat, ThreatActor, Vulnerability
from threats.query import ThreatGraph
from threats.stix.graph import threat_bundle_json

N = 10_000
NOW = datetime(2024, 5, 1, tzinfo=UTC)


def big_graph() -> ThreatGraph:
    stamp = {"created_at": NOW, "updated_at": NOW}
    threat = Threat(public_id="0badcafe", title="Big", summary="s", tlp=TLP.GREEN, first_seen=NOW, last_seen=NOW,
                    created_at=NOW, updated_at=NOW)
    iocs = [{"id": i, "type": "ipv4", "value": f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", "status": "confirmed",
             "confidence": "high", "reason": "", "first_seen": "2024-05-01T00:00:00.000Z",
             "last_seen": "2024-05-02T00:00:00.000Z", "created_at": "2024-05-01T00:00:00.000Z",
             "updated_at": "2024-05-03T00:00:00.000Z", "tlp": 1, "source_count": 1, "sightings": []}
            for i in range(N)]
    return ThreatGraph(
        threat=threat, iocs=iocs, actors=[ThreatActor(name="APT-X", **stamp)],
        malware=[Malware(name="M", **stamp), Malware(name="T", kind="tool", **stamp)],
        attack_patterns=[AttackPattern(technique_id=f"T10{k:02d}", tactics=["execution"], **stamp) for k in range(5)],
        vulnerabilities=[Vulnerability(cve_id="CVE-2024-0001", **stamp)], articles=[],
    )


def test_ten_thousand_indicators_render_as_one_bundle():
    body = threat_bundle_json(big_graph(), base_url="https://cti.example.org")
    objects = json.loads(body)["objects"]
    assert sum(o["type"] == "indicator" for o in objects) == N
    assert sum(o["type"] == "relationship" for o in objects) == 2 * N + 8  # indicates x2; actor uses 7, targets 1
    assert len({o["id"] for o in objects}) == len(objects)
