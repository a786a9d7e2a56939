"""EXPLAIN and timings of the reverse lookup on a large PostgreSQL database.

    DATABASE_URL=postgres://…/tc_bench python manage.py seed_demo --iocs 1000000 --threats 10000
    DATABASE_URL=postgres://…/tc_bench python bench/lookup_explain.py [--runs 1000]

Prints the plans of the two lookup queries (one value, a batch of 100), fails (exit 1) if any of
them reads a table sequentially, and times ``lookup()`` and the in-process HTTP view (auth, rate
limiting off, JSON rendering) for single values and batches. Concurrency and gunicorn numbers
belong to ``bench/run.py``; this script isolates the query path, so the process's memo of answers
(``iocs/lookup/memo.py``) is off: every call is a query.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "threatcluster.settings")
os.environ.setdefault("DEBUG", "1")
os.environ["LOOKUP_MEMO_ROWS"] = "0"

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

from iocs.lookup.explain import lookup_plans, scans  # noqa: E402
from iocs.lookup.query import LookupKey, cluster_query, iocs_queryset, lookup, lookup_statement  # noqa: E402
from iocs.models import IOC  # noqa: E402

INDEX_SCANS = {"Index Scan", "Index Only Scan", "Bitmap Index Scan", "Bitmap Heap Scan"}


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms, n={len(ordered)}"


def sample_values(n: int) -> list[tuple[str, str, int]]:
    """Random IOCs by primary key (not the first rows: those are hot in the cache)."""
    top = IOC.objects.order_by("-id").values_list("id", flat=True).first() or 0
    rng = random.Random(5)
    picks = rng.sample(range(1, top + 1), min(n, top))
    return list(IOC.objects.filter(id__in=picks).values_list("type", "value", "id"))


def text_plan(qs) -> str:
    sql, params = qs if isinstance(qs, tuple) else qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def timed(fn, runs: int) -> list[float]:
    out = []
    for k in range(runs):
        start = time.perf_counter()
        fn(k)
        out.append(time.perf_counter() - start)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=1000)
    args = ap.parse_args()
    if connection.vendor != "postgresql":
        print("needs DATABASE_URL pointing at PostgreSQL")
        return 2
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE iocs_ioc, threats_sighting, threats_threat")
        cursor.execute("SELECT (SELECT count(*) FROM iocs_ioc), (SELECT count(*) FROM threats_sighting), "
                       "(SELECT count(*) FROM threats_threat)")
        counts = cursor.fetchone()
    print(f"# Lookup on PostgreSQL: {counts[0]:,} IOCs, {counts[1]:,} sightings, {counts[2]:,} threats\n")

    rows = sample_values(max(args.runs, 100))
    keys = [LookupKey(t, v) for t, v, _ in rows]
    ids = [pk for _, _, pk in rows]
    ok = True
    for size in (1, 100):
        print(f"## EXPLAIN ANALYZE, {size} value(s), clearance RED\n")
        print("```\n" + text_plan(iocs_queryset(keys[:size], 4)) + "\n```\n")
        print("```\n" + text_plan(cluster_query(ids[:size], 4, 20)) + "\n```\n")
        print("One statement (PostgreSQL's path):\n")
        print("```\n" + text_plan(lookup_statement(keys[:size], 4, 20)) + "\n```\n")
        for clearance in (0, 4):
            for name, root in lookup_plans(keys[:size], ids[:size], clearance, 20).items():
                kinds = {kind for kind, _ in scans(root)}
                if not kinds <= INDEX_SCANS:
                    ok = False
                    print(f"SEQUENTIAL SCAN: {name}, {size} values, clearance {clearance}: {scans(root)}")
    print(f"Plans: {'indexes only, no sequential scan' if ok else 'SEQUENTIAL SCAN FOUND'}\n")

    print("## Timings (this machine, single process)\n")
    single = timed(lambda k: lookup([keys[k % len(keys)]], 4, 20), args.runs)
    print(f"- lookup(), one value: {percentiles(single)}")
    batches = timed(lambda k: lookup(keys[(k * 100) % len(keys):][:100], 4, 20), max(20, args.runs // 20))
    print(f"- lookup(), batch of 100: {percentiles(batches)}")
    client = Client()
    with override_settings(RATELIMIT_ENABLE=False, ALLOWED_HOSTS=["testserver"]):
        client.get("/api/iocs/lookup", {"value": rows[0][1]})  # imports, URL resolver
        http = timed(lambda k: client.get("/api/iocs/lookup", {"value": rows[k % len(rows)][1]}), args.runs)
        print(f"- GET /api/iocs/lookup (in-process, rate limits off): {percentiles(http)}")
        unknown = timed(lambda k: client.get("/api/iocs/lookup", {"value": f"unknown-{k}.example.org"}),
                        args.runs)
        print(f"- GET /api/iocs/lookup, unknown values: {percentiles(unknown)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
