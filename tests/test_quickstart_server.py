"""The quick-start path (migrate, seed into an empty database, runserver) answers on / and /admin/login/."""

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_quickstart_server_answers(tmp_path):
    env = {**os.environ, "DEBUG": "1", "TESTING": "0", "DATABASE_URL": f"sqlite:///{tmp_path / 'qs.sqlite3'}"}
    env.pop("REDIS_URL", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300)
    subprocess.run([*manage, "seed_demo", "--if-empty", "--iocs", "200", "--threats", "5", "-v", "0"], cwd=ROOT,
                   env=env, check=True, timeout=300)
    port = _free_port()
    server = subprocess.Popen([*manage, "runserver", "--noreload", f"127.0.0.1:{port}"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                home = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        assert home.status == 200
        assert b"ThreatCluster" in home.read()
        login = urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=5)
        assert login.status == 200
        assert b"csrfmiddlewaretoken" in login.read()
    finally:
        server.terminate()
        server.wait(timeout=10)
