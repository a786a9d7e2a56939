#!/usr/bin/env python3
"""ThreatCluster's quick start: ``python3.11 dev.py serve`` and ``python3.11 dev.py test``.

Needs only Python 3.11 and git. Each command creates ``.venv`` on first use and reinstalls the
pinned requirements when they change, then:

  serve   migrates, loads demo data into an empty database, and serves http://127.0.0.1:8000/
          (embedded defaults: SQLite file, in-process cache, Celery tasks run eagerly)
  test    runs the whole test suite (pytest); extra arguments go to pytest
  lint    ruff and ``makemigrations --check``

Environment variables (DATABASE_URL, REDIS_URL, ...) are passed through, so CI runs the same
commands against PostgreSQL and Redis.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
SHARED = ROOT.parent / "shared"
VALIDATORS_VENV = ROOT / ".venv-validators"


def run(*cmd: str | Path, env: dict | None = None, check: bool = True) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env, check=check).returncode


def _stamp(requirements: list[Path]) -> str:
    h = hashlib.sha256()
    for path in requirements:
        h.update(path.read_bytes())
    return h.hexdigest()


def ensure_venv(venv_dir: Path, requirements: list[Path], python: Path, *, project: bool = False) -> None:
    """Create the virtual environment and install the requirements if they changed since last time.

    ``project``: also install this project (editable) for its ``threatcluster`` console script."""
    if sys.version_info[:2] != (3, 11):
        print(f"warning: ThreatCluster targets Python 3.11; this is {sys.version.split()[0]}", file=sys.stderr)
    if not python.exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
    names = hashlib.sha256(" ".join(sorted(p.name for p in requirements)).encode()).hexdigest()[:8]
    stamp_file = venv_dir / f".requirements-stamp-{names}"
    stamp = _stamp(requirements + ([ROOT / "pyproject.toml"] if project else []))
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        return
    args: list[str | Path] = [python, "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    for path in requirements:
        args += ["-r", path]
    run(*args)
    if project:
        run(python, "-m", "pip", "install", "--disable-pip-version-check", "-q", "--no-deps", "-e", ROOT)
    stamp_file.write_text(stamp)


def dev_env(**extra: str) -> dict:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "threatcluster.settings")
    env.update(extra)
    return env


def serve(args: list[str]) -> int:
    ensure_venv(VENV, [ROOT / "requirements.txt"], PYTHON, project=True)
    env = dev_env()
    env.setdefault("DEBUG", "1")
    manage = [PYTHON, "manage.py"]
    run(*manage, "migrate", "--no-input", "-v", "0", env=env)
    run(*manage, "seed_demo", "--if-empty", env=env)
    password = _ensure_admin(env)
    if password:
        print(f"\nAdmin account created: user 'admin', password '{password}' (shown once).\n", flush=True)
    addr = args[0] if args else "127.0.0.1:8000"
    print(f"ThreatCluster at http://{addr}/  (admin: http://{addr}/admin/)", flush=True)
    return run(*manage, "runserver", addr, env=env, check=False)


def _ensure_admin(env: dict) -> str | None:
    """Create a local superuser on first run so the admin can be opened; returns its password."""
    password = secrets.token_urlsafe(12)
    code = (
        "from django.contrib.auth import get_user_model as g; U=g();"
        "import sys; sys.exit(0 if U.objects.exists() else "
        f"(U.objects.create_superuser('admin', 'admin@localhost', {password!r}) and 3))"
    )
    rc = subprocess.run([str(PYTHON), "manage.py", "shell", "-c", code], cwd=ROOT, env=env).returncode
    return password if rc == 3 else None


def ensure_validators() -> Path | None:
    """The shared validators (stix2-validator, PyMISP, mitreattack-python, taxii2-client) in a venv of their own."""
    requirements = SHARED / "validators" / "requirements.txt"
    if not requirements.exists():
        return None
    python = VALIDATORS_VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    ensure_venv(VALIDATORS_VENV, [requirements], python)
    return python


def test(args: list[str]) -> int:
    ensure_venv(VENV, [ROOT / "requirements-dev.txt", ROOT / "requirements.txt"], PYTHON, project=True)
    extra = {}
    validators_python = ensure_validators()
    if validators_python:
        extra["TC_VALIDATORS_PYTHON"] = str(validators_python)
    return run(PYTHON, "-m", "pytest", *args, env=dev_env(**extra), check=False)


def lint(args: list[str]) -> int:
    ensure_venv(VENV, [ROOT / "requirements-dev.txt", ROOT / "requirements.txt"], PYTHON, project=True)
    rc = run(PYTHON, "-m", "ruff", "check", ".", check=False)
    env = dev_env(DEBUG="1")
    rc |= run(PYTHON, "manage.py", "makemigrations", "--check", "--dry-run", env=env, check=False)
    return rc


def main() -> int:
    commands = {"serve": serve, "test": test, "lint": lint}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
