"""Real processes for the fault and load tests: a throwaway Redis, gunicorn, a Celery worker.

Each runs against the test database (``transaction=True`` tests, so what the test writes is
committed and visible to the other process) and is stopped by its own pid when the test ends. The
shared PostgreSQL and Redis are never stopped: a fault is injected into a process of our own (a
``redis-server`` on a free port) or into our own database connections only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(application_name: str = "") -> str:
    """The test database as a URL for another process (PostgreSQL only; skips otherwise)."""
    settings = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL=postgres://… (another process must share the test database)")
    user = quote(settings.get("USER") or "", safe="")
    password = quote(settings.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    query = f"?application_name={application_name}" if application_name else ""
    return f"postgres://{auth}{host}:{port}/{settings['NAME']}{query}"


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def redis_server() -> Iterator[tuple[str, subprocess.Popen]]:
    """A throwaway ``redis-server`` on a free port (no persistence): ``(url, process)``."""
    binary = shutil.which("redis-server")
    if not binary:
        pytest.skip("needs redis-server (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no", "--daemonize", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("the throwaway redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        stop(process, signal.SIGKILL)


def server_env(**extra: str) -> dict[str, str]:
    """Production-like settings for a child process (DEBUG off), over plain HTTP on 127.0.0.1; the
    same key pepper as this process, so that credentials issued by the test work there."""
    from django.conf import settings

    env = {**os.environ, "APIKEY_PEPPER": settings.APIKEY_PEPPER, "DEBUG": "0", "TESTING": "0",
           "SECRET_KEY": "live-test-only-secret-key-0123456789abcdef",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0",
           "CSRF_COOKIE_SECURE": "0", "SECURE_HSTS_SECONDS": "0", "TC_STRICT": "0", "LOG_LEVEL": "INFO"}
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    env.update(extra)
    return env


@contextlib.contextmanager
def gunicorn(env: dict[str, str], log: Path, *, workers: int = 2, threads: int = 1) -> Iterator[str]:
    """``gunicorn threatcluster.wsgi`` on a free port; yields its base URL once it answers /healthz."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "threatcluster.wsgi", "--bind", f"127.0.0.1:{port}", "--workers",
         str(workers), "--threads", str(threads), "--timeout", "60", "--graceful-timeout", "5",
         "--access-logfile", "-", "--error-logfile", "-"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(OSError, urllib.error.URLError):
                if urllib.request.urlopen(f"{base}/healthz", timeout=5).status == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer in 60 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield base
    finally:
        stop(process)


def get(url: str, headers: dict[str, str] | None = None, timeout: float = 30) -> tuple[int, bytes, dict]:
    """One GET; any HTTP status is returned (not raised)."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def celery_worker(env: dict[str, str], log: Path, name: str, *, concurrency: int = 1) -> subprocess.Popen:
    """``celery -A threatcluster worker`` in a session (process group) of its own, so that a test can
    kill the worker and its pool children at once with ``os.killpg(worker.pid, SIGKILL)``."""
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "threatcluster", "worker", "--loglevel", "INFO", "--concurrency",
         str(concurrency), "--pool", "prefork", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "--hostname", f"{name}-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
    )


def children(pid: int) -> list[int]:
    """The direct child processes of ``pid`` (Linux ``/proc``)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out += [int(p) for p in (task / "children").read_text().split()]
    return out


def wait_for(condition, timeout: float, describe) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s: {describe()}")
        time.sleep(0.25)
