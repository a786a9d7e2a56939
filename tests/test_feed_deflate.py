"""Gzip bodies put together from separately compressed segments (iocs/feeds/deflate.py) are one valid
gzip member: Python's gzip, zlib and the ``gzip`` tool read them, CRC and size checked."""

import gzip
import random
import shutil
import subprocess
import zlib

import pytest

from iocs.feeds import deflate


def test_crc32_combine_is_zlibs():
    rng = random.Random(7)
    for _ in range(300):
        a = rng.randbytes(rng.randint(0, 5000))
        b = rng.randbytes(rng.choice([0, 1, 2, 3, 255, 256, 4096, rng.randint(0, 70000)]))
        assert deflate.crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)
        shift = deflate.crc_shift(len(b))
        assert deflate.crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b), shift) == zlib.crc32(a + b)


def pieces(rng: random.Random) -> list:
    out = []
    for n in range(rng.randint(1, 12)):
        text = b"".join(rng.choice([b"type,value\r\n", b"domain,evil.example\r\n", b"'=1+1,\"q\"\r\n",
                                    rng.randbytes(50)]) for _ in range(rng.randint(0, 400)))
        out.append(deflate.compress(text) if n % 2 else text)  # plain text and stored segments, interleaved
    return out


@pytest.mark.parametrize("seed", range(20))
def test_mixed_pieces_make_one_valid_gzip_member(seed, tmp_path):
    rng = random.Random(seed)
    parts = pieces(rng)
    writer = deflate.GzipWriter()
    data = b"".join(writer.add(p) for p in parts) + writer.finish()
    plain = b"".join(p.plain() if isinstance(p, deflate.Segment) else p for p in parts)
    assert gzip.decompress(data) == plain
    assert zlib.decompress(data, 31) == plain
    decompressor = zlib.decompressobj(31)
    assert decompressor.decompress(data) == plain and decompressor.eof and not decompressor.unused_data
    if shutil.which("gzip"):
        path = tmp_path / "body.gz"
        path.write_bytes(data)
        subprocess.run(["gzip", "-t", str(path)], check=True)


def test_a_segment_refers_to_nothing_before_it():
    """The same text gives the same bytes wherever it is stored: no history from earlier text."""
    text = b"domain,a.example\r\n" * 500
    writer = deflate.GzipWriter()
    data = writer.add(text) + writer.add(deflate.compress(text)) + writer.add(text) + writer.finish()
    assert gzip.decompress(data) == text * 3
    assert deflate.compress(text) == deflate.compress(text)


def test_a_damaged_segment_is_refused():
    segment = deflate.compress(b"x" * 1000)
    with pytest.raises(ValueError, match="expected 1001"):
        deflate.Segment(1001, segment.crc, segment.data, segment.shift).plain()


def test_empty_body():
    writer = deflate.GzipWriter()
    assert gzip.decompress(writer.add(deflate.compress(b"")) + writer.finish()) == b""
    assert gzip.decompress(deflate.GzipWriter().finish()) == b""
