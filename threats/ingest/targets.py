"""``manage.py ingest URL|PATH …``: what each argument is, and running it through the pipeline.

An argument is an article URL, a feed URL (told apart by parsing what the URL returns), a local file
or a folder (read recursively: .txt, .md, .html, .pdf documents; .json files are STIX 2.1 bundles
or MISP events, told apart by their content). The command only shows progress; the work is here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from threats.models import Source, SourceKind

from . import articles, feeds, fetch, text
from .imports import ImportResult, InvalidImport, load_json
from .misp import import_misp
from .stix import import_stix

logger = logging.getLogger(__name__)
DOCUMENT_SUFFIXES = text.SUPPORTED_SUFFIXES
JSON_SUFFIXES = frozenset({".json"})


@dataclass
class Summary:
    articles_new: int = 0
    articles_skipped: int = 0
    articles_failed: int = 0
    iocs_new: int = 0
    iocs_seen: int = 0
    threat_ids: set[int] = field(default_factory=set)
    new_ioc_ids: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def article(self, result: articles.ArticleResult) -> None:
        if result.status in (articles.NEW, articles.NO_FINDINGS):
            self.articles_new += 1
        elif result.status == articles.FAILED:
            self.articles_failed += 1
            self.errors.append(f"article {result.article_id}: {result.error}")
        else:
            self.articles_skipped += 1
        self.iocs_new += len(result.new_ioc_ids)
        self.iocs_seen += len(result.seen_ioc_ids)
        self.new_ioc_ids += result.new_ioc_ids
        if result.threat_id:
            self.threat_ids.add(result.threat_id)

    def imported(self, result: ImportResult) -> None:
        self.articles_new += result.articles_new
        self.articles_skipped += result.articles_skipped
        self.iocs_new += result.iocs_new
        self.iocs_seen += result.iocs_seen
        self.new_ioc_ids += result.new_ioc_ids
        self.threat_ids.update(result.threat_ids)

    def failed(self, what: str, error: str) -> None:
        self.articles_failed += 1
        self.errors.append(f"{what}: {error}")


@dataclass
class Task:
    """One unit of work for the progress bar: a file, a URL, or an article of a feed."""

    kind: str  # "document", "json", "url", "article"
    target: str
    article_id: int | None = None


def expand(targets: list[str]) -> Iterator[Task]:
    """The tasks for the command-line arguments; folders are walked in name order."""
    for target in targets:
        if target.startswith(("http://", "https://")):
            yield Task("url", target)
            continue
        path = Path(target)
        if not path.exists():
            yield Task("missing", target)
        elif path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                kind = _file_kind(child)
                if kind:
                    yield Task(kind, str(child))
        else:
            yield Task(_file_kind(path) or "unsupported", str(path))


def _file_kind(path: Path) -> str | None:
    suffix = path.suffix.lower()
    return "json" if suffix in JSON_SUFFIXES else "document" if suffix in DOCUMENT_SUFFIXES else None


def run(task: Task, summary: Summary, *, tlp: int, fetch_pages: bool = True) -> list[Task]:
    """Do one task, recording its outcome in ``summary``; returns follow-up tasks (a feed's articles)."""
    try:
        if task.kind == "article":
            summary.article(articles.process_article(task.article_id, fetch_page=fetch_pages, tlp=tlp))
        elif task.kind == "document":
            summary.article(ingest_file(Path(task.target), tlp=tlp))
        elif task.kind == "json":
            summary.imported(import_file(Path(task.target), tlp=tlp))
        elif task.kind == "url":
            return ingest_url(task.target, summary, tlp=tlp, fetch_pages=fetch_pages)
        elif task.kind == "missing":
            summary.failed(task.target, "no such file or folder")
        else:
            summary.failed(task.target, f"unsupported file type; use {', '.join(sorted(DOCUMENT_SUFFIXES))} or .json")
    except InvalidImport as exc:  # its message names the file already
        summary.failed(task.target, str(exc).removeprefix(f"{Path(task.target).name}: "))
    except (fetch.FetchError, ValueError, OSError) as exc:
        summary.failed(task.target, str(exc))
    return []


def ingest_file(path: Path, *, tlp: int) -> articles.ArticleResult:
    """A local document as an article (URL ``file://…``); the same text under another path is a duplicate."""
    body = text.file_to_text(path)
    if not body.strip():
        raise ValueError("no text in the file")
    article, _ = articles.store_document(path.resolve().as_uri(), body, title=text.title_of(body, path.name))
    return articles.process_article(article.pk, fetch_page=False, tlp=tlp)


def import_file(path: Path, *, tlp: int) -> ImportResult:
    """A STIX bundle or MISP event file, told apart by content."""
    data = path.read_bytes()
    document = load_json(data, path.name)
    if isinstance(document, dict) and document.get("type") == "bundle":
        return import_stix(data, name=path.name, default_tlp=tlp)
    return import_misp(data, name=path.name, default_tlp=tlp)


def ingest_url(url: str, summary: Summary, *, tlp: int, fetch_pages: bool) -> list[Task]:
    """A feed URL becomes a (disabled) Source polled now, its articles follow-up tasks; any other URL
    is one article."""
    resp = fetch.get(url, trusted=True, accept=feeds.FEED_ACCEPT + ", text/html;q=0.8",
                     max_bytes=fetch.MAX_FEED_BYTES)
    if _looks_like_feed(resp):
        try:
            title, _ = feeds.parse_feed(resp.body, resp.url)
        except fetch.FetchError:
            title = ""
        else:
            source, _ = Source.objects.get_or_create(url=url[:2000], defaults={
                "name": (title or articles.publisher_of(url))[:200], "kind": SourceKind.RSS, "tlp": tlp})
            result = feeds.poll_source(source.pk, force=True)
            if result.status == "error":
                raise fetch.FetchError(result.error)
            return [Task("article", url, pk) for pk in result.article_ids]
    body = _page_body(resp)
    if not body.strip():
        raise fetch.FetchError("no main text found on the page")
    with transaction.atomic():
        article, _ = articles.store_document(url, body, title=_html_title(resp.body))
    summary.article(articles.process_article(article.pk, fetch_page=False, tlp=tlp))
    return []


def _looks_like_feed(resp: fetch.Response) -> bool:
    kind = resp.headers.get("Content-Type", "").lower()
    head = resp.body[:500].lstrip().lower()
    return any(k in kind for k in ("rss", "atom", "/xml")) or head.startswith((b"<?xml", b"<rss", b"<feed"))


def _page_body(resp: fetch.Response) -> str:
    if "pdf" in resp.headers.get("Content-Type", "").lower():
        return text.pdf_to_text(resp.body)
    return text.html_to_text(resp.body, url=resp.url)


def _html_title(body: bytes) -> str:
    import trafilatura

    meta = trafilatura.extract_metadata(text.decode(body))
    return (meta.title if meta and meta.title else "")[:500]
