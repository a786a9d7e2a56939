"""The pieces of bench/run.py work at small scale: its COPY baselines read the feeds' own rows, its
load generator counts requests and errors, its report replaces its own section of RESULTS.md.

No timing is asserted (speed goals live in bench/, never in the test suite)."""

import importlib.util
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def _bench_run():
    """bench/run.py as a module (it puts bench/ on sys.path for its ``harness``; put back afterwards)."""
    saved = list(sys.path)
    try:
        spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved
    return module


run = _bench_run()
load, report = run.load, run.report


@pytest.mark.django_db
def test_copy_baselines_read_the_rows_each_feed_streams():
    if connection.vendor != "postgresql":
        pytest.skip("the COPY baselines are PostgreSQL SQL (CI runs this on PostgreSQL)")
    from threats import demo

    demo.seed(threats=6, iocs=400, seed=3)
    datasets = run.feed_datasets()
    for kind, (ds, renderer) in datasets.items():
        expected = ds.additions().count()
        assert expected > 0
        bases = run.feed_baselines(kind, ds, renderer)
        with connection.cursor() as cursor:
            cursor.execute(bases["COPY values"][0])
            values = [row[0] for row in cursor.fetchall()]
        assert values == list(ds.additions().order_by("pk").values_list("value", flat=True))
        if kind == "csv":
            rows_sql, citations_sql = bases["COPY rows + citations"]
            with connection.cursor() as cursor:
                cursor.execute(rows_sql)
                assert len(cursor.fetchall()) == expected
                cursor.execute(citations_sql)
                cited = {row[0] for row in cursor.fetchall()}
            assert cited and cited <= set(ds.additions().values_list("id", flat=True))


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        status = 200 if self.path == "/ok" else 404
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        ok = self.path == "/batch" and self.headers.get("Authorization") == "Token t" and len(body["values"]) == 2
        self.send_response(200 if ok else 400)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def http_base():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_the_python_load_generator_counts_requests_and_errors(http_base):
    good = load._python(http_base, ["/ok"], connections=2, seconds=1)
    bad = load._python(http_base, ["/missing"], connections=2, seconds=1)
    assert good.requests > 0 and good.errors == 0 and good.rps > 0
    assert 0 < good.p50_ms <= good.p99_ms <= good.max_ms
    assert bad.requests > 0 and bad.errors == bad.requests


def test_the_load_generators_post_each_body_with_the_headers(http_base):
    bodies = [json.dumps({"values": ["a", "b"]}), json.dumps({"values": ["c", "d"]})]
    headers = {"Authorization": "Token t", "Content-Type": "application/json"}
    good = load._python(http_base, ["/batch"] * 2, connections=2, seconds=1, bodies=bodies, headers=headers)
    assert good.requests > 0 and good.errors == 0
    bad = load._python(http_base, ["/batch"] * 2, connections=2, seconds=1, bodies=bodies)  # no credentials
    assert bad.requests > 0 and bad.errors == bad.requests
    # wrk gets the same requests from its Lua script (long strings: quotes in JSON need no escaping)
    script = load.LUA % {"paths": '"/batch"', "bodies": load._lua_long_string(bodies[0]),
                         "headers": '["Authorization"] = ' + load._lua_long_string("Token t")}
    assert '[==[{"values": ["a", "b"]}]==]' in script and 'wrk.format("POST", paths[k], headers, bodies[k])' in script
    with pytest.raises(ValueError):
        load._lua_long_string("]==]")
    with pytest.raises(ValueError):
        load.run(http_base, ["/batch"], bodies=bodies)  # one path per body


def test_the_report_replaces_its_own_section_and_keeps_the_rest(tmp_path):
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## Extraction\n\nhand-written\n")
    for value in ("1.0 s", "2.0 s"):
        rep = report.Report("python bench/run.py --iocs 10")
        rep.load_average("start")
        rep.add(report.Row("feed", value, "COPY: 1.0 s", "1.00x", "<= 2x", True))
        report.write_section(results, rep.markdown("test machine", "10 IOCs"))
    text = results.read_text()
    assert text.count(report.START) == 1 and text.count(report.END) == 1
    assert "| feed | 2.0 s | COPY: 1.0 s | 1.00x | <= 2x | yes |" in text
    assert "| feed | 1.0 s |" not in text
    assert text.startswith("# Benchmark results\n\n" + report.START)
    assert text.rstrip().endswith("hand-written")


def test_the_runner_refuses_anything_but_postgresql_and_redis(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.sqlite3")
    with pytest.raises(SystemExit, match="PostgreSQL"):
        run.setup_django()
