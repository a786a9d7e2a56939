"""Mixed load against a running ThreatCluster: feeds, lookups, per-threat STIX/IOC lists and MISP.

``C`` connections (asyncio + httpx, one client each) send requests back to back for ``S`` seconds,
each picking the next target of a fixed, weighted rotation. Reports requests, requests per second,
latency percentiles per kind, and every non-2xx/3xx status and connection error (the test
``tests/test_load_mixed.py`` asserts there are none).

Targets come from the database the server uses (``DATABASE_URL``): TLP:CLEAR threats and their
confirmed IOCs, so that every request has an answer to compute. Usage, against a seeded server::

    DATABASE_URL=… .venv/bin/python bench/load_mixed.py --base http://127.0.0.1:8000 \\
        --connections 32 --seconds 60 [--api-key tc_…] [--results bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Mixed load (issue 12)"


@dataclass(frozen=True)
class Target:
    kind: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class Stats:
    seconds: float = 0.0
    connections: int = 0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    bytes: int = 0

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    @property
    def bad(self) -> dict:
        """Every answer that is not a success (2xx/304), and every connection error."""
        out = {f"HTTP {s}": n for s, n in self.statuses.items() if not (200 <= s < 300 or s == 304)}
        out.update(self.errors)
        return out

    def table(self) -> str:
        rows = ["| kind | requests | p50 ms | p95 ms | p99 ms |", "|---|---|---|---|---|"]
        for kind, values in sorted(self.latencies.items()):
            rows.append(f"| {kind} | {len(values):,} | {_pct(values, 50):.0f} | {_pct(values, 95):.0f} | "
                        f"{_pct(values, 99):.0f} |")
        every = [v for values in self.latencies.values() for v in values]
        rows.append(f"| **all** | **{len(every):,}** | {_pct(every, 50):.0f} | {_pct(every, 95):.0f} | "
                    f"{_pct(every, 99):.0f} |")
        return "\n".join(rows)

    def summary(self) -> str:
        return (f"{self.requests:,} requests in {self.seconds:.1f} s over {self.connections} connections: "
                f"{self.requests / self.seconds:.1f} req/s, {self.bytes / 1e6:.1f} MB, 5xx {self.server_errors}, "
                f"connection errors {sum(self.errors.values())}, other non-2xx {self.bad or 'none'}")


def _pct(values: list[float], pct: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0] * 1000
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1] * 1000


def pick_targets(*, api_key: str = "", threats: int = 20, values: int = 40) -> list[Target]:
    """A weighted rotation over the seeded data: lookups most often, full feeds least (they are the heaviest)."""
    from apikeys.tlp import TLP
    from iocs.models import IOC, Status
    from misp_feed.feed import listed_uuids, public_scope
    from threats.models import Threat

    clear = list(Threat.objects.filter(tlp=TLP.CLEAR).order_by("-last_seen").values_list("public_id", "uuid")[:threats])
    iocs = list(IOC.objects.filter(tlp=TLP.CLEAR, status=Status.CONFIRMED).order_by("-last_seen")
                .values_list("value", flat=True)[:values])
    misp_events = [Target("misp event", f"/misp/{uid}.json") for uid in sorted(listed_uuids(public_scope()))]
    if not clear or not iocs or not misp_events:
        raise SystemExit("no TLP:CLEAR threats or confirmed IOCs: seed the database first (manage.py seed_demo)")
    key = (("X-API-Key", api_key),) if api_key else ()
    lookups = [Target("lookup", "/api/iocs/lookup?" + str(httpx.QueryParams({"value": v}))) for v in iocs]
    stix = [Target("threat stix", f"/api/threats/{pid}/stix") for pid, _ in clear]
    ioc_lists = [Target("threat iocs csv", f"/api/threats/{pid}/iocs?format=csv") for pid, _ in clear]
    feeds = [Target("public feed txt", "/api/iocs/public/feed.txt"),
             Target("public feed json", "/api/iocs/public/feed.json"),
             Target("misp manifest", "/misp/manifest.json"), Target("misp hashes", "/misp/hashes.csv")]
    if key:
        feeds += [Target("v1 feed csv (key)", "/api/public/v1/iocs/feed?format=csv", key),
                  Target("misp token manifest (key)", "/api/misp/manifest.json", key)]
    rotation: list[Target] = []
    for i in range(max(len(lookups), len(stix))):
        rotation += [lookups[i % len(lookups)], lookups[(i + 1) % len(lookups)], stix[i % len(stix)],
                     ioc_lists[i % len(ioc_lists)], misp_events[i % len(misp_events)]]
        if i % 2 == 0:
            rotation.append(feeds[(i // 2) % len(feeds)])
    return rotation


async def _connection(client: httpx.AsyncClient, targets: itertools.cycle, stats: Stats, stop_at: float) -> None:
    while time.monotonic() < stop_at:
        target = next(targets)
        started = time.monotonic()
        try:
            response = await client.get(target.path, headers=dict(target.headers))
        except httpx.HTTPError as exc:
            stats.errors[f"{type(exc).__name__} on {target.kind}"] += 1
            continue
        stats.latencies[target.kind].append(time.monotonic() - started)
        stats.statuses[response.status_code] += 1
        stats.bytes += len(response.content)


async def warm_up(client: httpx.AsyncClient, targets: list[Target], rounds: int = 2) -> None:
    """Each kind of request a few times before the clock starts: the first one in each server process
    pays one-off costs (imports, galaxy data) that are not what this measures."""
    first = {t.kind: t for t in reversed(targets)}
    for _ in range(rounds):
        await asyncio.gather(*(client.get(t.path, headers=dict(t.headers)) for t in first.values()))


async def run_load(base: str, targets: list[Target], *, connections: int = 32, seconds: float = 60.0,
                   timeout: float = 60.0) -> Stats:
    """``connections`` keep-alive connections, each sending requests back to back until ``seconds`` pass
    (after a short warm-up whose answers are not counted)."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request otherwise
    stats = Stats(connections=connections)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) for _ in range(connections)]
    async with httpx.AsyncClient(base_url=base, timeout=timeout) as client:
        await warm_up(client, targets)
    started = time.monotonic()
    try:
        offsets = [k * len(targets) // connections for k in range(connections)]  # spread over the rotation
        await asyncio.gather(*(
            _connection(client, itertools.cycle(targets[at:] + targets[:at]), stats, started + seconds)
            for at, client in zip(offsets, clients, strict=True)))
    finally:
        for client in clients:
            await client.aclose()
    stats.seconds = time.monotonic() - started
    return stats


def write_results(path: Path, stats: Stats, command: str, note: str) -> None:
    """Replace (or append) the section of bench/RESULTS.md with this run."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = (f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, load average "
               f"{os.getloadavg()[0]:.1f} at the end of the run (other builds share the machine: a lower bound)")
    block = (f"{SECTION}\n\n{note}\n\nCommand:\n\n```sh\n{command}\n```\n\nThis run: {when}; {machine}.\n\n"
             f"{stats.summary()}.\n\n{stats.table()}\n")
    text = path.read_text() if path.exists() else ""
    head, found, tail = text.partition(SECTION)
    if found:
        rest = tail.split("\n## ", 1)
        text = head + block + ("\n## " + rest[1] if len(rest) > 1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--api-key", default="")
    parser.add_argument("--results", type=Path, help="write the numbers into this RESULTS.md")
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "threatcluster.settings")
    import django

    django.setup()
    targets = pick_targets(api_key=args.api_key)
    stats = asyncio.run(run_load(args.base, targets, connections=args.connections, seconds=args.seconds))
    print(stats.summary())
    print(stats.table())
    if args.results:
        write_results(args.results, stats, " ".join(sys.argv), args.note)
    return 1 if stats.bad else 0


if __name__ == "__main__":
    sys.exit(main())
