"""``manage.py ingest URL|PATH …``: article URLs, feed URLs, local documents and folders, STIX/MISP files."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from apikeys.tlp import TLP
from threats.ingest import targets


class Command(BaseCommand):
    help = ("Ingest article URLs, RSS/Atom feed URLs, local .txt/.md/.html/.pdf files or folders, and STIX 2.1 "
            "bundle or MISP event .json files; prints articles new/skipped/failed and IOCs new/seen again.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("targets", nargs="+", metavar="URL|PATH")
        parser.add_argument("--tlp", default=settings.TLP_DEFAULT,
                            help="TLP of what is ingested when the source says nothing (default: %(default)s).")
        parser.add_argument("--no-fetch", action="store_true",
                            help="Use feed summaries; do not fetch each article's page.")
        parser.add_argument("--dry-run", action="store_true", help="Do everything, then roll it back.")

    def handle(self, *args, **options) -> None:
        try:
            tlp = int(TLP.from_slug(options["tlp"]))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        summary = targets.Summary()
        queue = list(targets.expand(options["targets"]))
        if options["dry_run"]:
            with transaction.atomic():
                self._run(queue, summary, tlp, not options["no_fetch"], options["verbosity"])
                transaction.set_rollback(True)
        else:  # each article commits on its own: an interruption loses only the one in progress
            self._run(queue, summary, tlp, not options["no_fetch"], options["verbosity"])
        self._report(summary, options["dry_run"])
        if summary.articles_failed and not (summary.articles_new or summary.articles_skipped):
            raise CommandError("nothing could be ingested")

    def _run(self, queue: list[targets.Task], summary: targets.Summary, tlp: int, fetch_pages: bool,
             verbosity: int) -> None:
        with tqdm(total=len(queue), unit="item", disable=verbosity < 1, file=self.stderr._out) as bar:
            while queue:
                task = queue.pop(0)
                bar.set_postfix_str(task.target[-40:], refresh=False)
                follow = targets.run(task, summary, tlp=tlp, fetch_pages=fetch_pages)
                queue.extend(follow)
                bar.total += len(follow)
                bar.update(1)

    def _report(self, summary: targets.Summary, dry_run: bool) -> None:
        for error in summary.errors:
            self.stderr.write(self.style.ERROR(f"failed: {error}"))
        line = (f"articles: {summary.articles_new} new, {summary.articles_skipped} skipped, "
                f"{summary.articles_failed} failed; IOCs: {summary.iocs_new} new, {summary.iocs_seen} seen again; "
                f"threats touched: {len(summary.threat_ids)}")
        self.stdout.write(self.style.SUCCESS(line + (" (dry run: rolled back)" if dry_run else "")))
