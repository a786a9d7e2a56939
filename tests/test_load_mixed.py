"""A bounded mixed load against gunicorn (2 workers): feeds, lookups, per-threat STIX and IOC lists,
the MISP mirror and the token feed, from 32 connections for 60 s, on the demo dataset.

Not a speed test (the numbers go to ``bench/RESULTS.md``, section "Mixed load (issue 12)"): it
asserts that under load nothing fails: zero 5xx, zero connection errors, no other non-2xx answer.
``TC_LOAD_SECONDS`` shortens the run while developing; CI runs the full 60 s. With
``TC_LOAD_RESULTS=bench/RESULTS.md`` the numbers are written into that file's section.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from apikeys.models import APIKey, Scope
from apikeys.tiers import Tier
from tests.access import make_user
from tests.live_support import ROOT, database_url, gunicorn, redis_server, server_env

pytestmark = [pytest.mark.exclusive, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
CONNECTIONS = 32
SECONDS = float(os.environ.get("TC_LOAD_SECONDS", "60"))


COMMAND = ("createdb -h 127.0.0.1 -U postgres tc_load\n"
           "TC_LOAD_RESULTS=bench/RESULTS.md DATABASE_URL=postgres://postgres@127.0.0.1:5432/tc_load \\\n"
           "  REDIS_URL=redis://127.0.0.1:6379/9 python3.11 dev.py test tests/test_load_mixed.py -s")
NOTE = ("`tests/test_load_mixed.py` (run by `.ci/run`) seeds the demo dataset (`seed_demo --threats 120 --iocs 6000`), "
        "starts gunicorn (2 sync workers, production settings, rate limits raised out of the way, a Redis of its own "
        "as cache) and drives it with `bench/load_mixed.py`: 32 keep-alive connections (asyncio + httpx) sending "
        "requests back to back for 60 s, after a short warm-up, over a fixed rotation of lookups, per-threat STIX "
        "bundles and IOC CSVs, MISP events, the public txt/json feeds, the MISP manifest and hashes, the v1 CSV feed "
        "and the token MISP manifest (API key). The test fails on any 5xx, connection error or other non-2xx answer. "
        "With 32 connections on 2 sync workers, latency is mostly queueing (32 / throughput).")


def load_module():
    spec = importlib.util.spec_from_file_location("load_mixed", ROOT / "bench" / "load_mixed.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("load_mixed", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_32_connections_for_60_seconds_get_no_error(tmp_path):
    load = load_module()
    call_command("seed_demo", threats=120, iocs=6000, seed=12, verbosity=0)
    _, key = APIKey.issue(make_user("load", Tier.BUSINESS), scopes=list(Scope.values), name="load")
    targets = load.pick_targets(api_key=key)
    roomy = {f"RATE_LIMIT_{group}_{tier}": "10000000/m" for group in ("DEFAULT", "FEEDS", "EXPORTS", "MISP")
             for tier in ("PUBLIC", "RESEARCHER", "BUSINESS", "ENTERPRISE")}
    log = tmp_path / "gunicorn.log"
    with redis_server() as (redis_url, _):
        env = server_env(DATABASE_URL=database_url(), REDIS_URL=redis_url, FEED_ARTIFACT_DIR=str(tmp_path / "feeds"),
                         **roomy)
        with gunicorn(env, log, workers=2) as base:
            stats = asyncio.run(load.run_load(base, targets, connections=CONNECTIONS, seconds=SECONDS))
    if os.environ.get("TC_LOAD_RESULTS"):
        load.write_results(Path(os.environ["TC_LOAD_RESULTS"]), stats, COMMAND, NOTE)
    print(stats.summary())
    print(stats.table())
    assert stats.requests > CONNECTIONS, stats.summary()
    assert stats.server_errors == 0 and not stats.errors, stats.summary()
    assert not stats.bad, stats.summary()
    assert len(stats.latencies) >= 8  # every kind of target was exercised
    assert "Traceback" not in log.read_text()
