"""The removal log: every IOC that left the published set, written by the database when it happens.

A consumer that polls ``?since=T`` must learn about every IOC it may hold that is no longer
published, and only about those it may have held: a value that was TLP:RED all along must never be
shown to a TLP:CLEAR caller as "removed". So the log keeps the IOC as it was *before* the change
(type, value, TLP, confidence, last_seen), and the feed shows an entry only to callers who could
have seen that earlier state. Rows are inserted by triggers on the IOC table (``triggers.py``), so
no code path (the classifier's bulk ``update()``, the admin, a data migration, raw SQL) can change
an IOC without leaving its trace. Ageing out of a window needs no log: it is computed from
``last_seen`` (``query.py``).

The stored CSV segments (:class:`FeedSegment`, :class:`SegmentChange`, :class:`SegmentHorizon`) are
the body of the large CSV feeds kept per block of IOC ids, and the log of which blocks each
committed transaction changed: see :mod:`iocs.feeds.segments`.
"""

from __future__ import annotations

from django.db import models


class RemovalCause(models.TextChoices):
    FALSE_POSITIVE = "false_positive", "Reclassified as false positive"
    PENDING = "pending", "Sent back to review"
    TLP = "tlp", "Moved to a stricter TLP"
    CONFIDENCE = "confidence", "Confidence changed"
    CHANGED = "changed", "Type or value changed"
    DELETED = "deleted", "Deleted"
    EXPIRED = "expired", "Aged out of the window"  # computed, never stored


class Removal(models.Model):
    """One confirmed IOC leaving the published set, with its state before the change."""

    ioc_id = models.BigIntegerField(help_text="The IOC's id (no foreign key: a deleted IOC keeps its entry).")
    type = models.CharField(max_length=8)
    value = models.CharField(max_length=2048)
    tlp = models.PositiveSmallIntegerField(help_text="TLP before the change: who may learn of the removal.")
    confidence = models.CharField(max_length=8)
    last_seen = models.DateTimeField(help_text="last_seen before the change: which windows held it.")
    first_seen = models.DateTimeField(help_text="Kept for the revoked STIX indicator (its valid_from).")
    created_at = models.DateTimeField(help_text="The IOC's creation: the revoked indicator's ``created``.")
    cause = models.CharField(max_length=16, choices=RemovalCause.choices)
    at = models.DateTimeField(help_text="When the change was written (database clock).")

    class Meta:
        indexes = [
            models.Index(fields=["at"], name="feeds_removal_at_idx"),
            models.Index(fields=["ioc_id", "at"], name="feeds_removal_ioc_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type}:{self.value} removed ({self.cause}) at {self.at:%Y-%m-%dT%H:%M:%SZ}"


class FeedSegment(models.Model):
    """One block of a CSV feed body (the IOCs with ids in ``[block * IDS, (block + 1) * IDS)``),
    deflate-compressed, and what it is valid for: the snapshot it was read in, the time it was
    rendered at and the time its oldest row leaves the window. Its data is its parts (``PART`` ids
    each) compressed one by one and concatenated, so that a part can be rendered again alone and
    the others kept as they are. Written and read by :mod:`iocs.feeds.segments` (raw SQL: the
    snapshot is PostgreSQL's ``pg_snapshot``, as text)."""

    variant = models.CharField(max_length=32, help_text="What shapes the bytes: filters, clearance, defang.")
    block = models.BigIntegerField()
    snapshot = models.TextField(help_text="pg_current_snapshot() of the statement that rendered it.")
    cluster = models.BigIntegerField(help_text="The PostgreSQL cluster's system identifier (its transaction ids).")
    rendered_at = models.DateTimeField(help_text="The dataset's clock when rendered (its window's edge).")
    expires_at = models.DateTimeField(null=True, help_text="When its oldest row leaves the window (none: never).")
    length = models.IntegerField(help_text="Bytes of text.")
    crc = models.BigIntegerField(help_text="CRC-32 of the text.")
    shift = models.BigIntegerField(help_text="x^(8 * length) modulo the CRC-32 polynomial (combines the CRC).")
    data = models.BinaryField(help_text="The text, raw deflate, ended by a full flush.")
    parts = models.JSONField(help_text="Per part, in order: [bytes of data, when its oldest row leaves the window "
                                       "(ISO 8601) or null].")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["variant", "block"], name="feeds_segment_variant_block")]

    def __str__(self) -> str:
        return f"CSV block {self.block} of {self.variant} ({self.length} bytes)"


class SegmentChange(models.Model):
    """A transaction (its top-level id, ``xid8``) that changed what a part of a block (``PART`` IOC
    ids: ``[part * PART, (part + 1) * PART)``) renders to; part -1: every part. Written by triggers
    (:mod:`iocs.feeds.segments.triggers`)."""

    part = models.BigIntegerField()
    xid = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["part", "xid"], name="feeds_segmentchange_part_xid")]

    def __str__(self) -> str:
        return f"part {self.part} changed by transaction {self.xid}"


class SegmentHorizon(models.Model):
    """One row: changes of transactions below ``xid_floor`` were pruned from the log, so a segment read in a
    snapshot that may not have seen one of them (its own xmin is lower) is no longer trusted."""

    xid_floor = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"change log pruned below transaction {self.xid_floor}"
