"""bench/ingest.py measures the whole pipeline and reports sane numbers."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_bench_ingest_reports_articles_per_second(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'bench.sqlite3'}"}
    env.pop("REDIS_URL", None)
    out = subprocess.run([sys.executable, "bench/ingest.py", "--synthetic", "--limit", "6", "--json"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=600, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["articles"] == 6 and result["failed"] == 0
    assert result["articles_per_second"] > 0 and result["seconds"] > 0
    assert result["classified"] is True  # classification is part of the measured pipeline
    assert result["iocs"] >= 6 * 4 and 1 <= result["threats"] <= 6
    assert result["database"] == "sqlite" and result["machine"] and result["date"]
