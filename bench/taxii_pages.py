"""Walk TAXII collections of a large PostgreSQL database page by page, through the real views.

    DATABASE_URL=postgres://…/tc_bench python manage.py seed_demo --iocs 1000000 --threats 10000
    DATABASE_URL=postgres://…/tc_bench python bench/taxii_pages.py [--limit 5000] [--threat-pages 20]

Follows ``next`` through the whole ``indicators`` collection as a staff caller (every TLP) and checks
that each object comes exactly once and that the count is the number of confirmed IOCs plus the
Identity and the markings; prints the latency of the first, middle and last pages (keyset paging:
they should not differ), then the same for the first pages of the ``threats`` collection.
Rate limiting is off; the numbers include authentication, the query, the STIX builder and JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "threatcluster.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

from iocs.models import IOC  # noqa: E402

TAXII = "application/taxii+json;version=2.1"


def ms(samples: list[float]) -> str:
    return f"p50 {statistics.median(samples) * 1000:.0f} ms, max {max(samples) * 1000:.0f} ms, n={len(samples)}"


def walk(client: Client, alias: str, limit: int, max_pages: int | None = None):
    """Yield (seconds, envelope) per page, following ``next``."""
    params = {"limit": limit}
    pages = 0
    while True:
        started = time.perf_counter()
        response = client.get(f"/taxii2/api/collections/{alias}/objects/", params, headers={"Accept": TAXII})
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.content[:500]
        envelope = response.json()
        yield elapsed, envelope
        pages += 1
        if not envelope["more"] or (max_pages and pages >= max_pages):
            return
        params["next"] = envelope["next"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=5000)
    parser.add_argument("--threat-pages", type=int, default=20)
    args = parser.parse_args()
    user, _ = get_user_model().objects.get_or_create(username="taxii-bench", defaults={"is_staff": True})
    client = Client()
    client.force_login(user)
    expected = IOC.objects.filter(status="confirmed").count() + 5 + 1  # + the five markings and the Identity
    with override_settings(RATELIMIT_ENABLE=False):
        seen: set[bytes] = set()
        times: list[float] = []
        started = time.perf_counter()
        for elapsed, envelope in walk(client, "indicators", args.limit):
            times.append(elapsed)
            for obj in envelope["objects"]:
                key = hashlib.blake2b(obj["id"].encode(), digest_size=12).digest()
                assert key not in seen, f"{obj['id']} listed twice"
                seen.add(key)
        total = time.perf_counter() - started
        third = max(1, len(times) // 3)
        print(f"indicators: {len(seen)} objects (expected {expected}) in {len(times)} pages of {args.limit}, "
              f"{total:.1f} s")
        print(f"  first third {ms(times[:third])}; middle {ms(times[third:-third] or times)}; "
              f"last third {ms(times[-third:])}")
        threat_times, threat_objects = [], 0
        for elapsed, envelope in walk(client, "threats", 1000, args.threat_pages):
            threat_times.append(elapsed)
            threat_objects += len(envelope["objects"])
        print(f"threats: first {len(threat_times)} pages of 1000, {threat_objects} objects, {ms(threat_times)}")
    return 0 if len(seen) == expected else 1


if __name__ == "__main__":
    sys.exit(main())
