"""``manage.py feed_segments``: what the stored CSV blocks hold; ``--prune`` or ``--flush`` them.

``--flush`` after loading data in a session whose triggers did not fire
(``session_replication_role = replica``, ``pg_restore --disable-triggers``): the change log then
missed those writes, and stored blocks would go on showing the data as it was. After restoring a
dump into another cluster it is only quicker: those blocks are never trusted there, but the log and
horizon brought along hold the other cluster's transaction ids.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import connection
from django.db.models import Count, Max, Min, Sum

from iocs.feeds import segments
from iocs.feeds.models import FeedSegment, SegmentChange
from iocs.feeds.segments import triggers


class Command(BaseCommand):
    help = "Show the stored CSV feed blocks (iocs/feeds/segments); --prune or --flush them."

    def add_arguments(self, parser) -> None:
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--prune", action="store_true", help="What the hourly task does: drop stale and "
                            "unused blocks, trim the change log.")
        action.add_argument("--flush", action="store_true", help="Drop every stored block.")

    def handle(self, *args, prune: bool = False, flush: bool = False, **options) -> None:
        if connection.vendor != "postgresql":
            self.stdout.write("Stored CSV blocks are PostgreSQL's; this database keeps none.")
            return
        if flush:
            self.stdout.write(f"Dropped {segments.flush()} stored blocks.")
        elif prune:
            done = segments.prune()
            self.stdout.write(f"Dropped {done['segments']} blocks and {done['changes']} change-log entries.")
        with connection.cursor() as cursor:
            enabled = triggers.all_enabled(cursor)
        self.stdout.write(f"Triggers: {'all enabled' if enabled else 'MISSING OR DISABLED: blocks are not used'}.")
        for row in (FeedSegment.objects.values("variant").annotate(
                blocks=Count("id"), text=Sum("length"), oldest=Min("rendered_at"), newest=Max("rendered_at"))
                .order_by("variant")):
            self.stdout.write(f"{row['variant']}: {row['blocks']} blocks, {row['text'] / 1e6:.1f} MB of text, "
                              f"rendered {row['oldest']:%Y-%m-%d %H:%M} .. {row['newest']:%Y-%m-%d %H:%M} UTC")
        self.stdout.write(f"Change log: {SegmentChange.objects.count()} entries.")
