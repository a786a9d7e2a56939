"""Concurrent load on one endpoint: wrk (Debian package ``wrk``) or, without it, a Python client.

wrk runs a small Lua script that walks a list of request paths (a different IOC value per request)
and prints its summary as JSON; latencies are wrk's own (microseconds, coordinated over all
threads). The Python fallback (threads, one connection each, ``http.client``) is slower as a client
and costs CPU on the machine under test, so its numbers are marked as such.
"""

from __future__ import annotations

import http.client
import json
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

INSTALL_HINT = "wrk is not installed: `sudo apt-get install wrk` (Debian/Ubuntu) for the reference numbers"

LUA = """
local paths = {%(paths)s}
local bodies = {%(bodies)s}
local headers = {%(headers)s}
local i = 0
request = function()
  i = i + 1
  local k = (i %% #paths) + 1
  if #bodies > 0 then
    return wrk.format("POST", paths[k], headers, bodies[k])
  end
  return wrk.format("GET", paths[k])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "connect": %%d, "read": %%d, "write": %%d, ' ..
    '"status": %%d, "timeout": %%d, "p50": %%d, "p90": %%d, "p99": %%d, "max": %%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class LoadResult:
    tool: str
    requests: int
    seconds: float
    errors: int  # connection errors, timeouts and non-2xx/3xx answers
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run(base: str, paths: list[str], *, connections: int = 16, seconds: int = 30, threads: int = 2,
        bodies: list[str] | None = None, headers: dict[str, str] | None = None) -> LoadResult:
    """GET each of ``paths`` in turn; with ``bodies``, POST ``bodies[k]`` to ``paths[k]`` (same length)."""
    if bodies is not None and len(bodies) != len(paths):
        raise ValueError("one path per body")
    if shutil.which("wrk"):
        return _wrk(base, paths, connections, seconds, threads, bodies or [], headers or {})
    return _python(base, paths, connections, seconds, bodies or [], headers or {})


def _lua_long_string(text: str) -> str:
    if "]==]" in text:
        raise ValueError("a request body holds ]==]")
    return f"[==[{text}]==]"


def _wrk(base: str, paths: list[str], connections: int, seconds: int, threads: int, bodies: list[str],
         headers: dict[str, str]) -> LoadResult:
    quoted = ", ".join(json.dumps(p) for p in paths)  # paths are URL-encoded ASCII: JSON strings are Lua strings
    lua_bodies = ", ".join(_lua_long_string(b) for b in bodies)
    lua_headers = ", ".join(f"[{json.dumps(k)}] = {_lua_long_string(v)}" for k, v in headers.items())
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % {"paths": quoted, "bodies": lua_bodies, "headers": lua_headers})
    try:
        out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
                              "--timeout", "10s", "-s", script.name, base], capture_output=True, text=True,
                             check=True, timeout=seconds + 60).stdout
    finally:
        Path(script.name).unlink(missing_ok=True)
    line = next((ln for ln in out.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out[-2000:]}")
    data = json.loads(line.removeprefix("WRKJSON "))
    errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    return LoadResult("wrk", data["requests"], data["duration_us"] / 1e6, errors, data["p50"] / 1000,
                      data["p90"] / 1000, data["p99"] / 1000, data["max"] / 1000)


def _python(base: str, paths: list[str], connections: int, seconds: int, bodies: list[str] | None = None,
            headers: dict[str, str] | None = None) -> LoadResult:
    url = urlsplit(base)
    deadline = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections

    def worker(n: int) -> None:
        k = n
        while time.perf_counter() < deadline:
            path = paths[k % len(paths)]
            body = bodies[k % len(bodies)] if bodies else None
            k += connections
            start = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
                conn.request("POST" if body is not None else "GET", path, body=body, headers=headers or {})
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status >= 400:
                    errors[n] += 1
            except OSError:
                errors[n] += 1
            latencies[n].append(time.perf_counter() - start)

    start = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    elapsed = time.perf_counter() - start
    samples = sorted(x for per in latencies for x in per)
    if not samples:
        return LoadResult("python", 0, elapsed, sum(errors), 0, 0, 0, 0)

    def pct(q: float) -> float:
        return samples[min(len(samples) - 1, int(len(samples) * q))] * 1000

    return LoadResult("python (wrk missing)", len(samples), elapsed, sum(errors), statistics.median(samples) * 1000,
                      pct(0.90), pct(0.99), samples[-1] * 1000)
