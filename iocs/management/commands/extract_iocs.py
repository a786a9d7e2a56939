"""``manage.py extract_iocs FILE... [--json] [--classify] [--published-only]``: what we would
publish from these reports, without touching the database ("-" reads standard input)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from iocs.reports import extraction_rows


class Command(BaseCommand):
    help = ("Extract IOCs from text files (Markdown, AsciiDoc, HTML reduced to text, plain text) and print "
            "them; each file is one article whose publisher is unknown. No database access.")
    requires_system_checks: list = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help='report files ("-" for standard input)')
        parser.add_argument("--json", action="store_true", help="one JSON object per line")
        parser.add_argument("--classify", action="store_true",
                            help="add the offline classifier's status, confidence and reason")
        parser.add_argument("--published-only", action="store_true",
                            help="with --classify: only the IOCs that would be published (confirmed)")

    def handle(self, *args, files: list[str], json: bool, classify: bool, published_only: bool, **opts) -> None:
        if published_only and not classify:
            raise CommandError("--published-only needs --classify")
        for name in files:
            rows = extraction_rows(self._read(name), source=name, classify=classify, published_only=published_only)
            for row in rows:
                self.stdout.write(self._format(row, as_json=json))

    @staticmethod
    def _read(name: str) -> str:
        if name == "-":
            return sys.stdin.read()
        path = Path(name)
        if not path.is_file():
            raise CommandError(f"{name}: no such file")
        try:
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise CommandError(f"{name}: {exc.strerror or exc}") from exc

    @staticmethod
    def _format(row: dict, *, as_json: bool) -> str:
        if as_json:
            return json.dumps(row, ensure_ascii=False)
        cols = [row["file"], row["type"], row["value"]]
        if "status" in row:
            cols += [row["status"], row["confidence"] or "-", row["reason"]]
        return "\t".join(cols)
