"""Run the shared validators (real consumers: stix2-validator, PyMISP, mitreattack-python, …).

They live in ``../shared/validators`` and run in their own virtual environment, whose Python the
test command passes in ``TC_VALIDATORS_PYTHON`` (``dev.py test`` builds it). Where either is
missing (a user's machine) the test is skipped; in CI (``TC_STRICT=1``) a skip fails the run.

Importing stix2-validator, PyMISP or mitreattack-python costs seconds, and the suite runs the
validators dozens of times, so each test process keeps one long-lived validator process that runs
the unmodified scripts with ``runpy`` (as ``__main__``, with their own argv and exit status) and
answers one JSON line per run. Only the import cost is shared; every run is the real script.
"""

from __future__ import annotations

import atexit
import json
import os
import selectors
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import require_shared

_DAEMON = r"""
import contextlib, io, json, runpy, sys
reply = sys.stdout
for line in sys.stdin:
    request = json.loads(line)
    out, err, code = io.StringIO(), io.StringIO(), 0
    sys.argv = [request["script"], *request["argv"]]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            runpy.run_path(request["script"], run_name="__main__")
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException as exc:  # a crash of the script is a failed validation, not a dead daemon
            code = 99
            print(f"validator crashed: {exc!r}", file=err)
    reply.write(json.dumps({"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}) + "\n")
    reply.flush()
"""


class _ValidatorDaemon:
    def __init__(self, python: str) -> None:
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the daemon
        self.proc = subprocess.Popen([python, "-u", "-c", _DAEMON], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._log, text=True, bufsize=1)

    def run(self, script: Path, argv: list[str], timeout: int) -> subprocess.CompletedProcess:
        self.proc.stdin.write(json.dumps({"script": str(script), "argv": argv}) + "\n")
        self.proc.stdin.flush()
        with selectors.DefaultSelector() as selector:
            selector.register(self.proc.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                self.close()
                raise TimeoutError(f"{script.name} took more than {timeout} s")
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"validator process died running {script.name}")
        answer = json.loads(line)
        return subprocess.CompletedProcess([str(script), *argv], answer["code"], answer["stdout"], answer["stderr"])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.alive():
            self.proc.kill()
            self.proc.wait()


_daemons: dict[str, _ValidatorDaemon] = {}


def _daemon(python: str) -> _ValidatorDaemon:
    daemon = _daemons.get(python)
    if daemon is None or not daemon.alive():
        daemon = _daemons[python] = _ValidatorDaemon(python)
    return daemon


@atexit.register
def _close_daemons() -> None:
    for daemon in _daemons.values():
        daemon.close()


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
        return _daemon(python).run(path, argv, timeout)


def assert_valid(script: str, *args: str, data=None) -> subprocess.CompletedProcess:
    result = run_validator(script, *args, data=data)
    assert result.returncode == 0, f"{script} rejected it:\n{result.stdout}\n{result.stderr}"
    return result
