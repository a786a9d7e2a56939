"""What the STIX and MISP importers share: strict JSON loading, TLP, and writing one report.

An imported report (a MISP event, a STIX Report) becomes one Threat whose UUID is the report's own
(so importing it again updates the same threat), one Article standing for the report itself
(``urn:uuid:<report uuid>``) carrying the sightings, and one Article per reference link it cites.
A file is imported in one transaction: an error anywhere imports nothing from it.

TLP: the threat gets the **most restrictive** TLP found on the report and on the items imported into
it (never less restrictive than anything the source marked), or the caller's default when the source
says nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from apikeys.tlp import TLP
from threats.models import Article, Threat

from . import text, visibility
from .articles import finish_threat, publisher_of
from .record import Findings, record

PUBLIC_ID = re.compile(r"[0-9a-f]{8}")


class InvalidImport(ValueError):
    """The file cannot be imported; the message says why (and nothing was imported)."""


@dataclass
class ImportResult:
    threats_new: int = 0
    threats_updated: int = 0
    articles_new: int = 0
    articles_skipped: int = 0
    iocs_new: int = 0
    iocs_seen: int = 0
    threat_ids: list[int] = field(default_factory=list)
    new_ioc_ids: list[int] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)  # what was not imported, by kind

    def add(self, other: ImportResult) -> None:
        for name in ("threats_new", "threats_updated", "articles_new", "articles_skipped", "iocs_new", "iocs_seen"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.threat_ids += other.threat_ids
        self.new_ioc_ids += other.new_ioc_ids
        self.skipped.update(other.skipped)


def load_json(data: bytes | str, name: str) -> object:
    """Parse JSON or raise :class:`InvalidImport` naming the file, line and column. NUL characters
    (``\\u0000``, which PostgreSQL text cannot hold) are dropped."""
    try:
        if isinstance(data, bytes):
            data = data.decode("utf-8")
        return json.loads(data.replace("\\u0000", ""))
    except json.JSONDecodeError as exc:
        raise InvalidImport(f"{name}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    except UnicodeDecodeError as exc:
        raise InvalidImport(f"{name}: not UTF-8 text ({exc.reason})") from exc


def tlp_from_tag(tag: str) -> TLP | None:
    """``tlp:amber``, ``TLP:AMBER+STRICT``, ``tlp:white`` -> TLP; other tags (``tlp:ex:chr``) -> None."""
    if not tag.lower().startswith("tlp:"):
        return None
    try:
        return TLP.from_slug(tag)
    except ValueError:
        return None


def strictest(levels, default: int) -> int:
    levels = [int(x) for x in levels if x is not None]
    return max(levels) if levels else int(default)


@dataclass
class Report:
    """One report to import, in our terms."""

    uuid: str
    title: str
    published: datetime
    tlp: int
    publisher: str = ""
    summary: str = ""
    references: list[tuple[str, str]] = field(default_factory=list)  # (url, title)
    findings: Findings = field(default_factory=Findings)
    public_id: str = ""  # a ThreatCluster export's own threat id: kept when free
    ours: bool = False  # exported by this very instance (same ORG_NAME): update that threat


def report_url(uuid: str) -> str:
    return f"urn:uuid:{uuid}"


def write_report(report: Report) -> ImportResult:
    """Upsert the report's threat, articles, IOCs, sightings and entities (call inside a transaction)."""
    result = ImportResult()
    threat = Threat.objects.filter(public_id=report.public_id).first() if report.ours and report.public_id else None
    created = False
    if threat is None:
        defaults = {"title": report.title[:500] or "Untitled report", "summary": report.summary, "tlp": report.tlp,
                    "first_seen": report.published, "last_seen": report.published, "created_at": timezone.now()}
        if PUBLIC_ID.fullmatch(report.public_id) and not Threat.objects.filter(public_id=report.public_id).exists():
            defaults["public_id"] = report.public_id
        threat, created = Threat.objects.get_or_create(uuid=report.uuid, defaults=defaults)
    tlp_changed = not created and threat.tlp != report.tlp
    if not created:
        threat.title, threat.summary, threat.tlp = report.title[:500] or threat.title, report.summary, report.tlp
        threat.save(update_fields=["title", "summary", "tlp"])
    result.threats_new, result.threats_updated = int(created), int(not created)
    article, new_article = Article.objects.get_or_create(url=report_url(report.uuid), defaults={
        "title": report.title[:500], "publisher": report.publisher[:255], "published_at": report.published,
        "text": report.summary, "threat": threat,
        "content_hash": hashlib.sha256(report_url(report.uuid).encode()).hexdigest(),
    })
    if article.threat_id != threat.pk:
        article.threat = threat
        article.save(update_fields=["threat"])
    result.articles_new, result.articles_skipped = int(new_article), int(not new_article)
    for url, title in report.references:
        reference, _ = Article.objects.get_or_create(url=url[:2000], defaults={
            "title": (title or url)[:500], "publisher": publisher_of(url), "published_at": report.published,
            "threat": threat})
        if reference.threat_id is None:  # known but in no threat: it is this report's source
            Article.objects.filter(pk=reference.pk).update(threat=threat)
    done = record(article, threat, report.findings, seen_at=report.published)
    if tlp_changed:
        visibility.recompute_for_threat(threat.pk)
    finish_threat(threat, report.published, describe=False)
    result.iocs_new, result.iocs_seen = len(done.new_ioc_ids), len(done.seen_ioc_ids)
    result.threat_ids.append(threat.pk)
    result.new_ioc_ids += done.new_ioc_ids
    return result


def summary_of(description: str) -> str:
    return text.fragment_to_text(description or "")[:20_000]
