"""Sources: find the input files and read their bytes.

A folder is walked recursively and its files sorted, so document order is the same on every
run and every machine. ``.txt``/``.md`` files hold one article, ``.jsonl``/``.json`` hold
records, ``.html``/``.htm``/``.xhtml`` one web page, ``.warc`` web archive records,
``.xml``/``.rss``/``.atom``/``.rdf`` a feed's items and ``.csv``/``.tsv`` a table's rows; a
file whose name says no format (``story.php``, ``index``, ``feed``) is a web page or a feed
when it starts as one; a
compressed one (``.gz``, ``.bz2``, ``.xz``, ``.lzma``, ``.zst``: :mod:`cleaner.compression`) is
read transparently. ``-`` is standard input.

Whatever is found is accounted for: a file of another format becomes an ``unsupported``
reject, a folder that cannot be listed, a symlink that loops, a file without read permission
or a named pipe an ``unreadable`` one, a file over a size limit is rejected before it is read,
and a symbolic link that is not followed (see :class:`Walk`) a reject of its own reason.
"""

from __future__ import annotations

import io
import json
import os
import stat
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from typing import IO, TYPE_CHECKING, NamedTuple

from cleaner.compression import (
    SUFFIXES,
    Decompressing,
    compression_of,
    decompressed,
    missing,
    read_up_to,
    strip_suffix,
)
from cleaner.containers import container_of
from cleaner.document import Rejected, over_decompressed_limit, over_file_limit
from cleaner.errors import InputError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

ARTICLE_SUFFIXES = (".txt", ".md")
PAGE_SUFFIXES = (".html", ".htm", ".xhtml")
RECORD_SUFFIXES = (".jsonl", ".ndjson")  # JSON Lines by either of its names
JSON_SUFFIXES = (".json",)
ARCHIVE_SUFFIXES = (".warc",)
FEED_SUFFIXES = (".rss", ".atom", ".rdf", ".xml")  # RSS or Atom (other XML is a reject)
TABLE_SUFFIXES = (".csv", ".tsv")
DOCUMENT_KINDS = ("article", "html")  # a file that is one document; the others hold records
STDIN = "-"
# The default of --max-file-bytes and --max-decompressed-bytes (see cleaner.options.Options)
DEFAULT_LIMIT = 256 * 1024 * 1024


@dataclass(frozen=True)
class Source:
    """One input file: where it is, how to name it, and how to read it."""

    path: str  # filesystem path, or "-" for standard input
    name: str  # as in doc_id: its input folder's name and its path in it, POSIX separators
    kind: str  # "article", "html", "records" (JSON lines), "json", "warc", "feed" or "table"
    compression: str | None = None  # the codec it is stored in (cleaner.compression), if any
    size: int = 0  # bytes as found on disk (compressed, if it is); batches are cut by it
    payload: bytes | None = None  # standard input, read by the parent (workers have no stdin)
    # (reason, detail) of a reject found by the walk: a folder that cannot be listed, a file
    # of a format not read, a link not followed
    problem: tuple[str, str] | None = None

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        return by_fields(self)


def by_fields(value: DataclassInstance) -> tuple[type, tuple[object, ...]]:
    """A dataclass's ``__reduce__``: its class and its fields' values in order. A batch
    carries a thousand sources and pieces to a worker, which pickle otherwise sends as
    dictionaries of field names, at twice the cost."""
    kind = type(value)
    getter = _GETTERS.get(kind)
    if getter is None:
        getter = _GETTERS[kind] = attrgetter(*(f.name for f in fields(kind)))
    return kind, getter(value)


_GETTERS: dict[type, Callable[[object], tuple[object, ...]]] = {}  # each class's, made once


def classify(filename: str) -> tuple[str, str | None] | None:
    """Return (kind, compression) for a file name, or None when it is not a format we read.

    >>> classify("news/a.jsonl.gz"), classify("feed.NDJSON"), classify("crawl.warc.zst")
    (('records', 'gzip'), ('records', None), ('warc', 'zstd'))

    Every suffix read (of a format, of a codec) is one dot's, so the name's last two tell it
    all: they are looked up, a few kinds of them for the files of a folder.
    """
    last = filename.rfind(".")
    before = filename.rfind(".", 0, last) if last > 0 else -1
    return _classify(filename[before if before >= 0 else max(last, 0) :])


@lru_cache(maxsize=1024)
def _classify(filename: str) -> tuple[str, str | None] | None:
    compression = compression_of(filename)
    lower = strip_suffix(filename).lower()
    if lower.endswith(ARTICLE_SUFFIXES):
        return "article", compression
    if lower.endswith(PAGE_SUFFIXES):
        return "html", compression
    if lower.endswith(RECORD_SUFFIXES):
        return "records", compression
    if lower.endswith(JSON_SUFFIXES):
        return "json", compression
    if lower.endswith(ARCHIVE_SUFFIXES):
        return "warc", compression
    if lower.endswith(FEED_SUFFIXES):
        return "feed", compression
    if lower.endswith(TABLE_SUFFIXES):
        return "table", compression
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
    problem: tuple[str, str] | None = None  # (reason, detail): a reject, not a read


class Walk:
    """The sources of some inputs, found while they are iterated, in path order.

    Work can start on the first files before a large folder has been walked to its end.
    ``found`` counts the sources so far and ``found_bytes`` their sizes, ``done`` tells that
    the walk has ended, and ``skipped`` counts the files of formats not read so far, by
    extension. Inputs that do not exist, or that are given twice, raise :class:`InputError`
    here, before anything is read.

    Names: a file given by name is named by its file name, and a folder's files by the
    folder's own name and their path in it (``monday/001.txt``; ``/``, which has no name, by
    their path in it), so that separate runs of two folders name their files as one run of
    both does; with several inputs, each input is named by as many last components of its
    path as tell it apart from the others (``a/news/1.txt`` and ``b/news/1.txt``), so that no
    two inputs give the same name. ``own(path)`` says which files are the run's own output,
    never inputs. Symbolic links found in a folder are read only when they lead to a file
    inside that folder that would not be read under its own name; one that leads out of it
    is a ``link_outside_input`` reject unless ``follow_symlinks`` (a scraped folder is not
    trusted to say which local files go into a corpus).
    """

    def __init__(
        self,
        inputs: Sequence[str],
        stdin_kind: str = "article",
        follow_symlinks: bool = False,
        own: Callable[[str], bool] | None = None,
        limits: tuple[int, int] = (DEFAULT_LIMIT, DEFAULT_LIMIT),
        open_archives: bool = True,
    ) -> None:
        for item in inputs:
            if item != STDIN and not (os.path.exists(item) or os.path.islink(item)):
                raise InputError(f"input not found: {item}")
        self.inputs = list(inputs)
        self.labels = input_labels(self.inputs)
        self.stdin_kind = stdin_kind
        self.follow_symlinks = follow_symlinks
        self.own = own or _nothing
        self.limits = limits  # --max-file-bytes and --max-decompressed-bytes, for members
        self.open_archives = open_archives  # else an archive is one source of kind "archive"
        self.skipped: Counter[str] = Counter()
        self.found = 0
        self.found_bytes = 0  # their sizes, as stored
        self.done = False

    def __iter__(self) -> Iterator[Source]:
        for item, label in zip(self.inputs, self.labels, strict=True):
            for source in self._sources(item, label):
                self.found += 1
                self.found_bytes += source.size
                yield source
        self.done = True

    def _sources(self, item: str, label: str) -> Iterator[Source]:
        if item == STDIN:
            yield Source(STDIN, STDIN, self.stdin_kind)
            return
        path = Path(item)
        root = str(path)
        if path.is_dir():
            found: Iterable[_Found] = _walk(root, self.follow_symlinks)
            cut = len(os.path.join(root, ""))
            strip = cut if root == "." else 0  # Path writes ./name as name
            prefix = f"{label}/" if label else ""
        else:
            found, cut, strip, prefix = [_Found(root, _size(path))], 0, 0, ""
        for entry in found:
            file = entry.path
            if file != root and self.own(file):
                continue
            if file == root:  # a file, or a folder that cannot be listed
                name = portable_name(label or path.name)
            else:
                name = portable_name(prefix + file[cut:])
            file = file[strip:]
            container = None if entry.problem else container_of(file.rpartition("/")[2])
            if container is None:
                yield self._source(file, name, entry.size, entry.problem)
            elif not self.open_archives:
                yield Source(file, name, "archive", size=entry.size)
            else:
                yield from self._members(file, name, container)

    def _source(
        self,
        path: str,
        name: str,
        size: int,
        problem: tuple[str, str] | None,
        payload: bytes | None = None,
        base: str = "",
    ) -> Source:
        """The source of a file at ``path``, or of an archive's member whose file name is
        ``base`` and bytes ``payload``, named ``name``; a reject if it is not read."""
        if problem is not None:
            return Source(path, name, "article", problem=problem)
        base = base or path.rpartition("/")[2]
        kind = classify(base)
        if kind is None and compression_of(base) is None:  # a codec's bytes are no page
            kind = sniffed(_head(path) if payload is None else payload)
        unread = "not a format cleaner reads" if kind is None else missing(kind[1])
        if payload is not None and container_of(base) is not None:
            unread = "an archive inside an archive: extract the outer one to read it"
        if kind is None or unread is not None:
            what = extension(base)
            self.skipped[what] += 1
            return Source(path, name, "article", problem=("unsupported", f"{what}: {unread}"))
        return Source(path, name, kind[0], kind[1], size, payload)

    def _members(self, path: str, name: str, container: tuple[str, str | None]) -> Iterator[Source]:
        """The sources of an archive's members (:mod:`cleaner.containers`)."""
        from cleaner.containers import members

        seen: set[str] = set()
        for n, member in enumerate(members(path, container, *self.limits), 1):
            if not member.name:  # the archive's own damage or limit: named by the archive
                assert member.problem is not None
                yield Source(path, name, "article", problem=member.problem)
                continue
            named = portable_name(f"{name}/{member.name}")
            if named in seen:  # a tar appended to holds a name twice: both are read
                named = f"{named}@{n}"
            seen.add(named)
            size = len(member.data or b"")
            base = member.name.rpartition("/")[2]
            yield self._source(path, named, size, member.problem, member.data, base)


def sniffed(head: bytes) -> tuple[str, None] | None:
    """How a file whose name says no format cleaner reads, and no compression, is read when
    its first bytes ``head`` start as a web page or a feed does: a site's pages and feeds
    saved as their server named them (``story.php``, ``news.aspx``, ``index`` with no
    extension, ``feed``, ``article.html?id=3``), as ``wget`` and other mirroring tools save
    them; None otherwise."""
    from cleaner.extract import looks_like_html
    from cleaner.feeds import looks_like_feed

    if looks_like_html(head):
        return "html", None
    return ("feed", None) if looks_like_feed(head) else None


def _head(path: str) -> bytes:
    """A file's first bytes, as many as sniffing needs; none when it cannot be read (its read
    says what is wrong)."""
    from cleaner.feeds import SNIFF

    try:
        with open(path, "rb") as file:
            return file.read(SNIFF)
    except OSError:
        return b""


def _nothing(path: str) -> bool:
    return False


def listing(inputs: Sequence[str], follow_symlinks: bool = False) -> str:
    """What a run over ``inputs`` would find, a line per file: size, modification time (ns)
    and name, in input order. A file added with an old time, one removed or one replaced
    changes it: a Makefile can depend on it (``cleaner list``) where file times alone miss.
    """
    if STDIN in inputs:
        raise InputError("standard input (-) cannot be listed")
    lines = []
    for source in Walk(inputs, follow_symlinks=follow_symlinks, open_archives=False):
        try:
            info = os.stat(source.path)
            size, changed = info.st_size, info.st_mtime_ns
        except OSError:  # a dangling link: listed as such, so that its repair shows
            size = changed = -1
        lines.append(f"{size}\t{changed}\t{json.dumps(source.name, ensure_ascii=False)}\n")
    return "".join(lines)


def extension(name: str) -> str:
    """What the summary calls a file of a format it does not read.

    >>> extension("pages/a.html.gz"), extension("notes"), extension("a.CSV"), extension("a.zst")
    ('.html.gz', '(no extension)', '.csv', '.zst')
    """
    suffixes = [s.lower() for s in Path(name).suffixes][-2:]
    if suffixes[-1:] and suffixes[-1] not in SUFFIXES:
        suffixes = suffixes[-1:]
    return "".join(suffixes) or "(no extension)"


def input_labels(inputs: Sequence[str]) -> list[str]:
    """The name each input gives its files: see :class:`Walk`.

    >>> input_labels(["fixtures/news"]), input_labels(["fixtures/news/sources.csv"])
    (['news'], ['sources.csv'])
    >>> input_labels(["fixtures/news/", "bench"]), input_labels(["fixtures/news/.."])
    (['news', 'bench'], ['fixtures'])
    >>> input_labels(["a/news.txt", "b/news.txt", "c.txt"])
    ['a/news.txt', 'b/news.txt', 'c.txt']
    """
    parts = [input_components(item) for item in inputs]
    seen: dict[tuple[str, ...], str] = {}
    for item, whole in zip(inputs, parts, strict=True):
        if item != STDIN and whole in seen:
            raise InputError(f"input given twice: {seen[whole]} and {item}")
        seen[whole] = item
    named = [p for p in parts if p]
    labels = []
    for whole in parts:
        depth = 1
        while depth < len(whole) and any(
            other != whole and other[-depth:] == whole[-depth:] for other in named
        ):
            depth += 1
        labels.append("/".join(whole[-depth:]) if whole else "")
    return labels


def input_components(item: str) -> tuple[str, ...]:
    """The components of an input's path that its files' names can begin with: a folder's
    resolved path (``.``, ``..`` and links to it say which folder, not what it is called), a
    file's path as given (a link named on the command line is read under its own name);
    none for standard input and ``/``, which have no name.

    >>> input_components("fixtures/news/")[-2:], input_components("-"), input_components("/")
    (('fixtures', 'news'), (), ())
    """
    if item == STDIN:
        return ()
    path = os.path.realpath(item) if os.path.isdir(item) else os.path.abspath(item)
    return Path(path).parts[1:]


def _walk(folder: str, follow_symlinks: bool) -> Iterator[_Found]:
    # Depth first, each folder's entries in name order: files come out in path order
    # (component by component) as they are found. Iterative: a deep enough tree would
    # overflow the stack of a recursive walk.
    inside = _Inside(os.path.realpath(folder))
    pending: list[Iterator[os.DirEntry[str]]] = []
    problem = _enter(folder, pending)
    if problem is not None:
        yield problem
    while pending:
        entry = next(pending[-1], None)
        if entry is None:
            pending.pop()
            continue
        link = entry.is_symlink()
        if link or inside.followed:
            found = inside.judge(entry.path, link, follow_symlinks)
            if found is not None:
                yield found
                continue
        if _is_dir(entry):
            problem = _enter(entry.path, pending)
            if problem is not None:
                yield problem
        else:
            yield _Found(entry.path, _size(entry))


class _Inside:
    """Where links found under an input folder lead, and which of them are followed."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.entered: set[str] = {root}
        self.followed = False  # a link out was followed: real paths must be checked

    def contains(self, real: str) -> bool:
        return real == self.root or real.startswith(os.path.join(self.root, ""))

    def judge(self, path: str, link: bool, follow_symlinks: bool) -> _Found | None:
        """A reject for an entry that is not read where it was found, else None."""
        real = os.path.realpath(path)
        if not os.path.exists(real):  # dangling or looping: its read says what is wrong
            return None
        folder = os.path.isdir(real)
        if folder and (real in self.entered or (self.followed and self.contains(real))):
            return _Found(path, problem=_ALREADY)
        if not link:
            if folder:
                self.entered.add(real)
            return None
        if not self.contains(real):
            if not follow_symlinks:
                return _Found(path, problem=_OUTSIDE)
            self.followed = True
        elif folder or classify(real) is not None or container_of(real) is not None:
            return _Found(path, problem=_ALREADY)
        if folder:
            self.entered.add(real)
        return None


_OUTSIDE = (
    "link_outside_input",
    "a symbolic link that leads outside the input folder; --follow-symlinks reads it",
)
_ALREADY = ("link_inside_input", "a symbolic link to a file or folder read under its own name")


def _enter(folder: str, pending: list[Iterator[os.DirEntry[str]]]) -> _Found | None:
    """Push a folder's entries, sorted by name, onto ``pending``; a problem if unlisted."""
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=_name)
    except OSError as exc:
        return _Found(folder, problem=("unreadable", f"cannot list folder: {exc.strerror or exc}"))
    pending.append(iter(entries))
    return None


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a symlink loop: taken as a file, whose read then says what is wrong
        return False


def _size(file: os.DirEntry[str] | Path) -> int:
    try:
        return file.stat().st_size
    except OSError:
        return 0


def read_stdin(source: Source, max_file_bytes: int) -> Source:
    """Read standard input into the source, so that any process can handle it."""
    if source.path != STDIN or source.payload is not None:
        return source
    payload = sys.stdin.buffer.read(max_file_bytes + 1)
    return replace(source, payload=payload, size=len(payload))


def read_bytes(
    source: Source, max_file_bytes: int, max_decompressed_bytes: int
) -> tuple[bytes, float | None]:
    """A source's bytes, decompressed, and its file's modification time (None for standard
    input), as the descriptor read tells it; a :class:`Rejected` when they cannot be had.

    A file larger than ``max_file_bytes`` is refused (``too_large``) before anything is read.
    A compressed one is decompressed up to ``max_decompressed_bytes`` and refused beyond
    (``too_large_decompressed``), so a bomb costs no more memory than that; a damaged one is
    ``bad_<codec>`` (:mod:`cleaner.compression`). Only regular files are read: a named pipe
    would block the run forever.
    """
    if source.problem is not None:
        raise Rejected(*source.problem)
    try:
        if source.payload is not None:
            if source.compression:
                payload = io.BytesIO(source.payload)
                return _decompressed(payload, source.compression, max_decompressed_bytes), None
            data = source.payload
            if len(data) > max_file_bytes:
                raise _too_large(max_file_bytes)
            return data, None
        fd, info = _open(source.path)
        try:
            if info.st_size > max_file_bytes:
                raise _too_large(max_file_bytes)
            if source.compression:
                with open(fd, "rb", closefd=False) as stream:
                    data = _decompressed(stream, source.compression, max_decompressed_bytes)
                    return data, info.st_mtime
            # Plain files are read straight from the descriptor, sized by fstat: most are a
            # few KiB, and a buffered reader's setup cost more than the read.
            data = _read_fd(fd, info.st_size + 1, max_file_bytes + 1)
        finally:
            os.close(fd)
        if len(data) > max_file_bytes:  # a file that grew
            raise _too_large(max_file_bytes)
    except OSError as exc:
        raise Rejected("unreadable", exc.strerror or str(exc)) from None
    return data, info.st_mtime


# What FastWARC decompresses itself: gzip, member by member, so that a piece of a .warc.gz can
# start where a member does (cleaner.pieces). Other codecs are decompressed before it reads.
WARC_DECOMPRESSES = ("gzip",)


@contextmanager
def open_stream(source: Source) -> Iterator[IO[bytes] | io.RawIOBase]:
    """A source's bytes as a stream, for a format read record by record (WARC) that is never
    held whole in memory; a :class:`Rejected` when it cannot be opened. Decompressed unless
    FastWARC does it (``WARC_DECOMPRESSES``); a damaged stream raises :class:`Rejected` where
    it is read."""
    if source.problem is not None:
        raise Rejected(*source.problem)
    try:
        stream = (
            io.BytesIO(source.payload) if source.payload is not None else open_regular(source.path)
        )
    except OSError as exc:
        raise Rejected("unreadable", exc.strerror or str(exc)) from None
    with stream:
        if source.compression is None or source.compression in WARC_DECOMPRESSES:
            yield stream
        else:
            with Decompressing(stream, source.compression) as unpacked:
                yield unpacked


def open_regular(path: str) -> IO[bytes]:
    """A regular file opened for reading (buffered); a named pipe or a device is a
    :class:`Rejected`, refused without blocking."""
    fd, _ = _open(path)
    return open(fd, "rb")


def _decompressed(stream: IO[bytes], compression: str, max_decompressed_bytes: int) -> bytes:
    with decompressed(stream, compression) as unpacked:
        data = read_up_to(unpacked, max_decompressed_bytes + 1)
    if len(data) > max_decompressed_bytes:
        raise Rejected("too_large_decompressed", over_decompressed_limit(max_decompressed_bytes))
    return data


def _read_fd(fd: int, expected: int, limit: int, chunk: int = 1 << 20) -> bytes:
    """At most ``limit`` bytes of a regular file, asking for ``expected`` first: a regular
    file returns less than asked only at its end, so a file that did not grow takes one read."""
    first = os.read(fd, min(expected, limit))
    if len(first) < min(expected, limit):
        return first
    with open(fd, "rb", buffering=0, closefd=False) as rest:  # a file that grew
        return first + read_up_to(rest, limit - len(first), chunk)


def _too_large(limit: int) -> Rejected:
    return Rejected("too_large", over_file_limit(limit))


def _open(path: str) -> tuple[int, os.stat_result]:
    """A regular file's descriptor and what fstat says of it."""
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
    return fd, info
