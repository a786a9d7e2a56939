"""Sources, articles, threats (incident clusters), their entities, and sightings of IOCs.

A :class:`Sighting` is "this IOC was seen in this article of this threat", with the sentence it
came from: source citations and "which reports mention this IOC" are built on it.
"""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.utils import timezone

from apikeys.tlp import TLP, default_tlp
from iocs.models import IOC


class SourceKind(models.TextChoices):
    RSS = "rss", "RSS/Atom feed"
    PAGE = "page", "Single web page"
    STIX = "stix", "STIX 2.1 bundle"
    MISP = "misp", "MISP event"
    FILE = "file", "Local file"


class Source(models.Model):
    """A publisher feed polled on a schedule, with its polling state for conditional GET and back-off."""

    name = models.CharField(max_length=200)
    url = models.URLField(max_length=2000, unique=True)
    kind = models.CharField(max_length=8, choices=SourceKind.choices, default=SourceKind.RSS)
    enabled = models.BooleanField(default=False, help_text="Polled only when enabled by staff.")
    tlp = models.PositiveSmallIntegerField(choices=TLP.choices, default=default_tlp,
                                           help_text="TLP given to what this source brings in.")
    poll_interval_minutes = models.PositiveIntegerField(default=60)
    etag = models.CharField(max_length=500, blank=True, default="")
    last_modified = models.CharField(max_length=100, blank=True, default="")
    last_polled_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    error_count = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


def new_public_id() -> str:
    """8 lowercase hex characters, unique among threats (drawn again on the rare collision)."""
    while True:
        candidate = secrets.token_hex(4)
        if not Threat.objects.filter(public_id=candidate).exists():
            return candidate


class ThreatActor(models.Model):
    name = models.CharField(max_length=200, unique=True)
    aliases = models.JSONField(default=list, blank=True)
    description = models.TextField(blank=True, default="")
    galaxy_uuid = models.UUIDField(null=True, blank=True, help_text="MISP galaxy cluster this name came from.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True, help_text="STIX ``modified``: moves when it is saved.")

    def __str__(self) -> str:
        return self.name


class Malware(models.Model):
    class Kind(models.TextChoices):
        MALWARE = "malware", "Malware"
        TOOL = "tool", "Tool"

    name = models.CharField(max_length=200, unique=True)
    aliases = models.JSONField(default=list, blank=True)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.MALWARE)
    is_family = models.BooleanField(default=True)
    description = models.TextField(blank=True, default="")
    galaxy_uuid = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True, help_text="STIX ``modified``: moves when it is saved.")

    class Meta:
        verbose_name_plural = "malware"

    def __str__(self) -> str:
        return self.name


class AttackPattern(models.Model):
    technique_id = models.CharField(max_length=16, unique=True, help_text="ATT&CK id, e.g. T1059.001.")
    name = models.CharField(max_length=200, blank=True, default="")
    tactics = models.JSONField(default=list, blank=True, help_text="Tactic shortnames, e.g. ['execution'].")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True, help_text="STIX ``modified``: moves when it is saved.")

    class Meta:
        ordering = ["technique_id"]

    def __str__(self) -> str:
        return f"{self.technique_id} {self.name}".strip()


class Vulnerability(models.Model):
    cve_id = models.CharField(max_length=32, unique=True)
    description = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True, help_text="STIX ``modified``: moves when it is saved.")

    class Meta:
        verbose_name_plural = "vulnerabilities"
        ordering = ["cve_id"]

    def __str__(self) -> str:
        return self.cve_id


class Threat(models.Model):
    """An incident cluster: articles about one campaign or incident, with its IOCs and entities."""

    public_id = models.CharField(max_length=8, unique=True, default=new_public_id, editable=False)
    uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False,
                            help_text="MISP event uuid and the seed of STIX ids.")
    title = models.CharField(max_length=500)
    summary = models.TextField(blank=True, default="")
    threat_score = models.PositiveSmallIntegerField(default=0, help_text="0-100, from documented evidence.")
    tlp = models.PositiveSmallIntegerField(choices=TLP.choices, default=default_tlp)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, help_text="Moves when the threat changes.")
    actors = models.ManyToManyField(ThreatActor, blank=True, related_name="threats")
    malware = models.ManyToManyField(Malware, blank=True, related_name="threats")
    attack_patterns = models.ManyToManyField(AttackPattern, blank=True, related_name="threats")
    vulnerabilities = models.ManyToManyField(Vulnerability, blank=True, related_name="threats")

    class Meta:
        indexes = [
            models.Index(fields=["tlp", "-last_seen"], name="threat_tlp_recent_idx"),
            models.Index(fields=["-threat_score", "-last_seen"], name="threat_score_idx"),
            # TAXII: the threats collection in (date added, id) order, keyset-paged (threats.taxii.graph).
            models.Index(fields=["updated_at", "id"], name="threat_added_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.title}"

    def touch(self) -> None:
        """Mark the threat changed (STIX ``modified``, MISP ``timestamp``)."""
        self.updated_at = timezone.now()
        self.save(update_fields=["updated_at"])


class Article(models.Model):
    url = models.URLField(max_length=2000, unique=True)
    title = models.CharField(max_length=500, blank=True, default="")
    publisher = models.CharField(max_length=255, blank=True, default="", help_text="Publisher's domain.")
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles")
    threat = models.ForeignKey(Threat, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles")
    published_at = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)
    text = models.TextField(blank=True, default="")
    content_hash = models.CharField(max_length=64, blank=True, default="", db_index=True,
                                    help_text="SHA-256 of the text: the same report under two URLs.")

    class Meta:
        indexes = [
            models.Index(fields=["threat", "-published_at"], name="article_threat_idx"),
            # The admin's "IOCs by source" filter and its list of publishers.
            models.Index(fields=["publisher"], name="article_publisher_idx"),
        ]

    def __str__(self) -> str:
        return self.title or self.url


class Sighting(models.Model):
    """An IOC seen in an article of a threat, with a short context snippet."""

    ioc = models.ForeignKey(IOC, on_delete=models.CASCADE, related_name="sightings")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="sightings")
    threat = models.ForeignKey(Threat, on_delete=models.CASCADE, related_name="sightings")
    context = models.CharField(max_length=500, blank=True, default="")
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ioc", "article"], name="sighting_unique_ioc_article")]
        indexes = [
            models.Index(fields=["threat", "ioc"], name="sighting_threat_ioc_idx"),
            models.Index(fields=["ioc", "threat"], name="sighting_ioc_threat_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ioc} in {self.article_id}"


class IndicatorId(models.Model):
    """The STIX id of each IOC's Indicator, for TAXII ``match[id]`` and ``objects/{id}/``.

    The id is a UUIDv5 of the IOC's type and value (``threats.stix``): SQL cannot compute it (no SHA-1
    without extensions), so this index is filled from Python by ``threats.taxii.ids`` for the rows
    that lack one; it is derived data, rebuilt if ``ORG_UUID`` changes.
    """

    ioc = models.OneToOneField(IOC, primary_key=True, on_delete=models.CASCADE, related_name="+")
    stix_uuid = models.UUIDField(unique=True)

    def __str__(self) -> str:
        return f"indicator--{self.stix_uuid}"


class ThreatWithdrawal(models.Model):
    """A threat deleted or merged into another: TAXII pollers get its Report back once, revoked.

    Written when the threat row is deleted (``threats.withdrawals``, every ORM delete: the admin,
    a merge, a queryset). Deletion is final (a threat's uuid is never given again), which is what
    STIX asks of a revocation; a TLP made stricter is not logged, as it can be loosened again.
    """

    class Cause(models.TextChoices):
        DELETED = "deleted", "Deleted"
        MERGED = "merged", "Merged into another threat"

    threat_id = models.BigIntegerField(help_text="The threat's id (no foreign key: the row is gone).")
    uuid = models.UUIDField(help_text="The threat's uuid: the seed of its Report's STIX id.")
    public_id = models.CharField(max_length=8)
    title = models.CharField(max_length=500)
    tlp = models.PositiveSmallIntegerField(help_text="The threat's TLP: who may learn of the withdrawal.")
    created_at = models.DateTimeField(help_text="The threat's creation: the Report's ``created``.")
    updated_at = models.DateTimeField(help_text="The threat's last change: the last Report version's ``modified``.")
    cause = models.CharField(max_length=8, choices=Cause.choices, default=Cause.DELETED)
    merged_into = models.UUIDField(null=True, blank=True, help_text="The surviving threat's uuid (merges).")
    at = models.DateTimeField(default=timezone.now, help_text="When the threat was withdrawn.")

    class Meta:
        indexes = [
            models.Index(fields=["at", "id"], name="threat_withdrawn_at_idx"),  # TAXII: keyset by withdrawal
            models.Index(fields=["uuid", "id"], name="threat_withdrawn_uuid_idx"),  # the latest entry per threat
            models.Index(fields=["public_id"], name="threat_withdrawn_public_idx"),  # 410 for an old id
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.title} ({self.cause} at {self.at:%Y-%m-%dT%H:%M:%SZ})"
