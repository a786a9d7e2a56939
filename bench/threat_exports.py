#!/usr/bin/env python3
"""Time one threat's exports (STIX bundle, IOC lists, Navigator layer) on the configured database.

    DATABASE_URL=postgres://… python manage.py seed_demo --iocs 60000 --threats 20   # threat #1: 10,000 IOCs
    DATABASE_URL=postgres://… DEBUG=1 python bench/threat_exports.py [public_id] [--runs 5]

Prints, per step, the best and median wall time of ``--runs`` runs (and the best CPU time): the
query (``load_threat_graph``), each renderer, and the whole HTTP request through Django's test
client (auth, throttling, headers).
Without a public id, the threat with the most sightings is used.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "threatcluster.settings")

import django

django.setup()

from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402

from apikeys.tlp import TLP  # noqa: E402
from threats import ioc_lists, navigator  # noqa: E402
from threats.models import Threat  # noqa: E402
from threats.query import load_threat_graph  # noqa: E402
from threats.stix.graph import threat_bundle_json  # noqa: E402


def timed(label: str, runs: int, fn) -> object:
    """Wall time (what a caller waits) and this process's CPU time (the database's work excluded;
    less sensitive to other load on the machine)."""
    wall, cpu, result = [], [], None
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    print(f"{label:<34} wall best {min(wall) * 1000:7.1f} ms, median {statistics.median(wall) * 1000:7.1f} ms"
          f"   cpu best {min(cpu) * 1000:7.1f} ms")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("public_id", nargs="?")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    public_id = args.public_id or (Threat.objects.annotate(n=Count("sightings")).order_by("-n")
                                   .values_list("public_id", flat=True).first())
    graph = load_threat_graph(public_id, TLP.RED)
    print(f"threat {public_id} ({graph.tlp.label}): {len(graph.iocs)} IOCs listed, "
          f"{len(graph.attack_patterns)} techniques, {len(graph.articles)} articles")
    timed("query: load_threat_graph", args.runs, lambda: load_threat_graph(public_id, TLP.RED))
    body = timed("render: STIX bundle (build+json)", args.runs, lambda: threat_bundle_json(graph, base_url="http://x"))
    indicators = body.count('"type":"indicator"')
    print(f"{'':<34} {len(body) / 1e6:.1f} MB, {indicators} indicators")
    for fmt, render in ioc_lists.RENDERERS.items():
        timed(f"render: IOC list {fmt}", args.runs, lambda render=render: render(graph))
    timed("render: Navigator layer", args.runs, lambda: navigator.navigator_layer(graph, base_url="http://x"))
    client = Client()
    client.force_login(_staff())
    for path in ("stix", "iocs?format=csv", "iocs?format=json", "attack-navigator"):
        url = f"/api/threats/{public_id}/{path}"
        response = timed(f"HTTP GET …/{path}", args.runs, lambda url=url: client.get(url))
        assert response.status_code == 200, response.content[:300]


def _staff():
    from django.contrib.auth import get_user_model
    user, _ = get_user_model().objects.get_or_create(username="bench-staff", defaults={"is_staff": True})
    return user


if __name__ == "__main__":
    main()
