"""``manage.py seed_demo [--threats N] [--iocs M] [--seed S] [--flush] [--if-empty]``."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from iocs.models import IOC
from threats import demo


class Command(BaseCommand):
    help = "Create a deterministic synthetic dataset (threats, articles, IOCs of every type, sightings)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--threats", type=int, default=60, help="number of threats (default 60)")
        parser.add_argument("--iocs", type=int, default=3000, help="number of IOCs (default 3000)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument("--flush", action="store_true", help="delete existing threats, articles and IOCs first")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when IOCs already exist")

    def handle(self, *args, threats: int, iocs: int, seed: int, flush: bool, if_empty: bool, **opts) -> None:
        if threats < 1 or iocs < 0:
            raise CommandError("--threats must be at least 1 and --iocs at least 0")
        if IOC.objects.exists():
            if if_empty:
                self.stdout.write("Database already holds IOCs; nothing seeded.")
                return
            if not flush:
                raise CommandError("The database already holds IOCs: use --flush to replace them, or --if-empty.")
            demo.flush_demo_data()
        with tqdm(total=iocs, unit="ioc", disable=opts["verbosity"] < 1, file=self.stderr) as bar:
            summary = demo.seed(threats=threats, iocs=iocs, seed=seed, progress=bar.update)
        self.stdout.write(self.style.SUCCESS(
            f"Seeded {summary.threats} threats, {summary.articles} articles, {summary.iocs} IOCs, "
            f"{summary.sightings} sightings (seed {seed})."
        ))
