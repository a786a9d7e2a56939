"""One article through the pipeline: text, extraction, galaxy names, clustering, sightings, score.

An article is *processed* once its ``content_hash`` is set; that happens in the same transaction as
its sightings, so a crash before the commit leaves it unprocessed and a retry starts clean, and a
second run finds it processed and skips it. The network (the page fetch) and the extractor run
before the transaction, so the write lock is held only for the database work.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from apikeys.tlp import default_tlp
from threats.models import Article, Malware, Source, SourceKind, Threat

from . import clustering, entities, fetch, galaxies, scoring, text
from .record import Findings, Recorded, clustering_lock, found_ioc, record, upsert_iocs

logger = logging.getLogger(__name__)
MIN_PAGE_CHARS = 200
SUMMARY_CHARS = 600
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")

NEW, SKIPPED, DUPLICATE, FAILED, NO_FINDINGS = "new", "skipped", "duplicate", "failed", "no_findings"


@dataclass
class ArticleResult:
    article_id: int
    status: str
    threat_id: int | None = None
    decision: str = ""
    new_ioc_ids: list[int] = field(default_factory=list)
    seen_ioc_ids: list[int] = field(default_factory=list)
    error: str = ""


def publisher_of(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def analyze(body: str, title: str = "") -> Findings:
    """Extract IOCs, CVEs and techniques, and recognise galaxy names, in a report's text."""
    from iocs.extraction import extract_iocs

    findings = Findings()
    for item in extract_iocs(body):
        if item.type == "cve":
            row = entities.vulnerability(item.value)
            if row:
                findings.vulnerabilities.append(row)
        elif item.type == "attack-pattern":
            row = entities.attack_pattern(item.value)
            if row:
                findings.attack_patterns.append(row)
        else:
            found = found_ioc(item.type, item.value, getattr(item, "context", ""), item)
            if found:
                findings.iocs.append(found)
    for entity in galaxies.find_entities(f"{title}\n{body}"):
        row = entities.from_galaxy(entity)
        (findings.actors if entity.kind == galaxies.ACTOR else findings.malware).append(row)
    return findings


def page_text(article: Article, *, raise_transient: bool = False) -> str:
    """The article's main text from its page, or ``""`` when the page fails (the caller keeps the
    feed's summary). With ``raise_transient``, timeouts and 5xx propagate so that a task retries."""
    source = article.source
    trusted = bool(source and publisher_of(source.url) == publisher_of(article.url)
                   and urlsplit(source.url).hostname == urlsplit(article.url).hostname)
    try:
        resp = fetch.get(article.url, trusted=trusted, max_bytes=fetch.MAX_PAGE_BYTES,
                         accept="text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.5")
    except fetch.TransientFetchError as exc:
        if raise_transient:
            raise
        logger.info("page of article %s not used after retries: %s", article.pk, exc)
        return ""
    except fetch.FetchError as exc:
        logger.info("page of article %s not used: %s", article.pk, exc)
        return ""
    kind = resp.headers.get("Content-Type", "").lower()
    try:
        if "pdf" in kind:
            return text.pdf_to_text(resp.body)
        if "html" in kind or "xml" in kind or not kind:
            return text.html_to_text(resp.body, url=resp.url)
        if kind.startswith("text/"):
            return text.decode(resp.body)[: text.MAX_TEXT_CHARS]
    except ValueError as exc:
        logger.info("page of article %s unreadable: %s", article.pk, exc)
    return ""


def lead(body: str, limit: int = SUMMARY_CHARS) -> str:
    """The opening sentences of a text, at most ``limit`` characters, cut at a sentence end."""
    flat = " ".join(body.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit]
    ends = [m.start() for m in _SENTENCE_END.finditer(cut)]
    return cut[: ends[-1]] if ends and ends[-1] > limit // 3 else cut.rsplit(" ", 1)[0] + "…"


def describe_threat(threat: Threat) -> None:
    """Title and summary from the threat's articles: the first report's title and lead, then who
    reported it."""
    articles = list(threat.articles.order_by("published_at", "fetched_at", "pk")
                    .values_list("title", "text", "publisher")[:200])
    if not articles:
        return
    first = next((a for a in articles if a[0]), articles[0])
    publishers = sorted({a[2] for a in articles if a[2]})
    summary = lead(next((a[1] for a in articles if a[1]), ""))
    if len(articles) > 1:
        summary += (f"\n\nReported in {len(articles)} articles by {len(publishers)} publisher(s): "
                    f"{', '.join(publishers)}.")
    threat.title = (first[0] or threat.title or "Untitled report")[:500]
    threat.summary = summary.strip()


def _article_tlp(article: Article) -> int:
    return article.source.tlp if article.source else default_tlp()


def _evidence(article: Article, findings: Findings, ioc_ids: set[int], when: datetime,
              tlp: int) -> clustering.Evidence:
    return clustering.Evidence(
        when=when, tlp=tlp, title=article.title, ioc_ids=ioc_ids,
        actor_ids={a.pk for a in findings.actors},
        malware_ids={m.pk for m in findings.malware
                     if m.kind == Malware.Kind.MALWARE and m.name not in clustering.COMMODITY},
        cve_ids={v.pk for v in findings.vulnerabilities},
    )


def process_article(article_id: int, *, fetch_page: bool = True, tlp: int | None = None,
                    raise_transient: bool = False) -> ArticleResult:
    """Run one stored article through the pipeline (see the module docstring).

    ``raise_transient``: a page that times out or answers 5xx raises :class:`fetch.TransientFetchError`
    (a task retries later) instead of falling back to the feed's summary at once."""
    article = Article.objects.select_related("source").get(pk=article_id)
    if article.content_hash:
        return ArticleResult(article.pk, SKIPPED, article.threat_id)
    body = article.text
    is_web = article.url.startswith(("http://", "https://"))
    if fetch_page and is_web and (article.source is None or article.source.kind in (SourceKind.RSS, SourceKind.PAGE)):
        page = page_text(article, raise_transient=raise_transient)
        if len(page) >= MIN_PAGE_CHARS or (page and not body):
            body = page
    body = text.clean(body)
    if not body.strip():
        return ArticleResult(article.pk, FAILED, error="no text: the page failed and the feed gave no summary")
    findings = analyze(body, article.title)
    return _commit(article.pk, body, findings, tlp if tlp is not None else _article_tlp(article))


def _commit(article_id: int, body: str, findings: Findings, tlp: int) -> ArticleResult:
    digest = text.content_hash(body)
    with transaction.atomic():
        clustering_lock()
        article = Article.objects.select_for_update().get(pk=article_id)
        if article.content_hash:
            return ArticleResult(article.pk, SKIPPED, article.threat_id)
        article.text, article.content_hash = body, digest
        twin = (Article.objects.filter(content_hash=digest).exclude(pk=article.pk)
                .exclude(threat=None).values_list("threat_id", flat=True).first())
        if twin:  # the same report under another URL: cite the threat, add no second sighting
            article.threat_id = twin
            article.save(update_fields=["text", "content_hash", "threat"])
            return ArticleResult(article.pk, DUPLICATE, twin)
        if not findings:
            article.save(update_fields=["text", "content_hash"])
            return ArticleResult(article.pk, NO_FINDINGS)
        when = article.published_at or timezone.now()
        upserted = upsert_iocs(findings.iocs, seen_at=when, tlp=tlp)
        ids = upserted[0]
        decision = clustering.choose_threat(_evidence(article, findings, set(ids.values()), when, tlp))
        threat = decision.threat or Threat.objects.create(title=(article.title or "Untitled report")[:500], tlp=tlp,
                                                          first_seen=when, last_seen=when)
        article.threat = threat
        article.save(update_fields=["text", "content_hash", "threat"])
        done: Recorded = record(article, threat, findings, seen_at=when, upserted=upserted)
        finish_threat(threat, when)
    logger.info("article %s: %s", article.pk, decision)
    return ArticleResult(article.pk, NEW, threat.pk, str(decision), done.new_ioc_ids, done.seen_ioc_ids)


def finish_threat(threat: Threat, when: datetime | None = None, *, describe: bool = True) -> None:
    """After a threat gained something: its dates, title and summary (from its articles, unless an
    import gave them), score, and ``updated_at``."""
    if when:
        threat.first_seen = min(threat.first_seen, when)
        threat.last_seen = max(threat.last_seen, when)
    if describe:
        describe_threat(threat)
    threat.threat_score = scoring.compute_score(threat)
    threat.updated_at = timezone.now()
    threat.save(update_fields=["first_seen", "last_seen", "title", "summary", "threat_score", "updated_at"])


def store_document(url: str, body: str, *, title: str = "", published_at: datetime | None = None,
                   source: Source | None = None) -> tuple[Article, bool]:
    """Create (or find) the article row for a document whose text we already have."""
    return Article.objects.get_or_create(url=url[:2000], defaults={
        "title": (title or text.title_of(body, url))[:500], "publisher": publisher_of(url), "source": source,
        "published_at": published_at, "text": body[: text.MAX_TEXT_CHARS],
    })
