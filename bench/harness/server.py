"""The site under test: gunicorn as in production (sync workers), and its workers' memory.

Memory is read from ``/proc/<pid>/status`` (Linux): ``VmRSS`` sampled every few milliseconds while a
request runs gives the peak that request caused; ``VmHWM`` is the worker's lifetime high-water mark.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path


def _status_kib(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def rss_mib(pid: int) -> float:
    return _status_kib(pid, "VmRSS") / 1024


def hwm_mib(pid: int) -> float:
    return _status_kib(pid, "VmHWM") / 1024


class Gunicorn:
    """``gunicorn threatcluster.wsgi`` on 127.0.0.1:``port`` with ``workers`` sync workers."""

    def __init__(self, root: Path, port: int, env: dict[str, str], *, workers: int = 2, timeout: int = 120,
                 log: Path | None = None) -> None:
        self.root, self.port, self.env, self.workers, self.timeout = root, port, env, workers, timeout
        self.log = log or root / "var" / "bench-gunicorn.log"
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str = "/livez", wait: float = 90) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "gunicorn", "threatcluster.wsgi", "--bind", f"127.0.0.1:{self.port}",
               "--workers", str(self.workers), "--timeout", str(self.timeout)]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(cmd, cwd=self.root, env=self.env, stdout=out, stderr=out,
                                         start_new_session=True)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}); see {self.log}")
            if self._answers(ready_path) and len(self.worker_pids()) >= self.workers:
                return
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer {ready_path} within {wait} s; see {self.log}")

    def _answers(self, path: str) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            conn.request("GET", path)
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # gunicorn's graceful shutdown; it stops its own workers
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


class MemorySampler:
    """Peak ``VmRSS`` of ``pids`` while the ``with`` block runs (sampled every ``interval`` s)."""

    def __init__(self, pids: list[int], interval: float = 0.01) -> None:
        self.pids, self.interval = pids, interval
        self.start = {pid: rss_mib(pid) for pid in pids}
        self.peak = dict(self.start)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], rss_mib(pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mib(self) -> float:
        """The largest worker's peak (the worker that served the request)."""
        return max(self.peak.values(), default=0.0)

    @property
    def growth_mib(self) -> float:
        return max((self.peak[p] - self.start[p] for p in self.pids), default=0.0)
