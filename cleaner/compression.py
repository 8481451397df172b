"""Compression: the codecs a file may be stored in, known by its name's last suffix, and one
way to read any of them as a stream.

========  =====================  ===============================================
codec     suffixes               read by
========  =====================  ===============================================
gzip      ``.gz``                :mod:`gzip`
bzip2     ``.bz2``               :mod:`bz2`
xz        ``.xz``, ``.lzma``     :mod:`lzma` (either container, found by its header)
zstd      ``.zst``               ``compression.zstd`` (Python 3.14), else ``backports.zstd``
========  =====================  ===============================================

Each reader is the standard library's file object (or its backport), and they agree on what
matters here: a stream of several members, streams or frames (as ``pbzip2`` and ``pzstd``
write them, or files joined with ``cat``) reads whole; a read returns at most what it asked
for, so a bomb costs no more than the reader's limit; and a stream cut short raises instead
of ending early, so that no record is lost without a reject. (The ``zstandard`` package's
reader, the better known one, ends quietly at a cut: a truncated download would lose its
last records without a word.) A zstd stream whose first frame holds a dictionary, as
WARC-zstd files do, is read with it (:func:`_zstd_dictionary`).

A stream that cannot be read on, cut short or not of its codec, raises
:class:`cleaner.document.Rejected` with the reason ``bad_<codec>`` (``bad_gzip``,
``bad_xz``), the records read before it kept by whoever reads them.
"""

from __future__ import annotations

import functools
import importlib
import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from cleaner.document import Rejected

_BUFFER = 1 << 18


@dataclass(frozen=True)
class Codec:
    """A compression format: its name, the suffixes that say a file is in it, and how to read
    it."""

    name: str
    suffixes: tuple[str, ...]
    modules: tuple[str, ...]  # where its reader (``open``) is: the first that imports
    errors: tuple[str, ...] = ()  # its module's exceptions for damaged data (besides EOFError)
    install: str = ""  # what to install when no module imports
    # what its reader is told of a stream before it reads it (arguments of ``open``), from
    # the stream and the module; the stream is left where it was
    prepare: Callable[[IO[bytes], Any], dict[str, Any]] = field(default=lambda raw, module: {})

    @functools.cache  # noqa: B019 (the few codecs live as long as the process)
    def module(self) -> Any | None:
        """Its reader's module; None when none is installed."""
        for name in self.modules:
            try:
                return importlib.import_module(name)
            except ImportError:
                continue
        return None

    def missing(self) -> str | None:
        """Why this machine cannot read it, or None when it can."""
        if self.module() is not None:
            return None
        return f"reading {self.suffixes[0]} files needs {self.install}"


# The WARC-zstd format (.warc.zst, as wget --warc-zstd writes it) puts the dictionary its
# frames need in a skippable frame of this magic number at the start, zstd-compressed or not.
_DICTIONARY_FRAME = (0x184D2A5D).to_bytes(4, "little")
_ZSTD_FRAME = (0xFD2FB528).to_bytes(4, "little")
_MAX_DICTIONARY = 1 << 24  # far above the few hundred KiB that zstd --train makes


def _zstd_dictionary(raw: IO[bytes], module: Any) -> dict[str, Any]:
    """The dictionary that a stream's first frame holds, if it does (WARC-zstd)."""
    start = raw.tell()
    head = raw.read(8)
    size = int.from_bytes(head[4:], "little")
    content = raw.read(size) if head[:4] == _DICTIONARY_FRAME and size <= _MAX_DICTIONARY else b""
    raw.seek(start)  # the reader skips that frame, as it does any skippable one
    if len(content) < size or not content:
        return {}
    if content.startswith(_ZSTD_FRAME):
        content = module.ZstdDecompressor().decompress(content, _MAX_DICTIONARY)
    return {"zstd_dict": module.ZstdDict(content)}


CODECS = (
    Codec("gzip", (".gz",), ("gzip",)),
    Codec("bzip2", (".bz2",), ("bz2",)),
    Codec("xz", (".xz", ".lzma"), ("lzma",), ("LZMAError",)),
    Codec(
        "zstd",
        (".zst",),
        ("compression.zstd", "backports.zstd"),
        ("ZstdError",),
        install="the Python package backports.zstd (pip install backports.zstd) or Python 3.14",
        prepare=_zstd_dictionary,
    ),
)
_BY_NAME = {codec.name: codec for codec in CODECS}
SUFFIXES = tuple(suffix for codec in CODECS for suffix in codec.suffixes)


def compression_of(name: str) -> str | None:
    """The codec a file name says its file is stored in, by its last suffix; None: none.

    >>> compression_of("a.jsonl.ZST"), compression_of("a.json.lzma"), compression_of("a.txt")
    ('zstd', 'xz', None)
    """
    lower = name.lower()
    for codec in CODECS:
        if lower.endswith(codec.suffixes):
            return codec.name
    return None


def strip_suffix(name: str) -> str:
    """A file name without the suffix of its codec, which says what it holds.

    >>> strip_suffix("news/a.jsonl.bz2"), strip_suffix("a.txt")
    ('news/a.jsonl', 'a.txt')
    """
    lower = name.lower()
    for suffix in SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name


def missing(compression: str | None) -> str | None:
    """Why a file in ``compression`` cannot be read on this machine (its module is not
    installed), or None when it can."""
    return None if compression is None else _BY_NAME[compression].missing()


def decompressed(raw: IO[bytes], compression: str) -> io.BufferedReader:
    """The decompressed bytes of ``raw``, buffered (lines, peeks): see :class:`Decompressing`.
    A read that meets damage loses what it read before it in the same call, as gzip's own
    reader does: a line cut short."""
    return io.BufferedReader(Decompressing(raw, compression), _BUFFER)


class Decompressing(io.RawIOBase):
    """The decompressed bytes of ``raw``, a step of the codec per read, so that every byte
    before damage is returned before a read raises (for a reader of records that buffers
    them itself, FastWARC). Reading raises :class:`Rejected` ``bad_<codec>`` where the stream
    is damaged or cut short: every codec's errors (EOFError for a cut, and the module's own)
    become one; creating it, ``unsupported`` when the codec's module is not installed."""

    def __init__(self, raw: IO[bytes], compression: str) -> None:
        self.codec = codec = _BY_NAME[compression]
        module = codec.module()
        if module is None:
            raise Rejected("unsupported", codec.missing() or "")
        # EOFError: cut short, for every codec; zlib.error: gzip's damaged deflate data
        self.errors = (EOFError, zlib.error, *(getattr(module, e) for e in codec.errors))
        self.raw, self.start = raw, raw.tell()
        try:
            told = codec.prepare(raw, module)
        except (*self.errors, ValueError) as exc:  # ValueError: not a dictionary
            raise self._damaged(exc) from None
        self.stream: io.BufferedIOBase = module.open(raw, "rb", **told)
        self.position = 0  # bytes returned so far: FastWARC asks where it starts

    def tell(self) -> int:
        return self.position

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        # read1: one step of the codec's reader, which raises only at a step that yields
        # nothing, so every byte before the damage is returned first (readinto would lose
        # the ones of the call that meets it).
        try:
            data = self.stream.read1(len(buffer))
        except self.errors as exc:
            if isinstance(exc, EOFError) and self.raw.tell() == self.start:
                return 0  # a file of no bytes at all holds nothing, as gzip reads it
            raise self._damaged(exc) from None
        except OSError as exc:
            if exc.errno is not None:  # the file's own read failed: not the codec's data
                raise
            raise self._damaged(exc) from None  # gzip's bad header, bzip2's bad data
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)

    def _damaged(self, exc: BaseException) -> Rejected:
        return Rejected(f"bad_{self.codec.name}", str(exc) or type(exc).__name__)

    def close(self) -> None:
        if not self.closed:
            self.stream.close()
        super().close()


def read_up_to(stream: IO[bytes], limit: int, chunk: int = 1 << 20) -> bytes:
    """At most ``limit`` bytes, read a chunk at a time: ``read(limit)`` would make a codec
    allocate ``limit`` bytes for every 8 KiB it inflates (16 s for 200 small feeds)."""
    parts, size = [], 0
    while size < limit:
        part = stream.read(min(chunk, limit - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)
