"""``manage.py ingest``: files, folders, URLs, STIX/MISP imports; summary and idempotent re-runs."""

import io
import json
import shutil

import pytest
from django.core.management import CommandError, call_command

from iocs.models import IOC
from tests.conftest import require_shared
from tests.ingest_support import LocalServer, html_page, rss
from threats.models import Article, Sighting, Source, Threat

REPORT = ("Operation Example: the Gamaredon group sent spear-phishing e-mails. The payload downloaded a second "
          "stage from hxxp://update-check[.]example-bad[.]com/load.php and beaconed to 203.0.113.77. "
          "The dropper has SHA-256 {sha}. The actors exploited CVE-2023-38831 in WinRAR (T1204.002).\n")


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("ingest", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def counts():
    return (Threat.objects.count(), Article.objects.count(), IOC.objects.count(), Sighting.objects.count())


@pytest.mark.django_db
@pytest.mark.shared
def test_misp_folder_imports_reports_the_invalid_file_and_reruns_idempotently(tmp_path):
    folder = require_shared("corpus", "misp_events", "eset")
    for name in ("sshdoor__misp-events__abafar.json", "turla__misp-turla-crutch-event.json",
                 "pypi_backdoor__malicious_pypi_packages.misp-event.json"):
        shutil.copy(folder / name, tmp_path / name)
    out, err = run(str(tmp_path), "--verbosity", "0")
    assert "articles: 2 new, 0 skipped, 1 failed" in out
    assert "pypi_backdoor__malicious_pypi_packages.misp-event.json: invalid JSON at line 37374" in err
    before = counts()
    out, _ = run(str(tmp_path), "--verbosity", "0")
    assert "articles: 0 new, 2 skipped, 1 failed; IOCs: 0 new," in out
    assert counts() == before


@pytest.mark.django_db
def test_a_stix_bundle_file_and_the_dry_run(tmp_path):
    from tests.test_ingest_stix_import import bundle

    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle()))
    out, _ = run(str(path), "--dry-run", "--verbosity", "0")
    assert "IOCs: 6 new" in out and "dry run" in out and counts() == (0, 0, 0, 0)
    out, _ = run(str(path), "--tlp", "green", "--verbosity", "0")
    assert "articles: 1 new" in out and Threat.objects.get().tlp == 2  # the bundle's amber marking wins


@pytest.mark.django_db
def test_bad_arguments_fail_with_a_clear_message(tmp_path):
    with pytest.raises(CommandError, match="unknown TLP"):
        run(str(tmp_path), "--tlp", "purple")
    (tmp_path / "notes.docx").write_bytes(b"x")
    with pytest.raises(CommandError, match="nothing could be ingested"):
        run(str(tmp_path / "missing.txt"), str(tmp_path / "notes.docx"), "--verbosity", "0")


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF showing ``text`` in Helvetica (enough for a text extractor)."""
    stream = f"BT /F1 10 Tf 20 700 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@pytest.mark.django_db
def test_local_documents_of_every_kind_and_a_rerun(tmp_path):
    sha = "4f2a7d1c9b3e8f60a5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a2918f0e1"
    (tmp_path / "a.txt").write_text(REPORT.format(sha=sha))
    (tmp_path / "b.md").write_text("# Follow-up\n\n" + REPORT.format(sha=sha).replace("203.0.113.77", "203.0.113.78"))
    (tmp_path / "c.html").write_bytes(html_page("Gamaredon update", [REPORT.format(sha=sha)]))
    (tmp_path / "d.pdf").write_bytes(minimal_pdf("Beacon to 198.51.100.23 seen by the Gamaredon group"))
    (tmp_path / "ignored.png").write_bytes(b"\x89PNG")
    out, err = run(str(tmp_path), "--verbosity", "0")
    assert "articles: 4 new, 0 skipped, 0 failed" in out, err
    assert IOC.objects.filter(value="198.51.100.23").exists()  # read from the PDF
    assert Article.objects.filter(url=(tmp_path / "a.txt").as_uri()).exists()
    threat = Threat.objects.get(articles__url=(tmp_path / "a.txt").as_uri())
    assert threat.articles.count() >= 3  # shared IOCs, CVE and actor: one incident
    assert threat.actors.filter(name__icontains="Gamaredon").exists()
    assert threat.vulnerabilities.filter(cve_id="CVE-2023-38831").exists()
    assert set(IOC.objects.values_list("status", flat=True)) == {"pending"}
    assert all(IOC.objects.values_list("evidence", flat=True))  # how each report presented it, for the classifier
    before = counts()
    out, _ = run(str(tmp_path), "--verbosity", "0")
    assert "articles: 0 new, 4 skipped, 0 failed; IOCs: 0 new, 0 seen again" in out
    assert counts() == before


@pytest.mark.django_db
def test_a_feed_url_and_an_article_url():
    server = LocalServer()
    try:
        server.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, rss([
            {"title": "One", "link": server.url("/one"), "description": "summary one"},
            {"title": "Two", "link": server.url("/two"), "description": REPORT.format(sha="ab" * 32)}]))
        server.routes["/one"] = (200, {"Content-Type": "text/html"},
                                 html_page("One", [REPORT.format(sha="cd" * 32)] * 2))
        server.routes["/two"] = (500, {}, b"")  # page fails: the feed's summary is used
        server.routes["/page"] = (200, {"Content-Type": "text/html"},
                                  html_page("A page", [REPORT.format(sha="ef" * 32)]))
        out, err = run(server.url("/feed.xml"), server.url("/page"), "--verbosity", "0")
        assert "articles: 3 new, 0 skipped, 0 failed" in out, err
        source = Source.objects.get(url=server.url("/feed.xml"))
        assert not source.enabled  # staff decide whether to poll it
        assert "203.0.113.77" in Article.objects.get(url=server.url("/two")).text
        assert Article.objects.get(url=server.url("/page")).title == "A page"
        out, _ = run(server.url("/feed.xml"), "--verbosity", "0")
        assert "articles: 0 new, 0 skipped" in out  # processed articles are not listed again
    finally:
        server.close()


@pytest.mark.django_db
@pytest.mark.shared
@pytest.mark.slow
def test_real_report_texts(tmp_path):
    docs = require_shared("corpus", "dev", "docs")
    for path in sorted(docs.glob("*.txt"))[:8]:
        shutil.copy(path, tmp_path / path.name)
    out, err = run(str(tmp_path), "--verbosity", "0")
    assert "articles: 8 new, 0 skipped, 0 failed" in out, err
    assert IOC.objects.count() > 50 and Threat.objects.exists()
    assert Sighting.objects.exclude(context="").count() == Sighting.objects.count()
