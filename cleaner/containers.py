"""Archives of files (``.zip``, ``.tar``, ``.tar.gz`` and the other compressed tars): their
members, read one after the other without extracting anything.

An archive is read as the folder it was made from: :class:`cleaner.sources.Walk` makes each
member that is a file a source named by the archive's name and the member's path in it
(``bbc-fulltext.zip/bbc/business/001.txt``), of the kind its name (or its start) says. The
walking process reads a member's bytes and the source carries them to whichever process
handles it, as standard input's are, so workers never open the archive. A zip's members come
in path order, as a folder's files do, so a folder reads the same zipped; a tar's in the order
it holds them, as it can only be read from its start (``tar --sort=name`` writes them in path
order). Nothing is written to disk: a member named ``../../etc/x`` or
``/etc/x`` is only a name.

Limits, as for files: a member is a file, so one larger than ``max_file_bytes`` once out of
the archive is a ``too_large`` reject, skipped unread; a member is held whole in memory, so
that bounds what one costs. The members of a zip or of a compressed tar expand together to
at most ``max_decompressed_bytes``, as one compressed file may: the members after that point
are one ``too_large_decompressed`` reject. Damage keeps the members before it: a tar cut
short or damaged (``bad_tar``, or ``bad_gzip`` and the like for its compression) ends with a
reject naming the last member read; a zip member that does not inflate or fails its CRC is
a ``bad_zip`` reject of its own, the others read (a zip says where each member is). A zip
whose directory cannot be read at all is one ``bad_zip`` reject.

Not read: an encrypted member (``unreadable``), a link (``link_inside_input``: it names a
file, in the archive or not, and a scraped archive is not trusted to say which local files
go into a corpus), a device or pipe (``unsupported``), and an archive inside an archive
(``unsupported``; extract the outer one).
"""

from __future__ import annotations

import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from cleaner.compression import compression_of, decompressed, read_up_to, strip_suffix
from cleaner.document import Rejected, over_decompressed_limit, over_file_limit

ZIP_SUFFIXES = (".zip",)
TAR_SUFFIXES = {".tar": None, ".tgz": "gzip", ".tbz": "bzip2", ".tbz2": "bzip2", ".txz": "xz"}
LINK = ("link_inside_input", "a link inside an archive: not followed")


@dataclass(frozen=True)
class Member:
    """One entry of an archive as the walk needs it: its path in the archive, its bytes, or
    why it is not read (``problem``, a reject's reason and detail). An entry without a name
    is about the archive itself (damage, a limit reached): its ``problem`` says what was lost.
    """

    name: str
    data: bytes | None = None
    problem: tuple[str, str] | None = None


def container_of(filename: str) -> tuple[str, str | None] | None:
    """``("zip", None)`` or ``("tar", compression)`` for an archive's file name; None for
    any other file.

    >>> container_of("news.ZIP"), container_of("dump.tar.gz"), container_of("d.tgz")
    (('zip', None), ('tar', 'gzip'), ('tar', 'gzip'))
    >>> container_of("a.jsonl.gz") is None
    True
    """
    lower = filename.lower()
    if lower.endswith(ZIP_SUFFIXES):
        return "zip", None
    for suffix, compression in TAR_SUFFIXES.items():
        if lower.endswith(suffix):
            return "tar", compression
    codec = compression_of(lower)
    if codec is not None and strip_suffix(lower).endswith(".tar"):
        return "tar", codec
    return None


def members(
    path: str, container: tuple[str, str | None], max_file_bytes: int, max_decompressed_bytes: int
) -> Iterator[Member]:
    """The members of the archive at ``path``, of the kind :func:`container_of` gave, read
    under the limits above; a nameless :class:`Member` for what cannot be read past."""
    kind, compression = container
    budget = _Budget(max_file_bytes, max_decompressed_bytes if kind == "zip" or compression else 0)
    try:
        if kind == "zip":
            yield from _zip_members(path, budget)
        else:
            yield from _tar_members(path, compression, budget)
    except OSError as exc:  # the archive itself cannot be opened or read on
        yield Member("", problem=("unreadable", exc.strerror or str(exc)))


@dataclass
class _Budget:
    """What the members read so far may still take."""

    max_file_bytes: int
    max_decompressed_bytes: int  # 0: no limit (a tar not compressed is as its files are)
    used: int = 0
    last: str = ""  # the last member read, which a reject for the rest names

    def allows(self, size: int) -> bool:
        """Whether a member of ``size`` bytes fits in what is left of the expansion limit."""
        return not self.max_decompressed_bytes or self.used + size <= self.max_decompressed_bytes

    def spent(self) -> Member:
        detail = f"{over_decompressed_limit(self.max_decompressed_bytes)}; {self.after()}"
        return Member("", problem=("too_large_decompressed", detail))

    def after(self) -> str:
        if not self.last:
            return "no member read"
        return f"the members after {self.last} are not read"

    def too_large(self, name: str) -> Member:
        return Member(name, problem=("too_large", over_file_limit(self.max_file_bytes)))


def _read(stream: IO[bytes], name: str, budget: _Budget) -> Member:
    """A member's bytes, up to the file limit, counted against the expansion limit."""
    data = read_up_to(stream, budget.max_file_bytes + 1)
    if len(data) > budget.max_file_bytes:
        return budget.too_large(name)
    budget.used += len(data)
    budget.last = name
    return Member(name, data)


def _zip_members(path: str, budget: _Budget) -> Iterator[Member]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        yield Member(
            "", problem=("bad_zip", f"not a zip archive, or its directory is damaged: {exc}")
        )
        return
    with archive:
        # In path order, component by component, as a folder's files are: the same folder
        # zipped reads as it does unzipped, whatever order the zip tool stored it in.
        for info in sorted(archive.infolist(), key=_components):
            name = info.filename
            if info.is_dir():
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                yield Member(name, problem=LINK)
                continue
            if info.flag_bits & 0x1:
                yield Member(name, problem=("unreadable", "an encrypted member"))
                continue
            if info.file_size > budget.max_file_bytes:
                yield budget.too_large(name)
                continue
            # By its declared size; one that inflates past it is cut at the file limit, and
            # what it took stops the members after it.
            if not budget.allows(info.file_size):
                yield budget.spent()
                return
            try:
                with archive.open(info) as stream:
                    yield _read(stream, name, budget)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
                yield Member(name, problem=("bad_zip", str(exc) or type(exc).__name__))


def _components(info: zipfile.ZipInfo) -> str:
    """A sort key in path order, component by component: "/" before any other character."""
    return info.filename.replace("/", "\0")


def _tar_members(path: str, compression: str | None, budget: _Budget) -> Iterator[Member]:
    from cleaner.sources import open_regular

    with open_regular(path) as raw:
        stream: IO[bytes] = decompressed(raw, compression) if compression else raw
        try:
            # "r|": a stream, read once from its start, as a compressed tar can only be
            with tarfile.open(fileobj=stream, mode="r|") as archive:
                for info in archive:
                    # tarfile keeps every header read (its members list, not in its stubs)
                    archive.members.clear()  # type: ignore[attr-defined]
                    member = _tar_member(archive, info, budget)
                    if member is not None:
                        yield member
                        if not member.name:
                            return
        except Rejected as exc:  # the compression's damage: bad_gzip, bad_xz...
            yield Member("", problem=(exc.reason, f"{exc.detail}; {budget.after()}"))
        except (tarfile.TarError, EOFError, zlib.error) as exc:
            detail = f"{exc or type(exc).__name__}; {budget.after()}"
            yield Member("", problem=("bad_tar", detail))
        finally:
            if stream is not raw:
                stream.close()


def _tar_member(archive: tarfile.TarFile, info: tarfile.TarInfo, budget: _Budget) -> Member | None:
    """A tar entry as a member; None for a folder; a nameless member when the expansion
    limit is reached (even a member skipped is read through, at the cost of its size)."""
    name = info.name.removeprefix("./").lstrip("/")
    if info.isdir():
        return None
    if info.issym() or info.islnk():
        return Member(name, problem=LINK)
    if not info.isreg():
        return Member(name, problem=("unsupported", "a device or pipe inside an archive"))
    if not budget.allows(info.size):
        return budget.spent()
    if info.size > budget.max_file_bytes:
        budget.used += info.size  # read through to reach the next header
        return budget.too_large(name)
    stream = archive.extractfile(info)
    assert stream is not None  # a regular file's
    with stream:
        return _read(stream, name, budget)
