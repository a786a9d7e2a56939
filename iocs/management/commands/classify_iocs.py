"""``manage.py classify_iocs [--batch-size N] [--limit N] [--reclassify] [--dry-run]``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from iocs.classifier.service import DEFAULT_BATCH, classify_pending, pending_total


class Command(BaseCommand):
    help = ("Run the offline classifier over pending IOCs (pending -> confirmed high/medium/low or "
            "false_positive). IOCs reviewed by staff are never changed.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH, help=f"rows per batch ({DEFAULT_BATCH})")
        parser.add_argument("--limit", type=int, default=None, help="stop after this many IOCs")
        parser.add_argument("--reclassify", action="store_true",
                            help="also re-judge unreviewed IOCs classified by another classifier version")
        parser.add_argument("--dry-run", action="store_true", help="only count what would be classified")

    def handle(self, *args, batch_size: int, limit: int | None, reclassify: bool, dry_run: bool, **opts) -> None:
        if batch_size < 1 or (limit is not None and limit < 1):
            raise CommandError("--batch-size and --limit must be at least 1")
        total = pending_total(reclassify=reclassify)
        if limit is not None:
            total = min(total, limit)
        if dry_run:
            self.stdout.write(f"{total} IOC(s) would be classified.")
            return
        with tqdm(total=total, unit="ioc", disable=opts["verbosity"] < 1, file=self.stderr) as bar:
            result = classify_pending(batch_size=batch_size, limit=limit, reclassify=reclassify, progress=bar.update)
        self.stdout.write(self.style.SUCCESS(
            f"Classified {result.classified} IOC(s): {result.confirmed} confirmed, "
            f"{result.false_positive} false positive(s)."
        ))
