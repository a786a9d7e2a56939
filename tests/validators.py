"""Run the shared validators (real consumers: stix2-validator, PyMISP, mitreattack-python, …).

They live in ``../shared/validators`` and run in their own virtual environment, whose Python the
test command passes in ``TC_VALIDATORS_PYTHON`` (``dev.py test`` builds it). Where either is
missing (a user's machine) the test is skipped; in CI (``TC_STRICT=1``) a skip fails the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import require_shared


def validators_python() -> str:
    python = os.environ.get("TC_VALIDATORS_PYTHON", "")
    if not python or not Path(python).exists():
        pytest.skip("needs TC_VALIDATORS_PYTHON (set by `dev.py test` when ../shared/validators exists)")
    return python


def run_validator(script: str, *args: str, data: bytes | str | dict | list | None = None,
                  timeout: int = 300) -> subprocess.CompletedProcess:
    """Run ``../shared/validators/<script>``; ``data`` is written to a temporary file passed first."""
    path = require_shared("validators", script)
    python = validators_python()
    with tempfile.TemporaryDirectory() as tmp:
        argv = list(args)
        if data is not None:
            payload = json.dumps(data) if isinstance(data, dict | list) else data
            target = Path(tmp) / "input.json"
            target.write_bytes(payload.encode() if isinstance(payload, str) else payload)
            argv.insert(0, str(target))
        return subprocess.run([python, str(path), *argv], capture_output=True, text=True, timeout=timeout)


def assert_valid(script: str, *args: str, data=None) -> subprocess.CompletedProcess:
    result = run_validator(script, *args, data=data)
    assert result.returncode == 0, f"{script} rejected it:\n{result.stdout}\n{result.stderr}"
    return result
