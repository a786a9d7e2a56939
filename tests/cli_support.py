"""Running the ``threatcluster`` CLI against pytest-django's live server, in process or as the console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from threatcluster import cli

SCRIPT = Path(sys.executable).with_name("threatcluster")


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


def run(capsys, url: str, *args: str, token: str | None = None, api_key: str | None = None,
        quiet: bool = True) -> Run:
    """``main()`` in this process (the live server runs in a thread of it), output captured."""
    argv = ["--url", url, *(["--quiet"] if quiet else []), *args]
    if token:
        argv[2:2] = ["--token", token]
    if api_key:
        argv[2:2] = ["--api-key", api_key]
    capsys.readouterr()
    code = cli.main(argv)
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def run_script(*args: str, env: dict | None = None) -> Run:
    """The installed console script in a subprocess (what users type)."""
    if not SCRIPT.exists():
        pytest.skip("the threatcluster console script is not installed in this environment")
    done = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})}, check=False)
    return Run(done.returncode, done.stdout, done.stderr)
