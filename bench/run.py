#!/usr/bin/env python3
"""ThreatCluster at scale: feeds, lookups and exports served by gunicorn, each against a same-run baseline.

    export DATABASE_URL=postgres://…/tc_bench REDIS_URL=redis://127.0.0.1:6379/0   # a database you can fill
    .venv/bin/python bench/run.py                 # 1,000,000 IOCs, 10,000 threats; writes bench/RESULTS.md
    .venv/bin/python bench/run.py --iocs 100000   # a faster pass
    .venv/bin/python bench/run.py --iocs 2000 --quick --no-write   # smoke: every piece, under a minute

Steps: seed the database with ``seed_demo`` (kept when it already holds exactly ``--iocs`` IOCs and
``--threats`` threats), start ``gunicorn threatcluster.wsgi`` with 2 sync workers as in production,
then measure, the median of ``--runs`` runs each:

- full downloads of ``/api/iocs/public/feed.txt`` and ``/api/iocs/feed?format=csv`` (a staff feed
  token: every confirmed IOC) against ``psql -c "COPY (…the same rows…) TO STDOUT"``; time to first
  byte; the serving worker's peak RSS. "live" = built from the database (the stored artifact is
  deleted first and the generation made due for verification, as for a new generation's first
  caller), "artifact" = the pre-built file later callers of the same generation get;
- ``/api/iocs/lookup`` under wrk (16 connections, ``--seconds``) against ``/livez`` (a view that
  does nothing) on the same server;
- ``/api/threats/<id>/stix`` and the MISP event of the threat with the most IOCs (10,000);
- extraction MB/s (``bench/extraction.py``) and ingestion articles/s (``bench/ingest.py``, in a
  scratch database ``<db>_ingest`` created and dropped here).

Goals (issue 11, this 2-core machine): feeds within 2x of COPY with worker RSS under 200 MB whatever
N; lookup p99 under 25 ms and at least half of the trivial view's requests/s; a 10,000-IOC STIX
bundle or MISP event under 1.5 s. Machines shared with other work distort absolute numbers; the
load average is printed next to them, and ratios against same-run baselines are what count.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from harness import baseline, load, report, timing  # noqa: E402
from harness.report import Row, median, ratio, seconds  # noqa: E402
from harness.server import Gunicorn, MemorySampler, hwm_mib  # noqa: E402

RSS_GOAL_MIB = 200
BENCH_USER = "bench-staff"


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iocs", type=int, default=1_000_000)
    ap.add_argument("--threats", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=5, help="runs per measure, the median kept (default 5)")
    ap.add_argument("--load-runs", type=int, default=3, help="runs of each load test (default 3)")
    ap.add_argument("--seconds", type=int, default=30, help="duration of one load test (default 30)")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8110")))
    ap.add_argument("--quick", action="store_true", help="2 runs, 5 s loads, small extraction/ingestion passes")
    ap.add_argument("--reseed", action="store_true", help="seed again even if the database holds the dataset")
    ap.add_argument("--only", nargs="+", choices=["feeds", "lookup", "exports", "extraction", "ingest"],
                    help="measure only these parts")
    ap.add_argument("--feeds", nargs="+", choices=["txt", "csv"], default=["txt", "csv"],
                    help="which feed downloads to measure (default both)")
    ap.add_argument("--shared", default=os.environ.get("TC_SHARED", str(ROOT.parent / "shared")),
                    help="the shared folder holding corpus/ (extraction and ingestion)")
    ap.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md")
    ap.add_argument("--no-write", action="store_true", help="print the table, leave RESULTS.md alone")
    args = ap.parse_args()
    if args.quick:
        args.runs, args.load_runs, args.seconds = min(args.runs, 2), 1, min(args.seconds, 5)
    return args


def setup_django() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")) or not os.environ.get("REDIS_URL"):
        raise SystemExit("bench/run.py measures the production stack: set DATABASE_URL (PostgreSQL, a database "
                         "you can fill) and REDIS_URL")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "threatcluster.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-" + "0" * 32)
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    import django

    django.setup()
    return url


#
# Data
#
def seed(args: argparse.Namespace, rep: report.Report) -> str:
    from django.core.management import call_command
    from django.db import connection

    from iocs.models import IOC
    from threats.models import Sighting, Threat

    call_command("migrate", verbosity=0)
    if args.reseed or IOC.objects.count() != args.iocs or Threat.objects.count() != args.threats:
        print(f"seeding {args.iocs:,} IOCs, {args.threats:,} threats …", flush=True)
        start = time.perf_counter()
        call_command("seed_demo", iocs=args.iocs, threats=args.threats, flush=True, verbosity=0)
        rep.notes.append(f"Seeding ({args.iocs:,} IOCs, `seed_demo`, COPY): {seconds(time.perf_counter() - start)}.")
        # Autovacuum would do this on a live database; right after COPY the first reads set hint bits
        # and the visibility map is empty (no index-only scans), which no production query sees.
        with connection.cursor() as cursor:
            for table in ("iocs_ioc", "threats_sighting", "threats_article", "threats_threat"):
                cursor.execute(f"VACUUM (ANALYZE) {table}")
    sightings = Sighting.objects.count()
    confirmed = IOC.objects.filter(status="confirmed").count()
    return (f"{IOC.objects.count():,} IOCs ({confirmed:,} confirmed), {Threat.objects.count():,} threats, "
            f"{sightings:,} sightings (`seed_demo`)")


def bench_token() -> str:
    """A staff user's feed token: every confirmed IOC, every TLP (what 'all confirmed IOCs' means)."""
    from django.contrib.auth import get_user_model

    from apikeys import services

    user, _ = get_user_model().objects.get_or_create(username=BENCH_USER, defaults={"is_staff": True})
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return services.reset_feed_token(user)[1]


def server_env(artifacts: Path) -> dict[str, str]:
    env = {**os.environ, "DEBUG": "0", "TESTING": "0", "SECURE_SSL_REDIRECT": "0", "SECURE_HSTS_SECONDS": "0",
           "FEED_ARTIFACT_DIR": str(artifacts), "LOG_LEVEL": "WARNING",
           # Every MISP request builds its event (the cached copy would measure Redis).
           "MISP_FEED_CACHE_SECONDS": "0"}
    # Rate limiting still runs (a cache round trip per request, as in production) but never refuses.
    for group in ("DEFAULT", "FEEDS", "EXPORTS", "MISP"):
        for tier in ("PUBLIC", "RESEARCHER", "BUSINESS", "ENTERPRISE"):
            env[f"RATE_LIMIT_{group}_{tier}"] = "100000000/m"
    return env


#
# Feeds
#
def feed_datasets() -> dict[str, tuple]:
    """(dataset, renderer) of each measured feed, built as the views build them."""
    from django.http import QueryDict

    from apikeys.tiers import Tier
    from apikeys.tlp import TLP
    from iocs.feeds import params as feed_params
    from iocs.feeds.query import Dataset
    from iocs.feeds.renderers import CsvRenderer, TxtRenderer

    def dataset(profile, renderer, tier, clearance):
        p = feed_params.parse_params(QueryDict(""), profile, tier=tier, fmt=renderer.format,
                                     format_types=renderer.types, defang_ok=renderer.defang_ok)
        return Dataset(p, clearance=clearance, tier=tier, hostnames_only=renderer.hostnames_only), renderer

    return {"txt": dataset(feed_params.PUBLIC, TxtRenderer, Tier.PUBLIC, TLP.CLEAR),
            "csv": dataset(feed_params.FEED, CsvRenderer, Tier.ENTERPRISE, TLP.RED)}


def feed_baselines(kind: str, ds, renderer) -> dict[str, list[str]]:
    """Named COPY baselines: the values of the same rows (the issue's), and for CSV also the feed's own two
    queries (rows with their columns, citations) as the database runs them."""
    from iocs.feeds.citations import citation_values

    out = {"COPY values": [baseline.inline_sql(ds.additions().order_by("pk").values_list("value"))]}
    if kind == "csv":
        out["COPY rows + citations"] = [
            baseline.inline_sql(ds.addition_values(renderer.fields, text_times=renderer.text_times)),
            baseline.inline_sql(citation_values(ds.additions().values("pk"), ds.clearance)),
        ]
    return out


def age_generation(ds) -> None:
    """Make the served generation due for verification, as for the first caller of a new generation:
    "live" then always includes checking the data, not only when the previous run was > 5 s ago."""
    from dataclasses import replace
    from datetime import timedelta

    from iocs.feeds import generation, http

    gen = generation.load(ds.key)
    if gen is not None:
        generation._save(replace(gen, checked_at=gen.checked_at - timedelta(seconds=http.REVERIFY_AFTER + 1)))


CHANGED_IOCS = 200  # "live after changes": IOCs re-sighted since the previous generation, scattered


def change_some_iocs(ds, n: int = CHANGED_IOCS, seed: int = 0) -> tuple[int, int]:
    """What ingestion does between two generations: ``n`` IOCs of the feed, picked at random across
    the whole table, seen again (``last_seen``, ``updated_at``: the same rows, a new generation).
    Returns how many parts and blocks of stored CSV (iocs/feeds/segments) that touches."""
    from django.db.models.functions import Now

    from iocs.feeds.segments.triggers import IDS, PART
    from iocs.models import IOC

    ids = list(ds.additions().values_list("id", flat=True))
    picked = random.Random(seed).sample(ids, n)
    IOC.objects.filter(pk__in=picked).update(last_seen=Now())
    return len({i // PART for i in picked}), len({i // IDS for i in picked})


def measure_cold_csv(srv: Gunicorn, path: str, headers: dict, artifacts: Path, ds, rows: int) -> tuple[float, float]:
    """One download with no stored CSV block: the first body of a variant (or after a flush), every
    block rendered. Once: it costs a full render, and the runs before it left every block stored.
    Returns its seconds and the serving worker's peak RSS (MiB)."""
    from iocs.feeds import segments

    segments.flush()
    shutil.rmtree(artifacts / "responses", ignore_errors=True)
    age_generation(ds)
    with MemorySampler(srv.worker_pids()) as mem:
        got = timing.get(srv.base, path, headers)
    if got.status != 200 or int(got.headers.get("x-feed-rows", -1)) != rows:
        raise RuntimeError(f"{path} (cold): status {got.status}, rows {got.headers.get('x-feed-rows')}")
    vacuum_segments()
    return got.seconds, mem.peak_mib


def vacuum_segments() -> None:
    """What autovacuum does within a minute of a flush or of many re-rendered blocks: the dead row
    versions of the stored blocks removed. The runs measure that steady state; right after a flush
    and a full render (1,954 dead rows and their TOAST), the body after changes took 1.32 s here
    instead of 1.00 s."""
    from django.db import connection

    from iocs.feeds.models import FeedSegment, SegmentChange

    with connection.cursor() as cursor:
        for model in (FeedSegment, SegmentChange):
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")


def measure_feeds(args, srv: Gunicorn, db_url: str, token: str, artifacts: Path, rep: report.Report) -> None:
    rep.load_average("feeds")
    cases = {"txt": ("public feed.txt", "/api/iocs/public/feed.txt", {}),
             "csv": ("token feed csv", "/api/iocs/feed?format=csv", {"Authorization": f"Token {token}"})}
    for kind, (ds, renderer) in feed_datasets().items():
        if kind not in args.feeds:
            continue
        label, path, headers = cases[kind]
        rows = ds.additions().count()
        bases = feed_baselines(kind, ds, renderer)
        if kind == "csv":
            vacuum_segments()  # whatever earlier runs left behind
        copies: dict[str, list[float]] = {name: [] for name in bases}
        live, cached, changed, ttfb, peaks, sizes = [], [], [], [], [], set()
        blocks_changed = []
        for run in range(args.runs):
            for name, sqls in bases.items():
                copies[name].append(sum(baseline.copy(db_url, sql, csv=kind == "csv").seconds for sql in sqls))
            targets = [live, cached]  # built from the database, then the stored artifact
            if kind == "csv":  # first a new generation after a few changes (the stored blocks they touched)
                blocks_changed.append(change_some_iocs(ds, seed=run))
                targets.insert(0, changed)
            shutil.rmtree(artifacts / "responses", ignore_errors=True)
            age_generation(ds)
            for target in targets:
                if target is live and kind == "csv":  # the same generation built again: every stored block valid
                    shutil.rmtree(artifacts / "responses", ignore_errors=True)
                    age_generation(ds)
                with MemorySampler(srv.worker_pids()) as mem:
                    got = timing.get(srv.base, path, headers)
                if got.status != 200 or int(got.headers.get("x-feed-rows", -1)) != rows:
                    raise RuntimeError(f"{path}: status {got.status}, rows {got.headers.get('x-feed-rows')} "
                                       f"(expected {rows})")
                target.append(got.seconds)
                peaks.append(mem.peak_mib)
                sizes.add(got.bytes)
                if target is live:
                    ttfb.append(got.ttfb)
        cold = None
        if kind == "csv":
            cold, cold_peak = measure_cold_csv(srv, path, headers, artifacts, ds, rows)
            peaks.append(cold_peak)
        t_live, t_cached = median(live), median(cached)
        mb = max(sizes) / 1e6
        if len(sizes) > 1:  # a body cut short (a worker killed at gunicorn's --timeout) would show here
            rep.notes.append(f"{label}: downloads differ in size ({sorted(sizes)} bytes): some were cut short.")
        for n, (name, values) in enumerate(copies.items()):
            base = median(values)
            rep.add(Row(f"{label}, live ({rows:,} rows, {mb:.1f} MB)" if n == 0 else f"{label}, live",
                        seconds(t_live), f"{name}: {seconds(base)}", ratio(t_live, base),
                        "<= 2x" if n == 0 else "", t_live <= 2 * base if n == 0 else None))
        base = median(copies["COPY values"])
        if changed:
            t_changed = median(changed)
            from iocs.feeds.segments.triggers import IDS, PART

            parts, blocks = (median(counts) for counts in zip(*blocks_changed, strict=True))
            rep.add(Row(f"{label}, live after {CHANGED_IOCS} IOCs changed ({parts:.0f} parts of {PART} ids rendered"
                        f" again, in {blocks:.0f} stored blocks of {IDS})", seconds(t_changed),
                        f"COPY values: {seconds(base)}", ratio(t_changed, base), "<= 2x", t_changed <= 2 * base))
        rep.add(Row(f"{label}, from the stored artifact", seconds(t_cached), f"COPY values: {seconds(base)}",
                    ratio(t_cached, base), "<= 2x", t_cached <= 2 * base))
        if cold is not None:
            rep.add(Row(f"{label}, cold: no stored block (after `feed_segments --flush`; one download)", seconds(cold),
                        f"COPY values: {seconds(base)}", ratio(cold, base)))
        rep.add(Row(f"{label}, time to first byte (live)", seconds(median(ttfb))))
        peak = max(peaks)
        rep.add(Row(f"{label}, serving worker's peak RSS", f"{peak:.0f} MB", goal=f"< {RSS_GOAL_MIB} MB",
                    met=peak < RSS_GOAL_MIB))
    hwm = max((hwm_mib(pid) for pid in srv.worker_pids()), default=0)
    rep.notes.append(f"Workers' lifetime RSS high-water mark after the feed downloads (VmHWM): {hwm:.0f} MB.")


#
# Lookup under load
#
def lookup_values(n: int = 2000) -> list[str]:
    """Random IOCs (every status: false positives answer found=false) plus 10% values never seen."""
    from iocs.models import IOC

    top = IOC.objects.order_by("-id").values_list("id", flat=True).first() or 0
    rng = random.Random(11)
    ids = rng.sample(range(1, top + 1), min(n, top))
    values = list(IOC.objects.filter(id__in=ids).values_list("value", flat=True))
    values += [f"never-seen-{k}.example.net" for k in range(max(1, len(values) // 10))]
    rng.shuffle(values)
    return values


def lookup_paths(n: int = 2000) -> list[str]:
    return [f"/api/iocs/lookup?value={quote(v, safe='')}" for v in lookup_values(n)]


def measure_batch_lookup(args, srv: Gunicorn, token: str, get_rps: float, rep: report.Report) -> None:
    """``POST /api/iocs/lookup`` with 100 values a call (what SIEM enrichment should send): values/s."""
    from iocs.lookup.params import MAX_BATCH

    values = lookup_values()
    bodies = [json.dumps({"values": values[k:k + MAX_BATCH]}) for k in range(0, len(values) - MAX_BATCH + 1, MAX_BATCH)]
    paths = ["/api/iocs/lookup"] * len(bodies)
    headers = {"Content-Type": "application/json", "Authorization": f"Token {token}"}
    probe = timing.post(srv.base, paths[0], bodies[0], headers)
    if probe.status != 200:
        raise RuntimeError(f"batch lookup answered {probe.status}")
    load.run(srv.base, paths, connections=args.connections, seconds=2, bodies=bodies, headers=headers)
    runs = [load.run(srv.base, paths, connections=args.connections, seconds=args.seconds, bodies=bodies,
                     headers=headers) for _ in range(args.load_runs)]
    calls, p99 = median([r.rps for r in runs]), median([r.p99_ms for r in runs])
    rep.add(Row(f"lookup POST, {MAX_BATCH} values a call ({args.connections} connections): values/s",
                f"{calls * MAX_BATCH:,.0f}/s ({calls:.0f} calls/s, p99 {p99:.0f} ms)",
                f"GET, one value a call: {get_rps:,.0f}/s", ratio(calls * MAX_BATCH, get_rps)))
    if sum(r.errors for r in runs):
        rep.notes.append(f"Batch lookup load errors: {sum(r.errors for r in runs)}.")


def measure_lookup(args, srv: Gunicorn, rep: report.Report) -> tuple[float, float]:
    rep.load_average("lookup")
    paths = lookup_paths()
    probe = timing.get(srv.base, paths[0])
    if probe.status != 200:
        raise RuntimeError(f"lookup answered {probe.status}")
    targets = {"lookup": paths, "trivial": ["/livez"]}
    results: dict[str, list[load.LoadResult]] = {name: [] for name in targets}
    for p in targets.values():  # warm-up: connections, caches, code paths
        load.run(srv.base, p, connections=args.connections, seconds=2)
    for _ in range(args.load_runs):
        for name, p in targets.items():
            results[name].append(load.run(srv.base, p, connections=args.connections, seconds=args.seconds))
    tool = results["lookup"][0].tool
    if tool != "wrk":
        rep.notes.append(f"Load generator: {load.INSTALL_HINT}; these numbers come from the Python fallback.")
    summary = {name: {"rps": median([r.rps for r in rs]), "p50": median([r.p50_ms for r in rs]),
                      "p99": median([r.p99_ms for r in rs]), "max": max(r.max_ms for r in rs),
                      "errors": sum(r.errors for r in rs)}
               for name, rs in results.items()}
    lk, tv = summary["lookup"], summary["trivial"]
    where = f"{args.connections} connections, {args.seconds} s, {tool}"
    rep.add(Row(f"lookup GET, requests/s ({where})", f"{lk['rps']:.0f}/s", f"/livez: {tv['rps']:.0f}/s",
                ratio(lk["rps"], tv["rps"]), ">= 0.5x", lk["rps"] >= 0.5 * tv["rps"]))
    rep.add(Row("lookup GET, p50 latency", f"{lk['p50']:.1f} ms", f"/livez: {tv['p50']:.1f} ms"))
    rep.add(Row("lookup GET, p99 latency", f"{lk['p99']:.1f} ms", f"/livez: {tv['p99']:.1f} ms", goal="< 25 ms",
                met=lk["p99"] < 25))
    rep.add(Row("lookup GET, slowest request of all runs", f"{lk['max']:.1f} ms", f"/livez: {tv['max']:.1f} ms"))
    # Without queueing: one connection per worker, so the latency is a request's own.
    alone = {name: load.run(srv.base, p, connections=srv.workers, seconds=max(5, args.seconds // 3))
             for name, p in targets.items()}
    rep.add(Row(f"lookup GET, {srv.workers} connections (one per worker): p50 / p99 / max",
                f"{alone['lookup'].p50_ms:.1f} / {alone['lookup'].p99_ms:.1f} / {alone['lookup'].max_ms:.1f} ms",
                f"/livez: {alone['trivial'].p50_ms:.1f} / {alone['trivial'].p99_ms:.1f} / "
                f"{alone['trivial'].max_ms:.1f} ms",
                goal="p99 < 25 ms (no queueing)",
                met=alone["lookup"].p99_ms < 25))
    if lk["errors"] or tv["errors"]:
        rep.notes.append(f"Load errors (connect/read/timeouts/non-2xx): lookup {lk['errors']}, "
                         f"/livez {tv['errors']}.")
    return lk["rps"], tv["rps"]


def measure_lookup_unremembered(args, artifacts: Path, livez_rps: float, rep: report.Report) -> None:
    """The same load on a server whose workers remember no answer (``LOOKUP_MEMO_ROWS=0``): every
    request queried, as for values a worker never saw or whose answers a write made it forget. The
    values above repeat (2,200 of them), so after their first pass the workers answer from memory."""
    env = {**server_env(artifacts), "LOOKUP_MEMO_ROWS": "0"}
    srv = Gunicorn(ROOT, args.port + 1, env, workers=2)
    srv.start()
    try:
        paths = lookup_paths()
        load.run(srv.base, paths, connections=args.connections, seconds=2)
        runs = [load.run(srv.base, paths, connections=args.connections, seconds=args.seconds)
                for _ in range(args.load_runs)]
    finally:
        srv.stop()
    rps, p99 = median([r.rps for r in runs]), median([r.p99_ms for r in runs])
    rep.add(Row("lookup GET, no memo (`LOOKUP_MEMO_ROWS=0`: every request queried): requests/s, p99",
                f"{rps:.0f}/s, p99 {p99:.1f} ms", f"/livez above: {livez_rps:.0f}/s", ratio(rps, livez_rps)))


#
# One large threat's exports
#
def measure_exports(args, srv: Gunicorn, token: str, rep: report.Report) -> None:
    from django.db.models import Count

    from threats.models import Threat

    rep.load_average("exports")
    threat = Threat.objects.annotate(n=Count("sightings")).order_by("-n", "id").first()
    auth = {"Authorization": f"Token {token}"}
    # The event's bytes are the same in every MISP feed; a backfill window starting at the threat's
    # activity serves it whether or not it is among the latest events.
    misp = f"/api/misp/since/{threat.last_seen:%Y-%m-%d}/{threat.uuid}.json"
    cases = {"STIX bundle": f"/api/threats/{threat.public_id}/stix", "MISP event": misp}
    for name, path in cases.items():
        times, body = [], b""
        cold = _warm_up(srv, path, auth)
        rep.notes.append(f"{name}: the first request of each fresh worker took {seconds(cold)} (imports, "
                         "first plans); the rows measure warm workers.")
        for _ in range(args.runs):
            got = timing.get(srv.base, path, auth)
            if got.status != 200:
                raise RuntimeError(f"{path}: status {got.status}")
            times.append(got.seconds)
        body = _fetch(srv.base, path, auth)
        t = median(times)
        rep.add(Row(f"{name}, threat with {threat.n:,} sightings ({_count(name, body):,} "
                    f"{'indicators' if name.startswith('STIX') else 'attributes'}, {len(body) / 1e6:.1f} MB)",
                    seconds(t), goal="< 1.5 s", met=t < 1.5))


def _warm_up(srv: Gunicorn, path: str, headers: dict) -> float:
    """As many concurrent requests as workers, twice: every sync worker serves at least one."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(srv.workers) as pool:
        first = list(pool.map(lambda _: timing.get(srv.base, path, headers).seconds, range(srv.workers)))
        list(pool.map(lambda _: timing.get(srv.base, path, headers).seconds, range(srv.workers)))
    return max(first)


def _fetch(base: str, path: str, headers: dict) -> bytes:
    import http.client

    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
    conn.request("GET", path, headers=headers)
    body = conn.getresponse().read()
    conn.close()
    return body


def _count(name: str, body: bytes) -> int:
    data = json.loads(body)
    if name.startswith("STIX"):
        return sum(1 for o in data["objects"] if o["type"] == "indicator")
    return len(data["Event"].get("Attribute", []))


#
# Extraction and ingestion (their own scripts)
#
def measure_extraction(args, rep: report.Report) -> None:
    rep.load_average("extraction")
    corpus = Path(args.shared) / "corpus"
    if not (corpus / "score.py").exists():
        rep.notes.append(f"Extraction not measured: no {corpus}/score.py (--shared).")
        return
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        target = Path(out.name)
    try:
        subprocess.run([sys.executable, str(ROOT / "bench" / "extraction.py"), "--only", "ours", "--shared",
                        args.shared, "--repeat", "1" if args.quick else "3", "--json", str(target)],
                       cwd=ROOT, check=True, capture_output=True, text=True)
        rows = json.loads(target.read_text())
    finally:
        target.unlink(missing_ok=True)
    for name, res in rows.items():
        label = "extract + classify" if "published" in name else "extract only"
        rep.add(Row(f"extraction, {label} ({res['bytes'] / 1e6:.2f} MB of reports)", f"{res['mb_per_s']:.2f} MB/s"))


def measure_ingest(args, db_url: str, rep: report.Report) -> None:
    rep.load_average("ingestion")
    parts = urlsplit(db_url)
    name = parts.path.lstrip("/") + "_ingest"
    scratch = urlunsplit(parts._replace(path=f"/{name}"))
    admin = urlunsplit(parts._replace(path="/postgres"))
    subprocess.run(["psql", admin, "-X", "-q", "-c", f'DROP DATABASE IF EXISTS "{name}"',
                    "-c", f'CREATE DATABASE "{name}"'], check=True, capture_output=True)
    try:
        cmd = [sys.executable, str(ROOT / "bench" / "ingest.py"), "--json"] + (["--limit", "10"] if args.quick else [])
        env = {**os.environ, "DATABASE_URL": scratch, "TC_SHARED": args.shared}
        out = subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
        res = json.loads(out.strip().splitlines()[-1])
    finally:
        subprocess.run(["psql", admin, "-X", "-q", "-c", f'DROP DATABASE IF EXISTS "{name}"'], capture_output=True)
    rep.add(Row(f"ingestion, whole pipeline ({res['articles']} articles, {res['corpus']}, PostgreSQL)",
                f"{res['articles_per_second']:.2f} articles/s",
                baseline=f"of which classification {res['classify_seconds']:.0f} s of {res['seconds']:.0f} s"))


#
# Main
#
def main() -> int:
    args = parse_args()
    db_url = setup_django()
    wanted = set(args.only or ["feeds", "lookup", "exports", "extraction", "ingest"])
    command = "python bench/run.py " + shlex.join(sys.argv[1:])
    rep = report.Report(command.strip())
    rep.load_average("start")
    dataset = seed(args, rep)
    print(dataset, flush=True)
    server_parts = wanted & {"feeds", "lookup", "exports"}
    if server_parts:
        token = bench_token()
        with tempfile.TemporaryDirectory(prefix="tc-bench-artifacts-") as tmp:
            srv = Gunicorn(ROOT, args.port, server_env(Path(tmp)), workers=2)
            srv.start()
            try:
                if "feeds" in wanted:
                    measure_feeds(args, srv, db_url, token, Path(tmp), rep)
                if "lookup" in wanted:
                    get_rps, livez_rps = measure_lookup(args, srv, rep)
                    measure_batch_lookup(args, srv, token, get_rps, rep)
                    srv.stop()  # the two cores to itself
                    measure_lookup_unremembered(args, Path(tmp), livez_rps, rep)
                    srv.start()
                if "exports" in wanted:
                    measure_exports(args, srv, token, rep)
            finally:
                srv.stop()
    if "extraction" in wanted:
        measure_extraction(args, rep)
    if "ingest" in wanted:
        measure_ingest(args, db_url, rep)
    rep.load_average("end")
    section = rep.markdown(report.machine() + _postgres_version(), dataset)
    print("\n" + section)
    if not args.no_write:
        report.write_section(args.results, section)
        print(f"written to {args.results}")
    return 0 if all(r.met is not False for r in rep.rows) else 1


def _postgres_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f", PostgreSQL {cursor.fetchone()[0].split()[0]}"


if __name__ == "__main__":
    sys.exit(main())
