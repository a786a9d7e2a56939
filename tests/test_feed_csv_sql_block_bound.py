"""A block of the SQL-written CSV stays small whatever attackers put in titles, URLs and values.

PostgreSQL writes the token CSV in blocks of ``csvsql.RANGE`` ids, and a block is held whole (by
libpq, then as one Python string) while it is forwarded. Article titles and URLs come from the
feeds we read and IOC values from their text: every field can be at its maximum length and full of
quotes (doubled by CSV quoting). The widest row the renderer can write, times the ids in a block,
must stay within the budget, or one crafted report could take a worker past its memory goal.
"""

from django.utils import timezone

from iocs.feeds import csvsql
from iocs.feeds.citations import MAX_CITATIONS
from iocs.feeds.renderers import CsvRenderer
from iocs.feeds.renderers.base import FeedMeta
from iocs.models import IOC
from threats.models import Article, Threat

BUDGET_CHARACTERS = 16 * 2**20  # a str of non-ASCII text takes up to 4 bytes a character


def longest(model, field: str, char: str = '"') -> str:
    return char * model._meta.get_field(field).max_length


def widest_row() -> dict:
    now = timezone.now()
    source = {"title": longest(Article, "title"), "url": "https://x/" + longest(Article, "url")[10:],
              "date": "2026-01-01", "threat_id": longest(Threat, "public_id", "f")}
    return {"type": "domain", "value": longest(IOC, "value"), "confidence": "medium",
            "reason": longest(IOC, "reason"), "tlp": 4, "first_seen_iso": now.isoformat(),
            "last_seen_iso": now.isoformat(), "sources": [source] * MAX_CITATIONS}


def test_a_block_of_the_widest_rows_stays_within_the_budget():
    meta = FeedMeta(title="t", url="u", generated_at=timezone.now(), additions=1, removals=0, license="l",
                    publisher="p")
    _header, line = CsvRenderer().stream([widest_row()], meta)
    assert len(line) > 25_000  # the row really is the widest: quotes doubled in every outside field
    assert len(line) * csvsql.RANGE <= BUDGET_CHARACTERS, f"{len(line) * csvsql.RANGE:,} characters a block"
