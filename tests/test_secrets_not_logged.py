"""Credentials never reach a log: not Django's (every logger, DEBUG and up, on answers 200 to 404),
not gunicorn's access log, whose request line would carry a ``?token=`` as sent
(``gunicorn.conf.py`` installs ``threatcluster.gunicorn_logging.ScrubbingLogger``)."""

from __future__ import annotations

import base64
import logging

import pytest

from apikeys.models import APIKey, FeedToken, Scope
from apikeys.tiers import Tier
from apikeys.tlp import TLP
from tests.access import make_user
from tests.live_support import database_url, get, gunicorn, server_env
from tests.scenario import make_ioc, make_threat, sight
from tests.threat_fixtures import roomy_rate_limits  # noqa: F401 - fixture
from threatcluster.gunicorn_logging import redact

PATHS = ["/api/iocs/feed?format=txt", "/api/misp/manifest.json", "/api/public/v1/iocs/feed",
         "/api/iocs/lookup?value=c2.secret-log.net", "/api/threats/ffffffff/iocs", "/api/iocs/feed?format=nope"]


def credentials() -> dict[str, str]:
    business = make_user("logged", Tier.BUSINESS)
    _, key = APIKey.issue(business, scopes=list(Scope.values), name="live")
    revoked_obj, revoked = APIKey.issue(business, scopes=list(Scope.values), name="dead")
    revoked_obj.revoke()
    _, token = FeedToken.issue(make_user("logged-researcher", Tier.RESEARCHER))
    return {"key": key, "revoked": revoked, "token": token, "wrong_key": "tc_" + "x" * 40,
            "wrong_token": "tcf_" + "y" * 40}


def requests_with(secrets: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    basic = base64.b64encode(f"misp:{secrets['token']}".encode()).decode()
    out = []
    for path in PATHS:
        sep = "&" if "?" in path else "?"
        out += [(path, {"X-API-Key": secrets["key"]}), (path, {"X-API-Key": secrets["revoked"]}),
                (path, {"X-API-Key": secrets["wrong_key"]}), (f"{path}{sep}token={secrets['token']}", {}),
                (f"{path}{sep}token={secrets['wrong_token']}", {}), (path, {"Authorization": f"Basic {basic}"}),
                (path, {"Authorization": f"Token {secrets['token']}", "Referer": f"http://x/?token={secrets['token']}"})]
    return out


def leaked(text: str, secrets: dict[str, str]) -> list[str]:
    """Which secrets appear, whole or by their secret part (after the short public prefix)."""
    return [name for name, value in secrets.items() if value in text or value[16:] in text]


@pytest.mark.django_db
@pytest.mark.usefixtures("roomy_rate_limits", "feeds_env")
def test_no_credential_in_any_django_log_record(client, caplog):
    sight(make_ioc("domain", "c2.secret-log.net", tlp=TLP.CLEAR), make_threat("Secret log test", tlp=TLP.CLEAR))
    secrets = credentials()
    with caplog.at_level(logging.DEBUG):
        statuses = {client.get(path, headers=headers).status_code for path, headers in requests_with(secrets)}
    assert {200, 400, 401, 404} <= statuses
    assert caplog.records, "nothing was logged: the test would prove nothing"
    text = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records)
    assert not leaked(text, secrets), leaked(text, secrets)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_no_credential_in_gunicorns_access_log(tmp_path):
    sight(make_ioc("domain", "c2.secret-log.net", tlp=TLP.CLEAR), make_threat("Secret log test", tlp=TLP.CLEAR))
    secrets = credentials()
    roomy = {f"RATE_LIMIT_{g}_{t}": "100000/m" for g in ("DEFAULT", "FEEDS", "EXPORTS", "MISP")
             for t in ("PUBLIC", "RESEARCHER", "BUSINESS", "ENTERPRISE")}
    log = tmp_path / "gunicorn.log"
    env = server_env(DATABASE_URL=database_url(), REDIS_URL="", CELERY_TASK_ALWAYS_EAGER="1",
                     FEED_ARTIFACT_DIR=str(tmp_path / "feeds"), **roomy)
    with gunicorn(env, log, workers=1) as base:
        statuses = {get(base + path, headers)[0] for path, headers in requests_with(secrets)}
    assert {200, 401} <= statuses
    text = log.read_text()
    assert text.count('"GET /api/') >= len(PATHS) * 7  # the access log did record every request
    assert "token=[redacted]" in text
    assert not leaked(text, secrets), leaked(text, secrets)


def test_redaction_keeps_everything_but_the_credential():
    assert redact("GET /api/misp/manifest.json?days=3&token=tcf_abc&x=1 HTTP/1.1") == (
        "GET /api/misp/manifest.json?days=3&token=[redacted]&x=1 HTTP/1.1")
    assert redact("token=abc") == "token=[redacted]"
    assert redact("/api/iocs/lookup?value=token.example.com") == "/api/iocs/lookup?value=token.example.com"
