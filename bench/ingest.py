"""Articles per second through the whole ingestion pipeline on this machine.

A local HTTP server publishes an RSS feed whose items link to HTML pages made from the real report
texts of ``../shared/corpus/dev/docs`` (or synthetic reports with ``--synthetic``). The pipeline then
runs exactly as in production, in one process: poll the source (conditional GET, feedparser), and
for each article fetch the page, reduce it to text (trafilatura), extract IOCs, recognise galaxy
names, cluster, record sightings, score; then classify the new IOCs in batches when the classifier
is installed. The galaxy matcher and the warninglists are loaded before the clock starts (a worker
process loads them once).

    python bench/ingest.py                       # every corpus document, fresh SQLite file
    python bench/ingest.py --limit 20 --json     # what the test suite runs
    DATABASE_URL=postgres://…/tc_bench python bench/ingest.py   # a database you can drop

Prints one line of JSON with ``--json``, otherwise a short report.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import platform
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("TC_SHARED", ROOT.parent / "shared")) / "corpus" / "dev" / "docs"


def documents(limit: int | None, synthetic: bool) -> list[tuple[str, str]]:
    if synthetic or not CORPUS.is_dir():
        docs = [(f"Synthetic report {n}", _synthetic(n)) for n in range(limit or 50)]
    else:
        docs = [(p.stem, p.read_text(encoding="utf-8", errors="replace")) for p in sorted(CORPUS.glob("*.txt"))]
    return docs[:limit] if limit else docs


def _synthetic(n: int) -> str:
    octet = n % 250 + 1
    return (f"Campaign {n} delivered a loader. The implant beaconed to 198.51.{octet}.{(n * 7) % 250 + 1} and "
            f"update-{n}.example-c2.net over HTTPS, downloading hxxp://cdn-{n}[.]example-c2[.]net/p.bin. "
            f"The dropper SHA-256 is {hashlib.sha256(str(n).encode()).hexdigest()}. The actor exploited "
            f"CVE-2023-{1000 + n} (T1190).\n") * 3


def page(title: str, body: str) -> bytes:
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in body.splitlines() if line.strip())
    return (f"<!doctype html><html><head><title>{html.escape(title)}</title></head><body><nav>Home</nav>"
            f"<article><h1>{html.escape(title)}</h1>{paragraphs}</article><footer>(c)</footer></body></html>").encode()


def serve(docs: list[tuple[str, str]]) -> tuple[ThreadingHTTPServer, str]:
    pages: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/rss+xml" if self.path == "/feed.xml" else "text/html")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    items = []
    for n, (title, body) in enumerate(docs):
        pages[f"/report/{n}"] = page(title, body)
        items.append(f"<item><title>{html.escape(title)}</title><link>{base}/report/{n}</link>"
                     f"<description>{html.escape(body[:300])}</description></item>")
    pages["/feed.xml"] = (f"<?xml version='1.0'?><rss version='2.0'><channel><title>bench</title>"
                          f"<link>{base}/</link><description>bench</description>{''.join(items)}</channel></rss>"
                          ).encode()
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, base


def setup_django() -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "threatcluster.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    os.environ.pop("REDIS_URL", None)  # in-process: the number is the pipeline's, not the broker's
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='tc-bench-')}/bench.sqlite3"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return os.environ["DATABASE_URL"].split("://", 1)[0]


def run(docs: list[tuple[str, str]]) -> dict:
    from iocs.models import IOC
    from threats.ingest import articles, feeds, galaxies
    from threats.models import Source, Threat

    galaxies.default_matcher()  # built once per worker process, not per article
    classify = _classifier()
    from iocs.classifier.warninglists import get_warninglists

    get_warninglists()  # likewise loaded once per worker process
    httpd, base = serve(docs)
    try:
        source = Source.objects.create(name="bench", url=f"{base}/feed.xml", enabled=True)
        start = time.perf_counter()
        polled = feeds.poll_source(source.pk)
        results = [articles.process_article(pk) for pk in polled.article_ids]
        new_iocs = [pk for r in results for pk in r.new_ioc_ids]
        classifying = time.perf_counter()
        for i in range(0, len(new_iocs), 500):
            classify(new_iocs[i:i + 500])
        elapsed = time.perf_counter() - start
        classify_seconds = time.perf_counter() - classifying
    finally:
        httpd.shutdown()
    statuses = [r.status for r in results]
    return {
        "articles": len(results), "seconds": round(elapsed, 3),
        "articles_per_second": round(len(results) / elapsed, 2) if elapsed else None,
        "classify_seconds": round(classify_seconds, 3),
        "failed": statuses.count(articles.FAILED), "iocs": IOC.objects.count(), "threats": Threat.objects.count(),
        "classified": not IOC.objects.filter(status="pending").exists(),
        "text_mb": round(sum(len(b) for _, b in docs) / 1e6, 2),
    }


def _classifier():
    """The article tasks' classification step (one batch of new IOCs), run in-process."""
    from threats.tasks import classify_batch

    return classify_batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N documents")
    parser.add_argument("--synthetic", action="store_true", help="synthetic reports instead of the corpus")
    parser.add_argument("--json", action="store_true", help="one line of JSON")
    args = parser.parse_args()
    engine = setup_django()
    docs = documents(args.limit, args.synthetic)
    result = run(docs) | {
        "database": engine, "machine": f"{platform.machine()}, {os.cpu_count()} CPU, {platform.python_version()}",
        "date": datetime.now(UTC).strftime("%Y-%m-%d"), "corpus": "synthetic" if args.synthetic or not CORPUS.is_dir()
        else "shared/corpus/dev/docs",
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"{result['articles']} articles ({result['text_mb']} MB of text) in {result['seconds']} s "
          f"(classification of the new IOCs: {result['classify_seconds']} s): {result['articles_per_second']} "
          f"articles/s on {result['machine']}, {engine}; {result['iocs']} IOCs "
          f"({'all classified' if result['classified'] else 'some still pending'}), {result['threats']} threats, "
          f"{result['failed']} failed")


if __name__ == "__main__":
    main()
