"""The IOC: one row per (type, normalised value), with the classifier's verdict and its review.

The IOC core knows no clusters (see DESIGN.md): what the threats app learns about an IOC that the
classifier and the feeds need is kept here in plain fields, maintained by ``threats``:
``tlp`` (visibility: the least restrictive TLP among the threats it was seen in), ``source_count``
(independent articles citing it) and ``evidence`` (how it appeared in reports).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apikeys.tlp import TLP, default_tlp

from .normalize import IOCType, normalize


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    CONFIRMED = "confirmed", "Confirmed"
    FALSE_POSITIVE = "false_positive", "False positive"


class Confidence(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class IOCQuerySet(models.QuerySet):
    def update(self, **kwargs) -> int:
        """Bulk updates move ``updated_at`` too, so "what changed since T" (feed deltas, retractions)
        can trust it whichever code path changed the row."""
        kwargs.setdefault("updated_at", timezone.now())
        return super().update(**kwargs)

    def visible_to(self, clearance: int) -> IOCQuerySet:
        """IOCs a caller with this TLP clearance may see (false positives included; feeds drop them)."""
        return self.filter(tlp__lte=clearance)

    def published(self) -> IOCQuerySet:
        """What feeds may carry: confirmed, never pending or false positive."""
        return self.filter(status=Status.CONFIRMED)


class IOC(models.Model):
    type = models.CharField(max_length=8, choices=IOCType.choices)
    value = models.CharField(max_length=2048, help_text="Normalised (refanged, canonical case).")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    confidence = models.CharField(max_length=8, choices=Confidence.choices, blank=True, default="",
                                  help_text="Set when confirmed.")
    reason = models.CharField(max_length=500, blank=True, default="", help_text="Why the verdict, for humans.")
    classifier_version = models.CharField(max_length=32, blank=True, default="")
    classified_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="reviewed_iocs")
    reviewed_at = models.DateTimeField(null=True, blank=True,
                                       help_text="Set by a manual review; the classifier never overrides it.")
    tlp = models.PositiveSmallIntegerField(choices=TLP.choices, default=default_tlp,
                                           help_text="Visibility: least restrictive TLP of the threats citing it.")
    source_count = models.PositiveIntegerField(default=0, help_text="Independent articles that cite it.")
    evidence = models.JSONField(default=dict, blank=True, help_text="How reports presented it (for the classifier).")
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = IOCQuerySet.as_manager()

    class Meta:
        verbose_name = "IOC"
        constraints = [
            models.UniqueConstraint(fields=["type", "value"], name="ioc_unique_type_value"),
            models.CheckConstraint(
                condition=Q(status="confirmed", confidence__in=["high", "medium", "low"])
                | (~Q(status="confirmed") & Q(confidence="")),
                name="ioc_confidence_iff_confirmed",
            ),
        ]
        indexes = [
            # Feeds: confirmed rows of some confidence, in a last_seen window, by clearance.
            models.Index(fields=["status", "confidence", "last_seen"], name="ioc_feed_idx"),
            models.Index(fields=["status", "type", "last_seen"], name="ioc_feed_type_idx"),
            # Reverse lookup is on (type, value) via the unique constraint; value alone when the type is guessed.
            models.Index(fields=["value"], name="ioc_value_idx"),
            # The pending count and the review queue.
            models.Index(fields=["status", "first_seen"], name="ioc_status_age_idx"),
            # TAXII: confirmed (and, for threat graphs, pending) IOCs in (date added, id) order, keyset-paged
            # (threats.taxii.indicators, threats.taxii.threat_graphs).
            models.Index(fields=["updated_at", "id"], name="ioc_taxii_listed_idx",
                         condition=Q(status__in=["confirmed", "pending"])),
        ]

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"

    def save(self, *args, **kwargs) -> None:
        self.value = normalize(self.type, self.value)
        super().save(*args, **kwargs)

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None
