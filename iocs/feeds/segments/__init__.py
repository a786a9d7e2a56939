"""The large CSV feeds' bodies, stored per block of IOC ids and re-rendered only where the data changed.

A million-IOC token CSV is 221 MB, 140 MB of it citation cells from a join over 1.6 M sightings:
PostgreSQL takes ~4-9 s to write it (:mod:`..csvsql`), 13x a ``COPY`` of the values. Between two
generations of a feed, ingestion changes a few hundred of its 700,000 rows. So the body is kept as
:class:`~..models.FeedSegment` rows, one per block of ``IDS`` ids (512) and variant (the filters,
the clearance, ``defang``: what shapes the bytes), deflate-compressed (:mod:`..deflate`), and a
body is put together from the stored blocks that are still valid plus the others put together
again now (and stored for the next caller). Gzip clients get the stored bytes as they are.

A block is eight parts of ``PART`` ids (64), and changes are logged per part: a block found stale
has only its changed parts rendered again (200 scattered changes: ~200 parts of ~45 rows, ~0.2 s,
instead of ~190 blocks of ~360 rows, ~1 s), the others taken from its stored text, and it is
compressed again whole. Which parts changed is decided by the statement that renders them, in its
own snapshot (:data:`store.RENDER`): the parts kept and the parts rendered are the same moment's,
the one the block is stored with.

**When a stored block is valid** (:data:`store.VALID`), for a request whose dataset clock is *now*:

- no transaction it did not see changed its block: triggers (:mod:`.triggers`) log
  ``(part, transaction id)`` for every committed change to what the part renders from (IOCs,
  sightings, threats' ids and TLPs, articles' dates, URLs and titles), and each segment keeps the
  ``pg_snapshot`` of the statement that rendered it; any logged transaction not visible in that
  snapshot (running then, or later) makes it stale. A change rolled back logs nothing; one
  committed while the block was being rendered is invisible to its snapshot, so it counts;
- the log was not pruned past what its snapshot saw (:class:`~..models.SegmentHorizon`), and it
  was rendered in this PostgreSQL cluster (transaction ids are the cluster's own: a dump restored
  elsewhere brings blocks whose snapshots would judge other transactions by the same numbers);
- time did not move a row out of the window: ``rendered_at <= now < expires_at``, the time its
  oldest row's ``last_seen`` leaves the window (a row outside it can only come back by a write,
  which is logged); each part keeps its own, so only the part whose row left is rendered again;
- every trigger is installed and enabled (checked per body): otherwise nothing is trusted.

Blocks are checked and fetched 64 at a time, each group in one statement, so a body's blocks come
from several snapshots a few milliseconds apart, as a live render's rows would from one: each
block is exactly the database's state at its own moment, never a mix within a block.

The bytes are the renderer's: the same SQL renders a part (``csvsql.chunk``),
and the tests compare bodies after every kind of write (``tests/test_feed_csv_segments.py``).
:func:`store.prune` (hourly, ``feeds-prune``) drops variants nobody read for a day and blocks
nothing can be kept of, re-stamps the valid ones and trims the log.
"""

from .store import chunks, flush, prune, usable, variant

__all__ = ["chunks", "flush", "prune", "usable", "variant"]
