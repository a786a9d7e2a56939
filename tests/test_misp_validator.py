"""The whole feed, pulled as a MISP instance pulls it, passes ../shared/validators/validate_misp_feed.py
(PyMISP load and to_feed of every event, manifest entries and hashes.csv recomputed) in --strict mode,
so every value is already in the form MISP stores."""

import pytest

from apikeys.tlp import TLP
from tests.access import make_callers
from tests.misp_pull import pull
from tests.scenario import VALUES, ago, fresh_cache, make_ioc, make_threat, sight, the_ioc  # noqa: F401
from tests.validators import assert_valid, run_validator

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache"), pytest.mark.shared]


@pytest.fixture
def world(db):
    for k in range(12):
        level = (TLP.CLEAR, TLP.CLEAR, TLP.GREEN, TLP.AMBER)[k % 4]
        threat = make_threat(f"Incident {k}", tlp=level, score=8 * k, last_seen=ago(hours=k + 1), articles=1 + k % 3,
                             actors=["Sandworm"] if k % 2 else [], malware=[("LockBit", "malware")],
                             techniques=[("T1486", "Data Encrypted for Impact")], cves=[f"CVE-2024-{1000 + k}"])
        for ioc_type in VALUES:
            sight(the_ioc(ioc_type), threat)
        sight(make_ioc("url", f"https://drop{k}.example.net/p/{k}?id=A%20b"), threat, context=f'"{k}" <b>x</b>')
        sight(make_ioc("domain", f"fp{k}.example.org", status="false_positive"), threat)
        sight(make_ioc("domain", f"pending{k}.example.org", status="pending"), threat)
    return make_callers()


def test_the_public_feed_passes_the_validator(client, world, tmp_path):
    manifest = pull(client, "/misp", tmp_path)
    assert len(manifest) == 6
    result = assert_valid("validate_misp_feed.py", str(tmp_path), "--strict")
    assert "6/6 events loaded with PyMISP" in result.stdout


def test_the_token_feed_passes_the_validator(client, world, tmp_path):
    manifest = pull(client, "/api/misp", tmp_path, world["business_key"])
    assert len(manifest) == 12
    assert_valid("validate_misp_feed.py", str(tmp_path), "--strict")


def test_the_validator_would_catch_a_broken_feed(client, world, tmp_path):
    """The check can fail: a hashes.csv line dropped is reported."""
    pull(client, "/misp", tmp_path)
    hashes = tmp_path / "hashes.csv"
    hashes.write_text("".join(hashes.read_text().splitlines(keepends=True)[1:]))
    assert run_validator("validate_misp_feed.py", str(tmp_path)).returncode == 1
