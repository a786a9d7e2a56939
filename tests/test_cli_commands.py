"""The ``threatcluster`` CLI against a live server: feed, export, lookup, threat, misp pull, conditional GET."""

import json
import re

import pytest

from apikeys.models import APIKey, FeedToken, Scope
from apikeys.tiers import Tier
from apikeys.tlp import TLP
from tests.access import make_user
from tests.cli_support import run, run_script
from tests.feeds_helpers import make_ioc
from tests.scenario import make_threat, sight
from tests.threat_fixtures import roomy_rate_limits  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("feeds_env", "roomy_rate_limits")]


@pytest.fixture
def world(transactional_db):
    researcher = make_user("rita", Tier.RESEARCHER)
    business = make_user("bea", Tier.BUSINESS)
    _, token = FeedToken.issue(researcher)
    _, key = APIKey.issue(business, scopes=list(Scope.values))
    threat = make_threat("Port scanners", tlp=TLP.CLEAR, techniques=[("T1046", "Network Service Discovery")])
    for value in ("c2.example.net", "drop.example.org"):
        sight(make_ioc(value), threat)
    return {"token": token, "key": key, "threat": threat}


def test_feed_to_stdout_and_to_a_file_with_conditional_get(live_server, capsys, tmp_path, world):
    out = run(capsys, live_server.url, "feed", "--format", "txt", token=world["token"])
    assert out.code == 0
    assert {"c2.example.net", "drop.example.org"} <= set(out.out.splitlines())
    target = tmp_path / "feed.csv"
    first = run(capsys, live_server.url, "feed", "--format", "csv", "-o", str(target),
                token=world["token"], quiet=False)
    assert first.code == 0 and "wrote" in first.err
    assert re.search(r"\rfeed: \d+B \[", first.err)  # the progress bar (tqdm, on stderr; streamed: no total)
    assert "c2.example.net" in target.read_text()
    assert (tmp_path / ".feed.csv.etag").read_text().startswith('"')
    again = run(capsys, live_server.url, "feed", "--format", "csv", "-o", str(target),
                token=world["token"], quiet=False)
    assert again.code == 0 and "not modified" in again.err
    assert "c2.example.net" in target.read_text()  # the 304 left the file alone


def test_export_with_an_api_key_uses_the_v1_twin(live_server, capsys, world):
    out = run(capsys, live_server.url, "export", "--format", "json", api_key=world["key"])
    assert out.code == 0
    assert {"c2.example.net", "drop.example.org"} <= {row["value"] for row in json.loads(out.out)["items"]}


def test_lookup_one_value_and_a_batch(live_server, capsys, world):
    one = run(capsys, live_server.url, "lookup", "c2[.]example[.]net")
    assert one.code == 0
    assert "domain c2.example.net: confirmed (high)" in one.out
    assert f"{world['threat'].public_id}  score 50  Port scanners" in one.out
    batch = run(capsys, live_server.url, "lookup", "c2.example.net", "198.51.100.250", "--json", token=world["token"])
    assert batch.code == 0
    assert [r["found"] for r in batch.json()] == [True, False]


def test_lookup_reads_values_from_stdin_in_batches(live_server, capsys, monkeypatch, world):
    """``-`` reads a log extract; 250 values go as three calls of at most 100, answers in input order."""
    import io

    from iocs.lookup.params import MAX_BATCH
    from threatcluster import cli

    assert cli.LOOKUP_BATCH == MAX_BATCH
    unknown = [f"198.51.100.{n % 250}" for n in range(247)]
    lines = ["# extracted from proxy logs", "", *unknown[:120], "c2.example.net", *unknown[120:], "drop.example.org"]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    calls = []
    real = cli.Client.request
    monkeypatch.setattr(cli.Client, "request", lambda self, method, path, **kw: calls.append(method) or
                        real(self, method, path, **kw))
    out = run(capsys, live_server.url, "lookup", "-", "drop[.]example[.]org", "--json", token=world["token"])
    assert out.code == 0, out.err
    results = out.json()
    assert len(results) == 250 and calls == ["POST"] * 3
    assert [r["query"] for r in results] == [*unknown[:120], "c2.example.net", *unknown[120:], "drop.example.org",
                                             "drop[.]example[.]org"]
    assert [r["found"] for r in results].count(True) == 3


def test_threat_stix_iocs_and_navigator(live_server, capsys, tmp_path, world):
    threat_id = world["threat"].public_id
    bundle = tmp_path / "t.json"
    assert run(capsys, live_server.url, "threat", threat_id, "stix", "-o", str(bundle)).code == 0
    assert json.loads(bundle.read_text())["type"] == "bundle"
    iocs = run(capsys, live_server.url, "threat", threat_id, "iocs", "--format", "txt")
    assert iocs.code == 0 and "c2.example.net" in iocs.out
    layer = run(capsys, live_server.url, "threat", threat_id, "navigator")
    assert layer.code == 0 and "T1046" in layer.out


def test_misp_pull_mirrors_the_public_feed_and_reuses_etags(live_server, capsys, tmp_path, world):
    folder = tmp_path / "misp"
    first = run(capsys, live_server.url, "misp", "pull", str(folder), "--public", quiet=False)
    assert first.code == 0, first.err
    manifest = json.loads((folder / "manifest.json").read_text())
    assert str(world["threat"].uuid) in manifest
    assert (folder / f"{world['threat'].uuid}.json").exists() and (folder / "hashes.csv").exists()
    again = run(capsys, live_server.url, "misp", "pull", str(folder), "--public", quiet=False)
    assert again.code == 0 and again.err.count("not modified") >= 3


def test_the_console_script_reads_the_environment(live_server, world):
    done = run_script("-q", "lookup", "drop.example.org",
                      env={"THREATCLUSTER_URL": live_server.url, "THREATCLUSTER_TOKEN": world["token"]})
    assert done.code == 0, done.err
    assert "drop.example.org: confirmed" in done.out
