"""Sources: find the input files and read their bytes.

A folder is walked recursively and its files sorted, so document order is the same on every
run and every machine. ``.txt``/``.md`` files hold one article, ``.jsonl``/``.json`` hold
records, ``.html``/``.htm``/``.xhtml`` one web page and ``.warc`` web archive records; a
``.gz`` suffix on any of them is read transparently. Other files are *skipped*
(counted and listed in the summary, never silently ignored), and so are symlinks to folders,
which are not followed: a link loop cannot trap the walk and no file is read twice. ``-`` is
standard input.

Whatever is found is accounted for: a folder that cannot be listed, a symlink that loops, a
file without read permission or a named pipe becomes a source that reading rejects as
``unreadable``, and files over a size limit are rejected before they are read.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import sys
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, NamedTuple

from cleaner.document import Rejected

ARTICLE_SUFFIXES = (".txt", ".md")
PAGE_SUFFIXES = (".html", ".htm", ".xhtml")
RECORD_SUFFIXES = (".jsonl",)
JSON_SUFFIXES = (".json",)
ARCHIVE_SUFFIXES = (".warc",)
STDIN = "-"


@dataclass(frozen=True)
class Source:
    """One input file: where it is, how to name it, and how to read it."""

    path: str  # filesystem path, or "-" for standard input
    name: str  # path relative to its input root (POSIX separators); used in doc_id
    kind: str  # "article", "html", "records" (JSON lines), "json" or "warc"
    gzipped: bool = False
    size: int = 0  # bytes as found on disk (compressed, for .gz); batches are cut by it
    payload: bytes | None = None  # standard input, read by the parent (workers have no stdin)
    problem: str | None = None  # why it cannot be read, found by the walk (a folder unlisted)


class InputError(Exception):
    """An input named on the command line does not exist (a usage error, not a reject)."""


def classify(filename: str) -> tuple[str, bool] | None:
    """Return (kind, gzipped) for a file name, or None when it is not a format we read.

    >>> classify("news/a.jsonl.gz")
    ('records', True)
    """
    lower = filename.lower()
    gzipped = lower.endswith(".gz")
    if gzipped:
        lower = lower[:-3]
    if lower.endswith(ARTICLE_SUFFIXES):
        return "article", gzipped
    if lower.endswith(PAGE_SUFFIXES):
        return "html", gzipped
    if lower.endswith(RECORD_SUFFIXES):
        return "records", gzipped
    if lower.endswith(JSON_SUFFIXES):
        return "json", gzipped
    if lower.endswith(ARCHIVE_SUFFIXES):
        return "warc", gzipped
    return None


def portable_name(path: str) -> str:
    r"""A path as text that can be stored anywhere: bytes that are not UTF-8 become ``\xNN``.

    File names are bytes; Python hands the undecodable ones over as lone surrogates, which
    no UTF-8 writer (Parquet's included) accepts.

    >>> portable_name(os.fsdecode(b"caf\xe9 news.txt"))
    'caf\\xe9 news.txt'
    """
    if path.isascii():  # no surrogate: most names, spared the round trip
        return path
    return os.fsencode(path).decode("utf-8", "backslashreplace")


class _Found(NamedTuple):
    path: str
    size: int = 0
    problem: str | None = None
    linked_folder: bool = False


class Walk:
    """The sources of some inputs, found while they are iterated, in path order.

    Work can start on the first files before a large folder has been walked to its end.
    ``found`` counts the sources so far, ``done`` tells that the walk has ended, and
    ``skipped`` lists the files passed over so far. Inputs that do not exist raise
    :class:`InputError` here, before anything is read.
    """

    def __init__(self, inputs: Sequence[str], stdin_kind: str = "article") -> None:
        for item in inputs:
            if item != STDIN and not (os.path.exists(item) or os.path.islink(item)):
                raise InputError(f"input not found: {item}")
        self.inputs = list(inputs)
        self.stdin_kind = stdin_kind
        self.skipped: list[str] = []
        self.found = 0
        self.done = False

    def __iter__(self) -> Iterator[Source]:
        for item in self.inputs:
            for source in self._sources(item):
                self.found += 1
                yield source
        self.done = True

    def _sources(self, item: str) -> Iterator[Source]:
        if item == STDIN:
            yield Source(STDIN, STDIN, self.stdin_kind)
            return
        path = Path(item)
        root = str(path)
        if path.is_dir():
            found: Iterable[_Found] = _walk(root)
            cut = len(os.path.join(root, ""))
            strip = cut if root == "." else 0  # Path writes ./name as name
        else:
            found, cut, strip = [_Found(root, _size(path))], 0, 0
        for entry in found:
            file = entry.path
            if file == root:  # the input itself: a file, or a folder that cannot be listed
                name = portable_name(path.name)
            else:
                name = portable_name(file[cut:])
                file = file[strip:]
            kind = classify(file.rpartition("/")[2])
            if entry.problem is not None:
                yield Source(file, name, "article", problem=entry.problem)
            elif kind is None or entry.linked_folder:
                self.skipped.append(file)
            else:
                yield Source(file, name, kind[0], kind[1], entry.size)


def _walk(folder: str) -> Iterator[_Found]:
    # Depth first, each folder's entries in name order: files come out in path order
    # (component by component) as they are found. Iterative: a deep enough tree would
    # overflow the stack of a recursive walk. Symlinked folders are reported, not entered.
    pending: list[Iterator[os.DirEntry[str]]] = []
    problem = _enter(folder, pending)
    if problem is not None:
        yield problem
    while pending:
        entry = next(pending[-1], None)
        if entry is None:
            pending.pop()
        elif _is_dir(entry, follow_symlinks=False):
            problem = _enter(entry.path, pending)
            if problem is not None:
                yield problem
        elif _is_dir(entry, follow_symlinks=True):
            yield _Found(entry.path, linked_folder=True)
        else:
            yield _Found(entry.path, _size(entry))


def _enter(folder: str, pending: list[Iterator[os.DirEntry[str]]]) -> _Found | None:
    """Push a folder's entries, sorted by name, onto ``pending``; a problem if unlisted."""
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=_name)
    except OSError as exc:
        return _Found(folder, problem=f"cannot list folder: {exc.strerror or exc}")
    pending.append(iter(entries))
    return None


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _is_dir(entry: os.DirEntry[str], follow_symlinks: bool) -> bool:
    try:
        return entry.is_dir(follow_symlinks=follow_symlinks)
    except OSError:  # a symlink loop: taken as a file, whose read then says what is wrong
        return False


def _size(file: os.DirEntry[str] | Path) -> int:
    try:
        return file.stat().st_size
    except OSError:
        return 0


def batched(sources: Iterable[Source], files: int, size: int) -> Iterator[list[Source]]:
    """Cut sources, in order, into batches of at most ``files`` files and ``size`` bytes.

    A batch is what one worker holds in memory at a time, so it is bounded by bytes as well
    as by count; a file larger than ``size`` is a batch of its own.

    >>> sized = [Source(f"{n}.txt", f"{n}.txt", "article", size=n) for n in (5, 5, 9, 1)]
    >>> [len(batch) for batch in batched(sized, files=3, size=10)]
    [2, 2]
    """
    current: list[Source] = []
    held = 0
    for source in sources:
        if current and (len(current) >= files or held + source.size > size):
            yield current
            current, held = [], 0
        current.append(source)
        held += source.size
    if current:
        yield current


def read_stdin(source: Source, max_file_bytes: int) -> Source:
    """Read standard input into the source, so that any process can handle it."""
    if source.path != STDIN or source.payload is not None:
        return source
    payload = sys.stdin.buffer.read(max_file_bytes + 1)
    return replace(source, payload=payload, size=len(payload))


def read_bytes(source: Source, max_file_bytes: int, max_decompressed_bytes: int) -> bytes:
    """A source's bytes, decompressed; a :class:`Rejected` when they cannot be had.

    A file larger than ``max_file_bytes`` is refused (``too_large``) before anything is read.
    A ``.gz`` is decompressed up to ``max_decompressed_bytes`` and refused beyond
    (``too_large_decompressed``), so a gzip bomb costs no more memory than that. Only regular
    files are read: a named pipe would block the run forever.
    """
    if source.problem is not None:
        raise Rejected("unreadable", source.problem)
    try:
        if source.payload is not None:
            if source.gzipped:
                return _gunzipped(io.BytesIO(source.payload), max_decompressed_bytes)
            data = source.payload
            if len(data) > max_file_bytes:
                raise _too_large(max_file_bytes)
            return data
        fd, size = _open(source.path)
        try:
            if size > max_file_bytes:
                raise _too_large(max_file_bytes)
            if source.gzipped:
                with open(fd, "rb", closefd=False) as stream:
                    return _gunzipped(stream, max_decompressed_bytes)
            # Plain files are read straight from the descriptor, sized by fstat: most are a
            # few KiB, and a buffered reader's setup cost more than the read.
            data = _read_fd(fd, size + 1, max_file_bytes + 1)
        finally:
            os.close(fd)
        if len(data) > max_file_bytes:  # a file that grew
            raise _too_large(max_file_bytes)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise Rejected("bad_gzip", str(exc) or type(exc).__name__) from None
    except OSError as exc:
        raise Rejected("unreadable", exc.strerror or str(exc)) from None
    return data


@contextmanager
def open_stream(source: Source) -> Iterator[IO[bytes]]:
    """A source's bytes as a stream, for a format read record by record (WARC) that is never
    held whole in memory; a :class:`Rejected` when it cannot be opened. Compression is left
    to the reader."""
    if source.problem is not None:
        raise Rejected("unreadable", source.problem)
    if source.payload is not None:
        yield io.BytesIO(source.payload)
        return
    try:
        fd, _ = _open(source.path)
    except OSError as exc:
        raise Rejected("unreadable", exc.strerror or str(exc)) from None
    with open(fd, "rb") as stream:
        yield stream


def _gunzipped(stream: IO[bytes], max_decompressed_bytes: int) -> bytes:
    with gzip.GzipFile(fileobj=stream) as unzipped:
        data = _read_up_to(unzipped, max_decompressed_bytes + 1)
    if len(data) > max_decompressed_bytes:
        raise Rejected(
            "too_large_decompressed",
            f"more than {max_decompressed_bytes:,} bytes once decompressed"
            " (--max-decompressed-bytes)",
        )
    return data


def _read_up_to(stream: IO[bytes] | gzip.GzipFile, limit: int, chunk: int = 1 << 20) -> bytes:
    """At most ``limit`` bytes, read a chunk at a time: ``read(limit)`` would make gzip
    allocate ``limit`` bytes for every 8 KiB it inflates (16 s for 200 small feeds)."""
    parts, size = [], 0
    while size < limit:
        part = stream.read(min(chunk, limit - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def _read_fd(fd: int, expected: int, limit: int, chunk: int = 1 << 20) -> bytes:
    """At most ``limit`` bytes of a regular file, asking for ``expected`` first: a regular
    file returns less than asked only at its end, so a file that did not grow takes one read."""
    first = os.read(fd, min(expected, limit))
    if len(first) < min(expected, limit):
        return first
    with open(fd, "rb", buffering=0, closefd=False) as rest:  # a file that grew
        return first + _read_up_to(rest, limit - len(first), chunk)


def _too_large(limit: int) -> Rejected:
    return Rejected("too_large", f"more than {limit:,} bytes (--max-file-bytes)")


def _open(path: str) -> tuple[int, int]:
    """A regular file's descriptor and size."""
    # Non-blocking, so that opening a named pipe returns at once and fstat can refuse it.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        mode = info.st_mode
        if not stat.S_ISREG(mode):
            what = "a named pipe" if stat.S_ISFIFO(mode) else "not a regular file"
            raise Rejected("unreadable", f"{what}; only regular files are read")
    except BaseException:
        os.close(fd)
        raise
    return fd, info.st_size
