"""The CLI's exit codes and messages: 401, 403, 404, 429 with Retry-After, network failure, usage."""

import socket

import pytest

from apikeys.models import APIKey, FeedToken
from apikeys.tiers import Tier
from tests.access import make_user
from tests.cli_support import run, run_script
from threatcluster import cli

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("feeds_env")]


@pytest.fixture
def creds(transactional_db):
    researcher = make_user("rita", Tier.RESEARCHER)
    business = make_user("bea", Tier.BUSINESS)
    _, token = FeedToken.issue(researcher)
    _, noscope = APIKey.issue(business, scopes=["misp:read"])
    return {"token": token, "noscope": noscope}


def test_a_bad_token_exits_3_with_the_reason(live_server, capsys, creds):
    out = run(capsys, live_server.url, "feed", token="tcf_" + "A" * 40)
    assert out.code == cli.EXIT_401 == 3
    assert "HTTP 401" in out.err and out.out == ""


def test_no_token_on_a_researcher_feed_exits_3(live_server, capsys, creds):
    assert run(capsys, live_server.url, "export").code == cli.EXIT_401


def test_a_key_without_the_scope_exits_4(live_server, capsys, creds):
    out = run(capsys, live_server.url, "feed", api_key=creds["noscope"])
    assert out.code == cli.EXIT_403 == 4
    assert "HTTP 403" in out.err and "iocs:read" in out.err


def test_an_unknown_threat_exits_5(live_server, capsys, creds):
    out = run(capsys, live_server.url, "threat", "deadbeef", "stix")
    assert out.code == cli.EXIT_404 == 5 and "HTTP 404" in out.err


def test_a_merged_threat_exits_5_naming_its_survivor(live_server, capsys, creds):
    from apikeys.tlp import TLP
    from tests.threat_fixtures import make_threat
    from threats import services

    part = make_threat(TLP.CLEAR, with_iocs=False)
    survivor = make_threat(TLP.CLEAR, public_id="1b2c3d4e", title="Survivor", with_iocs=False)
    services.merge_threats(survivor, [part])
    out = run(capsys, live_server.url, "threat", part.public_id, "stix")
    assert out.code == cli.EXIT_404 and f"HTTP 410: This threat was merged into {survivor.public_id}." in out.err


def test_rate_limited_exits_6_with_retry_after(live_server, capsys, settings, creds):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "feeds": {**settings.RATE_LIMITS["feeds"], "researcher": "1/h"}}
    assert run(capsys, live_server.url, "feed", token=creds["token"]).code == 0
    out = run(capsys, live_server.url, "feed", token=creds["token"])
    assert out.code == cli.EXIT_429 == 6
    assert "HTTP 429" in out.err and "retry after" in out.err
    seconds = int(out.err.split("retry after ", 1)[1].split(" ", 1)[0])
    assert 0 < seconds <= 3600


def test_a_network_failure_exits_7(capsys):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = run(capsys, f"http://127.0.0.1:{port}", "lookup", "198.51.100.1")
    assert out.code == cli.EXIT_NETWORK == 7 and "cannot reach" in out.err


def test_a_bad_parameter_is_reported_with_its_name(live_server, capsys, creds):
    out = run(capsys, live_server.url, "feed", "--days", "100000", token=creds["token"])
    assert out.code == cli.EXIT_ERROR and "HTTP 400" in out.err and "days" in out.err


def test_usage_errors_exit_2():
    assert cli.main(["lookup"]) == cli.EXIT_USAGE
    assert run_script("threat", "x", "bogus").code == cli.EXIT_USAGE
