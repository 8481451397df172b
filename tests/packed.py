"""Compressed copies of test files, as the tools that write each codec make them.

Written with each codec's own library, independently of how the cleaner reads them
(``cleaner/compression.py``), except for zstd, whose only reader here is the one it uses.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import random
import zlib
from collections.abc import Callable
from typing import Protocol

try:
    from compression import zstd  # type: ignore[import-not-found,unused-ignore]
except ImportError:
    from backports import zstd


class _Compressor(Protocol):
    def compress(self, data: bytes) -> bytes: ...
    def flush(self) -> bytes: ...


# Small bzip2 blocks (100 kB, as bzip2 -1 and pbzip2 -1 write them), so that a file of a
# few hundred kB is several blocks, and a cut one keeps the blocks before the cut.
COMPRESSOR: dict[str, Callable[[], _Compressor]] = {
    ".gz": lambda: zlib.compressobj(9, zlib.DEFLATED, 31),
    ".bz2": lambda: bz2.BZ2Compressor(1),
    ".xz": lzma.LZMACompressor,
    ".lzma": lambda: lzma.LZMACompressor(format=lzma.FORMAT_ALONE),
    ".zst": zstd.ZstdCompressor,
}
SUFFIXES = tuple(COMPRESSOR)
# How each one's damage is named in the rejects
REASON = {
    ".gz": "bad_gzip",
    ".bz2": "bad_bzip2",
    ".xz": "bad_xz",
    ".lzma": "bad_xz",
    ".zst": "bad_zstd",
}
# Each one's reader, for the expected results of the tests: what the file holds
OPEN: dict[str, Callable[..., object]] = {
    ".gz": gzip.open,
    ".bz2": bz2.open,
    ".xz": lzma.open,
    ".lzma": lzma.open,
    ".zst": zstd.open,
}


def pack(suffix: str, data: bytes, streams: int = 1) -> bytes:
    """``data`` compressed as a ``*{suffix}`` file; with ``streams`` > 1, cut into that many
    parts compressed on their own and joined, as ``pbzip2``, ``pzstd`` and ``cat a.gz b.gz``
    write them."""
    step = max(1, -(-len(data) // streams))
    return b"".join(_packed(suffix, [data[i : i + step]]) for i in range(0, len(data) or 1, step))


def bomb(suffix: str, size: int) -> bytes:
    """``size`` zero bytes compressed, fed a MiB at a time: never held."""
    chunk = bytes(1 << 20)
    return _packed(suffix, [*[chunk] * (size // len(chunk)), bytes(size % len(chunk))])


def _packed(suffix: str, parts: list[bytes]) -> bytes:
    packer = COMPRESSOR[suffix]()
    return b"".join([*(packer.compress(part) for part in parts), packer.flush()])


def feed(records: int, seed: int = 5) -> bytes:
    """JSON lines, each with a random id, so that they stay large once compressed (about a
    quarter of their size): a dump that is cut into pieces by its size as stored."""
    rng = random.Random(seed)
    return b"".join(
        b'{"id": "%s", "text": "Story %d of the feed, told once."}\n'
        % (rng.randbytes(8).hex().encode(), n)
        for n in range(records)
    )
