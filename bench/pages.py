"""Server-side timings of the pages on a large PostgreSQL database (render included, network excluded).

    DATABASE_URL=postgres://…/tc_bench python manage.py seed_demo --iocs 1000000 --threats 10000
    DATABASE_URL=postgres://…/tc_bench REDIS_URL=redis://…/N python bench/pages.py [--runs 20]

For each page: the first request after the cached aggregates were dropped (cold: the counts and the
30-day chart are computed) and the median of ``--runs`` warm requests, as anonymous (TLP:CLEAR) and
as staff (every TLP). The IOC table's second page is reached through its own "Older" link (keyset).
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
# Production settings: DEBUG off, so templates are compiled once (DEBUG re-reads them on every request).
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from iocs.models import IOC  # noqa: E402
from threats.models import Sighting, Threat  # noqa: E402


def timed(client: Client, url: str) -> tuple[float, bytes]:
    start = time.perf_counter()
    response = client.get(url, secure=True)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    return elapsed, response.content


def drop_aggregates() -> None:
    today = timezone.now().date().isoformat()
    cache.delete_many([key for n in range(5)
                       for key in (f"pages:iocs:counts:v2:{n}", f"pages:iocs:daily:v2:{n}:{today}")])


def older_link(html: bytes) -> str:
    text = html.decode()
    return "/iocs?" + text.split('rel="next" href="/iocs?', 1)[1].split('"', 1)[0].replace("&amp;", "&")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    biggest = (Sighting.objects.filter(threat__tlp=0).values("threat_id").order_by()
               .annotate(n=Count("id")).order_by("-n").first())
    threat = Threat.objects.get(pk=biggest["threat_id"])
    print(f"{IOC.objects.count()} IOCs, {Threat.objects.count()} threats; biggest threat {threat.public_id} "
          f"({biggest['n']} sightings)")
    value = IOC.objects.filter(status="confirmed", tlp=0).values_list("value", flat=True).first()
    staff, _ = get_user_model().objects.get_or_create(username="bench-staff", defaults={"is_staff": True})
    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    storages = {**settings.STORAGES, "staticfiles": plain}
    with override_settings(RATELIMIT_ENABLE=False, STORAGES=storages):  # no collectstatic manifest needed
        for who in ("anonymous", "staff"):
            client = Client()
            if who == "staff":
                client.force_login(staff)
            drop_aggregates()
            cold, first = timed(client, "/iocs")
            pages = ["/iocs", "/iocs?type=xmr&confidence=low", older_link(first), "/threats/", "/threats/?sort=score",
                     "/threats/?q=cobalt&min_score=50", f"/threats/{threat.public_id}", f"/iocs/lookup?value={value}"]
            print(f"\n{who}: /iocs cold (aggregates computed) {cold:.0f} ms")
            print(f"{'page':60} {'median ms':>10} {'max ms':>8}")
            for url in pages:
                samples = [timed(client, url)[0] for _ in range(args.runs)]
                print(f"{url[:60]:60} {statistics.median(samples):10.1f} {max(samples):8.1f}")


if __name__ == "__main__":
    main()
