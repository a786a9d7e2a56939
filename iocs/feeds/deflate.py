"""Gzip bodies assembled from pieces compressed at different times (stored feed segments, :mod:`.segments`).

A million-IOC CSV feed is 221 MB of text; compressing it with zlib's default level costs the worker
~4 s of CPU, more than reading it. Its blocks are therefore stored compressed once (:class:`Segment`:
a raw deflate stream, compressed on its own, ended by a full flush, so it starts and ends on a byte
boundary and refers to nothing before it) and a body is put together from them: :class:`GzipWriter`
writes the gzip header, deflates whatever plain text comes between segments (provenance lines,
column names), copies each segment's bytes as they are, and ends with one final block and the
trailer. The trailer's CRC-32 is combined from the pieces' CRCs (:func:`crc32_combine`, zlib's
algorithm: the segments are never decompressed for a gzip client). Clients that do not take gzip
get each segment inflated (:meth:`Segment.plain`).

The deflate engine is ISA-L (``isal``, Intel's Intelligent Storage Acceleration Library, through its
``zlib``-compatible module), for speed. On the benchmark's 1,954 blocks (221 MB of CSV): level 2
compresses in 0.21 ms a block to 57.2 MB, where zlib's level 6 takes 1.99 ms for 48.6 MB (and
zlib-ng's level 6, 0.97 ms for 48.0 MB); ISA-L inflates the whole in 0.20 s against zlib's 0.45 s.
A block rendered again after a change is compressed again whole, in the request that finds it
stale, and every client that does not take gzip has every block inflated: both costs are paid
on the download's critical path, the extra 18% of bytes only by gzip clients' networks. The streams
are plain deflate: every gzip reader reads them.

One gzip member, as zlib writes it (RFC 1952): every client that reads gzip reads it; ``gzip -t``
and :func:`gzip.decompress` check the CRC and size (``tests/test_feed_deflate.py``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from isal import isal_zlib

LEVEL = 2  # ISA-L's levels are 0-3; 2 is as fast as 1 here, and smaller (57.2 MB against 58.0)
RAW = -isal_zlib.MAX_WBITS  # a raw deflate stream: no zlib or gzip header
GZIP = 16 + isal_zlib.MAX_WBITS  # a gzip stream
crc32 = isal_zlib.crc32  # the CRC-32 of gzip, the same function as the standard library's, several times faster
# ID1 ID2, CM=deflate, FLG=0, MTIME=0 (none: the same bytes for the same body), XFL=0, OS=255 (unknown).
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_POLY = 0xEDB88320  # CRC-32 (ISO-HDLC), reflected


def _multmodp(a: int, b: int) -> int:
    """a * b modulo the CRC polynomial (bit-reflected), as zlib's ``multmodp``."""
    m, p = 1 << 31, 0
    while True:
        if a & m:
            p ^= b
            if a & (m - 1) == 0:
                return p
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1


def _x2n_table() -> tuple[int, ...]:
    p, table = 1 << 30, []  # x^1
    for _ in range(32):
        table.append(p)
        p = _multmodp(p, p)
    return tuple(table)


_X2N = _x2n_table()  # x^(2^n) modulo the polynomial


def crc_shift(length: int) -> int:
    """x^(8 * length) modulo the polynomial: what moves a CRC past ``length`` more bytes (stored with
    each segment, so that combining costs one :func:`_multmodp`, ~4 µs, instead of ~40)."""
    p, k, n = 1 << 31, 3, length
    while n:
        if n & 1:
            p = _multmodp(_X2N[k & 31], p)
        n >>= 1
        k += 1
    return p


def crc32_combine(crc1: int, crc2: int, len2: int, shift: int | None = None) -> int:
    """The CRC-32 of ``A + B`` from ``crc32(A)``, ``crc32(B)`` and ``len(B)`` (zlib's ``crc32_combine``)."""
    return _multmodp(crc_shift(len2) if shift is None else shift, crc1) ^ crc2


@dataclass(frozen=True, slots=True)
class Segment:
    """A block of body text, compressed on its own: ``data`` inflates to ``length`` bytes whose CRC-32
    is ``crc``; ``shift`` is :func:`crc_shift` of ``length``."""

    length: int
    crc: int
    data: bytes
    shift: int

    def plain(self) -> bytes:
        out = inflate(self.data)
        if len(out) != self.length:  # a damaged row would otherwise go out as a short body
            raise ValueError(f"segment inflated to {len(out)} bytes, expected {self.length}")
        return out


def inflate(data: bytes) -> bytes:
    """The text of a raw deflate stream (a :class:`Segment`'s data)."""
    return isal_zlib.decompressobj(RAW).decompress(data)


def compress(text: bytes, level: int = LEVEL) -> Segment:
    """``text`` as a :class:`Segment`: a fresh compressor (no reference to anything before it),
    ended by a full flush (byte-aligned, not final: segments can be concatenated)."""
    compressor = isal_zlib.compressobj(level, isal_zlib.DEFLATED, RAW)
    data = compressor.compress(text) + compressor.flush(isal_zlib.Z_FULL_FLUSH)
    return Segment(len(text), crc32(text), data, crc_shift(len(text)))


class GzipWriter:
    """One gzip member from plain bytes and :class:`Segment`\\ s, in order; each call returns the bytes to send."""

    def __init__(self, level: int = LEVEL) -> None:
        self.level = level
        self.compressor = isal_zlib.compressobj(level, isal_zlib.DEFLATED, RAW)
        self.crc = 0
        self.size = 0
        self.started = False

    def _start(self) -> bytes:
        if self.started:
            return b""
        self.started = True
        return GZIP_HEADER

    def add(self, piece: bytes | Segment) -> bytes:
        head = self._start()
        if isinstance(piece, Segment):
            if not piece.length:
                return head
            # Byte-align what was compressed so far and reset its history: nothing after the
            # segment may refer back across it (a back-reference would land in the segment's text).
            out = head + self.compressor.flush(isal_zlib.Z_FULL_FLUSH) + piece.data
            self.crc = crc32_combine(self.crc, piece.crc, piece.length, piece.shift)
            self.size += piece.length
            return out
        self.crc = crc32(piece, self.crc)
        self.size += len(piece)
        return head + self.compressor.compress(piece)

    def finish(self) -> bytes:
        return self._start() + self.compressor.flush(isal_zlib.Z_FINISH) + struct.pack("<II", self.crc,
                                                                               self.size & 0xFFFFFFFF)
