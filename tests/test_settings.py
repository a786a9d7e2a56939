"""Settings come from the environment; production refuses to start without a secret and passes --deploy."""

import os
import subprocess
import sys

from tests.conftest import ROOT

BASE_ENV = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "TESTING", "ALLOWED_HOSTS"}}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**BASE_ENV, "TESTING": "0", **env}, timeout=120)


def test_it_refuses_to_start_without_a_secret_key_outside_debug():
    result = _manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_check_deploy_passes_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="0",
                     SECRET_KEY="k" * 20 + "9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1", ALLOWED_HOSTS="cti.example.org")
    assert result.returncode == 0, result.stdout + result.stderr


def test_debug_runs_with_the_development_default():
    result = _manage("check", DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_makemigrations_check_needs_no_deployment_secret():
    """A schema diff signs nothing: it runs on a bare checkout (no DEBUG, no SECRET_KEY), while every
    other command keeps refusing (test above)."""
    result = _manage("makemigrations", "--check", "--dry-run", DEBUG="0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout
