"""The shared validators run and discriminate: a good sample passes, a broken one fails."""

from tests.conftest import require_shared
from tests.validators import run_validator


def test_stix_validator_accepts_good_and_rejects_bad():
    samples = require_shared("validators", "samples")
    good = run_validator("validate_stix.py", data=(samples / "stix_good.json").read_bytes())
    assert good.returncode == 0, good.stdout + good.stderr
    bad = run_validator("validate_stix.py", data=(samples / "stix_bad.json").read_bytes())
    assert bad.returncode == 1
