"""GET /api/threats/<id>/attack-navigator: a 4.5 layer that mitreattack-python's strict Layer loads."""

from __future__ import annotations

import json

import pytest

from apikeys.tlp import TLP
from tests.threat_fixtures import make_threat, roomy_rate_limits
from tests.validators import assert_valid, run_validator

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures(roomy_rate_limits.__name__)]
URL = "/api/threats/0a1b2c3d/attack-navigator"


def get_layer(client) -> dict:
    response = client.get(URL)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="threat-0a1b2c3d-attack-navigator.json"'
    return json.loads(response.content)


@pytest.mark.shared
def test_layer_is_accepted_by_the_navigator_validator(client):
    make_threat()
    layer = get_layer(client)
    result = assert_valid("validate_navigator_layer.py", data=layer)
    assert "4 technique entries" in result.stdout and "WARN" not in result.stdout


@pytest.mark.shared
def test_validator_refuses_an_unknown_property(client):
    """The check can fail: mitreattack-python refuses any property outside the format."""
    make_threat()
    layer = get_layer(client)
    layer["techniques"][0]["iocs"] = ["evil.example.com"]
    assert run_validator("validate_navigator_layer.py", data=layer).returncode == 1


def test_layer_contents(client):
    make_threat(TLP.CLEAR)
    layer = get_layer(client)
    assert layer["domain"] == "enterprise-attack"
    assert layer["versions"] == {"attack": "18", "navigator": "5.1.0", "layer": "4.5"}
    assert layer["name"] == "Lazarus targets banks (0a1b2c3d)"
    assert layer["description"].startswith("TLP:CLEAR.")
    pairs = [(t["techniqueID"], t.get("tactic")) for t in layer["techniques"]]
    assert pairs == [("T1053.005", "execution"), ("T1053.005", "persistence"),
                     ("T1053.005", "privilege-escalation"), ("T1566.001", "initial-access")]
    for technique in layer["techniques"]:
        assert technique["score"] == 1
        assert "news.example.org: Report 0" in technique["comment"]
        assert technique["links"][0]["url"].startswith("https://attack.mitre.org/techniques/T")
    assert layer["legendItems"] and layer["gradient"]["maxValue"] > layer["gradient"]["minValue"]
    assert {"name": "TLP", "value": "TLP:CLEAR"} in layer["metadata"]
    assert all(link["url"].startswith("http://testserver/api/threats/0a1b2c3d/") for link in layer["links"])
    assert "evil.example.com" not in json.dumps(layer)  # techniques only, no IOCs


def test_a_technique_without_tactic_applies_to_all(client):
    from threats.models import AttackPattern, Threat
    make_threat()
    Threat.objects.get().attack_patterns.add(AttackPattern.objects.create(technique_id="T1027", name="Obfuscation"))
    entries = [t for t in get_layer(client)["techniques"] if t["techniqueID"] == "T1027"]
    assert len(entries) == 1 and "tactic" not in entries[0]


@pytest.mark.shared
def test_a_threat_without_techniques_is_an_empty_valid_layer(client):
    from threats.models import Threat
    Threat.objects.create(public_id="0e0e0e0e", title="Nothing known yet", tlp=TLP.CLEAR)
    layer = json.loads(client.get("/api/threats/0e0e0e0e/attack-navigator").content)
    assert layer["techniques"] == []
    assert_valid("validate_navigator_layer.py", data=layer)


def test_the_layer_loads_no_iocs(django_assert_max_num_queries):
    from threats.query import load_threat_graph
    make_threat()
    with django_assert_max_num_queries(6):  # threat, articles, four entity lists: no IOC or sighting rows
        graph = load_threat_graph("0a1b2c3d", TLP.RED, statuses=())
    assert graph.iocs == [] and len(graph.articles) == 2
