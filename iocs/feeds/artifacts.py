"""Pre-rendered feed bodies on disk (``settings.FEED_ARTIFACT_DIR``), gzip-compressed.

One file per (generation, format, options): written while the first response streams (or by the
Celery task for the public feeds), then served to every later caller of that generation with the
same bytes, so the strong ETag is honest and a million-row feed costs the database once per
generation. Gzip callers get the file as is; the others get it decompressed on the fly. Files
are written to a temporary name and renamed into place, so a half-written body is never served.
Only the feeds' default datasets are stored (a handful of files); custom parameters stream live.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from isal import isal_zlib

from .deflate import GZIP, GzipWriter, Segment

READ_CHUNK = 64 * 1024
KEEP_UNUSED_SECONDS = 24 * 3600


def directory() -> Path:
    return Path(settings.FEED_ARTIFACT_DIR) / "responses"


def path_for(etag_base: str) -> Path:
    return directory() / f"{etag_base}.gz"


class ArtifactWriter:
    """Compresses what it is given into a temporary file; :meth:`finish` puts it in place."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        self.file = self.tmp.open("wb")
        self.gzip = GzipWriter()

    def write(self, data: bytes | Segment) -> bytes:
        """Compress ``data`` (a stored segment: as it is), store it, return the compressed bytes
        (to send to a gzip client as well)."""
        out = self.gzip.add(data)
        if out:
            self.file.write(out)
        return out

    def finish(self) -> bytes:
        tail = self.gzip.finish()
        self.file.write(tail)
        self.file.close()
        os.replace(self.tmp, self.path)
        return tail

    def abort(self) -> None:
        self.file.close()
        self.tmp.unlink(missing_ok=True)


def read_gzip(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(READ_CHUNK):
            yield chunk


def read_plain(path: Path) -> Iterator[bytes]:
    decompressor = isal_zlib.decompressobj(GZIP)
    for chunk in read_gzip(path):
        if out := decompressor.decompress(chunk):
            yield out
    if tail := decompressor.flush():
        yield tail


def touch(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.utime(path)


def prune(keep_seconds: int = KEEP_UNUSED_SECONDS) -> int:
    """Delete artifacts nobody fetched for ``keep_seconds`` and temporary files older than that."""
    root = directory()
    if not root.exists():
        return 0
    cutoff = time.time() - keep_seconds
    removed = 0
    for entry in root.iterdir():
        try:
            if entry.is_file() and entry.stat().st_mtime < cutoff:
                entry.unlink()
                removed += 1
        except OSError:
            continue
    return removed
