"""Pieces: a file of records cut into runs of whole records, each read on its own.

A scraper's dump can be gigabytes in one file. Held whole, it would cost one worker many
times its size while the others wait; so a file of records larger than ``PIECE_BYTES`` is
cut into pieces of about that size that end where a record does, and each piece is a unit of
work that any worker can take. Memory then depends on the piece size, not the file size.

- JSON lines: a piece of a plain file is a byte range ending at a line end (a path and two
  offsets travel, and the worker reads its own bytes). A compressed stream (gzip, bzip2, xz,
  zstd: :mod:`cleaner.compression`) cannot be entered in the middle, so the reading process
  decompresses it and gives each piece its bytes: decompressing is a few hundredths of the
  work of cleaning what comes out (bzip2, the slowest, a fifth), so the workers stay the
  bottleneck.
- A JSON array: the reading process parses it as it reads, to find where elements end; a
  piece is the text between two commas (a range, or the bytes for a compressed file), parsed
  again by its worker, which keeps the records.
- WARC: pieces start where records do (:func:`_cut_warc`).
- A table (CSV, TSV): a piece is a byte range of whole rows after the header, found by
  reading the table here with the csv module as a worker reads it (:func:`_cut_table`), since
  a quoted cell may hold line breaks; each piece carries the header's names and delimiter.
  A compressed table is decompressed twice here: to find the rows, then to give each piece
  its bytes.

A piece reads as the same records, with the same line or element numbers, text and encoding,
as the whole file does (:func:`cleaner.decode.json_lines` and
:func:`cleaner.decode.json_elements` number from the piece's first;
:func:`cleaner.decode.decode_bytes` judges a byte-order mark on the file's first bytes). A
file is cut only when it is UTF-8 throughout, which the cutting checks: one in another
encoding is read whole, so that one encoding is found for all its records. Only making
repeated ids unique (``7@12``) needs the records before; the process that collects the
pieces' results in order does it (:func:`cleaner.decode.unique_key`).

The limits keep their meaning, per record: a record longer than ``--max-file-bytes`` is a
``too_large`` reject named by its position, and the records around it are read (a line is
skipped as it is read, never held); a compressed file stops at ``--max-decompressed-bytes``
once decompressed (a bomb costs no more), keeping the records before; a file cut short
(a truncated download) keeps every complete record, and what is lost is one reject with the
reason, named by the record where it begins.

A ``.json`` file holding one object over several lines, UTF-16/32 text (where a newline byte
is not a line end) and standard input are read whole, as one piece.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import IO, Any

from cleaner.compression import decompressed
from cleaner.document import Rejected, over_decompressed_limit
from cleaner.sources import WARC_DECOMPRESSES, Source, by_fields, open_regular
from cleaner.tables import Header, cell_limit, column_names, reader, separator_of

RECORD_KINDS = ("records", "json")
# A piece's records are a batch of their own: large enough that its few milliseconds of
# collecting in the writing process stay small beside its cleaning, small enough to spread.
PIECE_BYTES = 1 << 20
# Blocks read while cutting. Small: decoding blocks of a MiB to check that they are UTF-8
# left the reading process's heap at a quarter of the file's size (the large strings of
# mixed sizes fragment it); 64 KiB stays at a few MiB.
_CHUNK = 1 << 16
_HEAD = 64 * 1024  # what of a file's start says whether it is read by lines
_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(frozen=True)
class Piece:
    """A run of whole records of a file, or the whole file, as a unit of work."""

    source: Source
    start: int = 0  # offset of its first byte in the file, decompressed; 0 for the first piece
    stop: int | None = None  # offset after its last byte; None: the end of the file
    line: int = 1  # the number of its first line (or element)
    data: bytes | None = None  # its bytes, once read (by the reading process, if compressed)
    # For a piece after the first, the file's first bytes: a byte-order mark or not (shape
    # found no NUL byte in the file's head, so these few tell decode_bytes all it needs).
    head: bytes | None = None
    oversized: tuple[tuple[int, int], ...] = ()  # (line, bytes) of records left out for size
    damage: tuple[str, str, int] | None = None  # (reason, detail, line): why the file ends here
    last: bool = True  # the file's last piece
    array: bool = False  # elements of a JSON array (``line`` the first one's number), not lines
    header: Header | None = None  # a table's, for a piece of its rows (``line``: the first row)
    stored: int = 0  # the bytes of the file as stored that it accounts for (progress)

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        return by_fields(self)

    @property
    def size(self) -> int:
        """The bytes a worker holds for it, which batches are cut by."""
        if self.data is not None:
            return len(self.data)
        return (self.source.size if self.stop is None else self.stop) - self.start

    @property
    def whole(self) -> bool:
        """Whether it is its whole file (else the reading process cut the file)."""
        return self.start == 0 and self.last

    def rejects(self, max_record_bytes: int) -> dict[int, Rejected]:
        """The rejects of its records left out for their size, by position."""
        detail = f"a record of {{:,}} bytes, more than {max_record_bytes:,} (--max-file-bytes)"
        return {
            at: Rejected("too_large", detail.format(size), key=str(at))
            for at, size in self.oversized
        }

    def damaged(self) -> Rejected | None:
        """What was lost after it, as a reject: named by its first record, or the file when
        nothing before it could be read."""
        if self.damage is None:
            return None
        reason, detail, at = self.damage
        if at == 1 and self.header is None:
            return Rejected(reason, detail)
        what = "element" if self.array else "row" if self.header else "line"
        return Rejected.lost(reason, detail, what, at)


def batched(pieces: Iterable[Piece], files: int, size: int) -> Iterator[list[Piece]]:
    """Cut pieces, in order, into batches of at most ``files`` pieces and ``size`` bytes.

    A batch is what one worker holds in memory at a time, so it is bounded by bytes as well
    as by count; a piece larger than ``size`` is a batch of its own, and so is each piece of
    a file that was cut, whose records the collecting process names (see the module).

    >>> sized = [Piece(Source(f"{n}.txt", f"{n}.txt", "article", size=n)) for n in (5, 5, 9, 1)]
    >>> [len(batch) for batch in batched(sized, files=3, size=10)]
    [2, 2]
    """
    current: list[Piece] = []
    held = 0
    for piece in pieces:
        alone = not piece.whole or (current and not current[-1].whole)
        if current and (len(current) >= files or held + piece.size > size or alone):
            yield current
            current, held = [], 0
        current.append(piece)
        held += piece.size
    if current:
        yield current


def shape(head: bytes, kind: str) -> str | None:
    """How a file of ``kind`` that starts with ``head`` is read in pieces: ``"lines"`` (JSON
    lines), ``"array"`` (a JSON array, element by element), or None: whole (a ``.json`` file
    whose first line is not a whole JSON value, such as an object written over several
    lines; text with NUL bytes or a UTF-16/32 byte-order mark, where a newline byte is not a
    line end).

    >>> shape(b'{"text": "a"}\\n{"text": "b"}\\n', "records"), shape(b" [{}]", "records")
    ('lines', 'array')
    >>> shape(b'{\\n  "text": "a"\\n}\\n', "json"), shape(b'{"text": "a"}\\n', "json")
    (None, 'lines')
    """
    if kind not in RECORD_KINDS or b"\x00" in head or head.startswith(_WIDE_BOMS):
        return None
    text = head.decode("utf-8", "replace").lstrip("\ufeff")
    stripped = text.lstrip(" \t\r\n")
    if stripped.startswith("["):
        return "array"
    if kind == "json" and stripped.startswith("{"):
        # Read whole, such a file is a single object when it parses as one, numbered 1; read
        # by lines, it is the same only when that object is the whole of line 1.
        first = text.partition("\n")[0]
        try:
            json.loads(first)
        except (ValueError, RecursionError):
            return None
        return "lines" if text.startswith("{") else None
    return "lines"


def cut(
    source: Source,
    max_record_bytes: int,
    max_decompressed_bytes: int,
    piece_bytes: int | None = None,
) -> Iterator[Piece]:
    """The pieces of a source, in order: the whole file as one piece unless it is a file of
    records (JSON lines, a JSON array, WARC) larger than ``piece_bytes`` (default
    ``PIECE_BYTES``), as stored. Whatever goes wrong while cutting is left to the worker
    that reads the piece, which says what."""
    piece_bytes = piece_bytes or PIECE_BYTES
    if (
        source.kind not in (*RECORD_KINDS, "warc", "table")
        or source.problem is not None
        or source.payload is not None
        or source.size <= piece_bytes
    ):
        yield Piece(source, stored=source.size)
        return
    try:
        stream = open_regular(source.path)
    except (OSError, Rejected):
        yield Piece(source, stored=source.size)
        return
    with stream:
        if source.kind == "warc":
            yield from _cut_warc(source, stream, piece_bytes)
        elif source.kind == "table":
            limits = max_record_bytes, max_decompressed_bytes
            yield from _cut_table(source, stream, piece_bytes, *limits)
        elif source.compression:
            yield from _cut_compressed(
                source, stream, piece_bytes, max_record_bytes, max_decompressed_bytes
            )
        else:
            yield from _cut_plain(source, stream, piece_bytes, max_record_bytes)


def _cut_plain(
    source: Source, stream: IO[bytes], piece_bytes: int, max_record_bytes: int
) -> Iterator[Piece]:
    """The pieces of a plain file: byte ranges, found by reading it here (:func:`_cut_lines`,
    :func:`_cut_array`)."""
    head = stream.read(_HEAD)
    stream.seek(0)
    found = shape(head, source.kind)
    if found == "lines":
        yield from _cut_lines(source, stream, piece_bytes, head)
    elif found == "array" and _utf8(stream, source.size):
        stream.seek(0)
        yield from _cut_array(
            source, stream, stream, head, piece_bytes, max_record_bytes, packed=False
        )
    else:
        yield Piece(source, stored=source.size)


def _cut_lines(source: Source, stream: IO[bytes], piece_bytes: int, head: bytes) -> Iterator[Piece]:
    """The pieces of a plain file of JSON lines: byte ranges ending at line ends, found by
    reading the file here once, a block at a time, before the first piece goes out: its
    lines are counted, and it must be UTF-8 throughout (else it is read whole, as one text)."""
    utf8 = codecs.getincrementaldecoder("utf-8")()
    cuts: list[tuple[int, int, int]] = []  # start, stop, first line
    start = offset = 0
    first = line = 1  # the piece's first line, the line being read
    while block := stream.read(_CHUNK):
        try:
            utf8.decode(block)
        except UnicodeDecodeError:
            yield Piece(source, stored=source.size)
            return
        at = 0
        while (look := start + piece_bytes - 1 - offset) < len(block):
            end = block.find(b"\n", max(look, at))
            if end < 0:
                break
            cuts.append((start, offset + end + 1, first))
            line += block.count(b"\n", at, end + 1)
            first, start, at = line, offset + end + 1, end + 1
        line += block.count(b"\n", at)
        offset += len(block)
    if start < offset or not cuts:
        cuts.append((start, offset, first))
    for n, (start, stop, line) in enumerate(cuts):
        last = n == len(cuts) - 1
        yield Piece(
            source,
            start,
            None if last else stop,
            line,
            head=head[: len(codecs.BOM_UTF8)] if start else None,
            last=last,
            stored=(max(stop, source.size) if last else stop) - start,
        )


def _cut_table(
    source: Source,
    raw: IO[bytes],
    piece_bytes: int,
    max_record_bytes: int,
    max_decompressed_bytes: int,
) -> Iterator[Piece]:
    """The pieces of a table, UTF-8 throughout: runs of whole rows after its header, found
    by reading the table here once with the csv module (:func:`_table_rows`), before the
    first piece goes out; each carries the header. A piece of a plain file is a byte range,
    one of a compressed file its bytes, decompressed again here. A row over
    ``max_record_bytes`` is a piece of its own that holds only its size; a cell over it,
    whose end cannot be found without holding it, a row the csv module cannot read, damage
    and ``max_decompressed_bytes`` end the table: the last piece stops before that row and
    says why. The whole table is one piece when it is not to be cut."""
    packed = source.compression is not None

    def opened() -> IO[bytes]:
        raw.seek(0)
        return decompressed(raw, source.compression) if source.compression else raw

    head = _head(raw, source.compression)[0]
    if not head or b"\x00" in head or head.startswith(_WIDE_BOMS):
        yield Piece(source, stored=source.size)
        return
    limit = max_decompressed_bytes if packed else None
    with cell_limit(max_record_bytes):
        found = _table_rows(opened(), max_record_bytes, limit)
    if found is None:
        yield Piece(source, stored=source.size)
        return
    header, ends = found
    pieces: list[tuple[int, int, int, tuple[tuple[int, int], ...]]] = []  # start, stop, row
    damage: tuple[str, str, int] | None = None
    start = end = ends.offset
    first = 1  # the piece's first row
    try:
        with cell_limit(max_record_bytes):
            for row_start, end, position in ends:
                if end - row_start > max_record_bytes:  # a piece of its own, only its size
                    if row_start > start:
                        pieces.append((start, row_start, first, ()))
                    pieces.append((row_start, row_start, position, ((position, end - row_start),)))
                    start, first = end, position + 1
                elif end - start >= piece_bytes:
                    pieces.append((start, end, first, ()))
                    start, first = end, position + 1
    except UnicodeDecodeError:  # not UTF-8 throughout: read whole, in one encoding
        pieces, damage = [], None
    except (csv.Error, Rejected) as exc:  # the rest cannot be read: the rows before are kept
        end, at = ends.row_start, ends.position
        if isinstance(exc, Rejected):
            damage = (exc.reason, exc.detail, at)
        elif "field limit" in str(exc):
            damage = ("too_large", _too_long(max_record_bytes), at)
        else:
            damage = ("bad_record", str(exc), at)
    if not pieces and damage is None:
        yield Piece(source, stored=source.size)
        return
    pieces.append((start, max(start, end), first, ()))
    stream = opened()
    at = stored = 0  # where the stream is, the bytes as stored accounted for
    for n, (start, stop, line, oversized) in enumerate(pieces):
        last = n == len(pieces) - 1
        data = None
        if packed:
            _skip(stream, start - at)
            data = stream.read(stop - start)
            at = stop
        now = source.size if last else pieces[n + 1][0] if not packed else raw.tell()
        yield Piece(
            source,
            start,
            stop,
            line,
            data,
            head=head[: len(codecs.BOM_UTF8)],
            oversized=oversized,
            damage=damage if last else None,
            last=last,
            stored=min(now, source.size) - stored,
            header=header,
        )
        stored = min(now, source.size)


def _head(raw: IO[bytes], compression: str | None) -> tuple[bytes, Rejected | None]:
    """The first ``_HEAD`` bytes of a file, decompressed, or as many as come before damage,
    and the damage."""
    raw.seek(0)
    if compression is None:
        return raw.read(_HEAD), None
    head = b""
    try:
        with decompressed(raw, compression) as unpacked:
            while len(head) < _HEAD and (block := unpacked.read1(_HEAD - len(head))):
                head += block
    except Rejected as exc:
        return head, exc
    return head, None


def _too_long(max_record_bytes: int) -> str:
    return f"a cell of more than {max_record_bytes:,} characters (--max-file-bytes)"


def _skip(stream: IO[bytes], size: int) -> None:
    """Read ``size`` bytes of a stream and drop them, a block at a time."""
    while size > 0 and (block := stream.read(min(size, _CHUNK))):
        size -= len(block)


def _table_rows(
    stream: IO[bytes], max_record_bytes: int, limit: int | None
) -> tuple[Header, _RowEnds] | None:
    """A table's header and its rows' ends, read with the csv module as a worker reads a
    piece (a row is read the same wherever the reading starts, if at a row's start); None
    when its header cannot be read so: its first line longer than ``_HEAD`` or not UTF-8,
    or no row, or a row the csv module refuses (a whole read says why)."""
    first_line = stream.readline(_HEAD)
    if not first_line.endswith(b"\n"):
        return None
    try:
        text = first_line.decode("utf-8").removeprefix("\ufeff")
        separator, named = separator_of(text.partition("\n")[0])
        start = 0
        if named:  # Excel's sep= line, before the header
            start, first_line = len(first_line), stream.readline(_HEAD)
            if not first_line.endswith(b"\n"):
                return None
        lines = _TableLines(stream, first_line, max_record_bytes, limit, start)
        rows = reader(lines, separator)
        header = column_names(next(row for row in rows if row), separator)
    except (StopIteration, csv.Error, UnicodeDecodeError, Rejected):
        return None
    return header, _RowEnds(lines, rows)


class _RowEnds:
    """The rows of a table after its header: (byte offset of its start, of its end, its
    number) of each row that is not blank, numbered from 1; ``row_start`` and ``position``
    say where the row being read starts, and its number. Raises csv.Error for a row the csv
    module cannot read, UnicodeDecodeError for bytes that are not UTF-8, and Rejected where
    the stream is damaged or passes a limit (:class:`_TableLines`)."""

    def __init__(self, lines: _TableLines, rows: Iterator[list[str]]) -> None:
        self.lines, self.rows = lines, rows
        self.offset = self.row_start = lines.offset  # after the header
        self.position = 1

    def __iter__(self) -> Iterator[tuple[int, int, int]]:
        for row in self.rows:
            end = self.lines.offset
            if row:
                yield self.row_start, end, self.position
                self.position += 1
            self.row_start = end


_LONE_CR = re.compile("(?<=\r)(?!\n)")


class _TableLines:
    """A UTF-8 stream's lines as ``newline=""`` reads them (each ends at "\\n", "\\r\\n" or a
    lone "\\r"), decoded, byte-order mark aside, from its first line (read already) on;
    ``offset``: the byte after the last one given out. A line without its end is given out
    only once the stream is known to end there, not at damage. Raises UnicodeDecodeError
    for bytes that are not UTF-8, and Rejected for a line longer than ``max_record_bytes``
    (``too_large``), a stream longer than ``limit`` (``too_large_decompressed``) or damaged."""

    def __init__(
        self,
        stream: IO[bytes],
        first: bytes,
        max_record_bytes: int,
        limit: int | None,
        offset: int = 0,
    ) -> None:
        self.stream, self.first = stream, first
        self.max_record_bytes, self.limit = max_record_bytes, limit
        self.offset = offset  # of the first line

    def __iter__(self) -> Iterator[str]:
        raw = self.first
        if raw.startswith(codecs.BOM_UTF8):
            self.offset += len(codecs.BOM_UTF8)
            raw = raw[len(codecs.BOM_UTF8) :]
        while raw:
            ended = raw.endswith(b"\n")
            if not ended and self._readline():  # a line longer than a read
                raise Rejected("too_large", _too_long(self.max_record_bytes))
            line = raw.decode("utf-8")
            end = self.offset + len(raw)
            if self.limit is not None and end > self.limit:
                what = f"more than {self.limit:,} bytes once decompressed"
                raise Rejected("too_large_decompressed", f"{what} (--max-decompressed-bytes)")
            if line.count("\r") > line.endswith("\r\n"):  # a lone one: a line end too
                *parts, line = [part for part in _LONE_CR.split(line) if part]
                for part in parts:
                    self.offset += len(part.encode())
                    yield part
            self.offset = end
            yield line
            raw = self._readline() if ended else b""

    def _readline(self) -> bytes:
        return self.stream.readline(self.max_record_bytes + 1)


def _cut_warc(source: Source, stream: IO[bytes], piece_bytes: int) -> Iterator[Piece]:
    """The pieces of a WARC file: runs of records, each starting where a record does, found
    by reading the records' headers here (their bodies are skipped, not parsed). A
    ``.warc.gz`` is cut only when each record is a gzip member of its own, as crawlers write
    them, since a worker can start reading only at a member's start; damage ends the cutting
    (a panic in FastWARC too), and the last piece, which holds it, says what it is. A WARC in
    another codec is one stream, read whole by one worker (streamed, record by record)."""
    from fastwarc.warc import ArchiveIterator

    from cleaner.warc import panicked

    if source.compression is not None and source.compression not in WARC_DECOMPRESSES:
        yield Piece(source, stored=source.size)
        return
    starts = []
    try:
        for record in ArchiveIterator(stream, parse_http=False, fsspec_args=False):
            starts.append(record.stream_pos)
    except OSError:
        pass
    except BaseException as exc:
        if not panicked(exc):
            raise
    if not starts or any(b <= a for a, b in itertools.pairwise(starts)):
        yield Piece(source, stored=source.size)  # one gzip member: read whole, in one go
        return
    cuts = [0]
    for start in starts:
        if start - cuts[-1] >= piece_bytes:
            cuts.append(start)
    for start, stop in zip(cuts, [*cuts[1:], None], strict=True):
        size = (source.size if stop is None else stop) - start
        yield Piece(source, start, stop, last=stop is None, stored=size)


class Range(io.RawIOBase):
    """A piece of a file from its start to its stop, for a reader that reads to the end: the
    stream is left where the piece starts, and its position stays the file's."""

    def __init__(self, stream: IO[bytes] | io.RawIOBase, piece: Piece) -> None:
        stream.seek(piece.start)
        self.stream = stream
        self.stop = piece.stop

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        want = len(buffer)
        if self.stop is not None:
            want = min(want, self.stop - self.stream.tell())
        if want <= 0:
            return 0
        data = self.stream.read(want)
        buffer[: len(data)] = data
        return len(data)

    def tell(self) -> int:
        return self.stream.tell()


def read(piece: Piece, max_record_bytes: int, max_decompressed_bytes: int) -> list[Piece] | None:
    """A worker's read of a piece: the piece, or the pieces of a compressed file too small to
    have been cut, with their bytes; None when its file is not read by lines
    (:func:`shape`) but whole. Raises :class:`Rejected` for a file that cannot be read."""
    if piece.data is not None:
        return [piece]
    source = piece.source
    if source.problem is not None:
        raise Rejected(*source.problem)
    if piece.header is not None:  # rows of a table
        assert piece.stop is not None  # the pieces of a table end where a row does
        try:
            with open_regular(source.path) as stream:
                stream.seek(piece.start)
                data = stream.read(piece.stop - piece.start)
        except OSError as exc:
            raise Rejected("unreadable", exc.strerror or str(exc)) from None
        return [replace(piece, data=data)]
    if source.kind not in RECORD_KINDS or source.payload is not None:
        return None
    try:
        with open_regular(source.path) as stream:
            if source.compression:
                limits = max_record_bytes, max_decompressed_bytes
                found = list(_cut_compressed(source, stream, 0, *limits))
                return None if found[0].data is None else found
            if piece.array:
                assert piece.stop is not None  # the parts of an array end where an element does
                stream.seek(piece.start)
                return [replace(piece, data=stream.read(piece.stop - piece.start))]
            if piece.whole and shape(stream.read(_HEAD), source.kind) != "lines":
                return None
            stream.seek(piece.start)
            lines = _Lines(stream, max_record_bytes, piece.start, piece.stop, piece.line)
            (data, _, oversized, _), *_ = lines.pieces(0)
    except OSError as exc:
        raise Rejected("unreadable", exc.strerror or str(exc)) from None
    return [replace(piece, data=data, oversized=oversized, damage=lines.damage)]


def _cut_compressed(
    source: Source,
    raw: IO[bytes],
    piece_bytes: int,
    max_record_bytes: int,
    max_decompressed_bytes: int,
) -> Iterator[Piece]:
    """The pieces of a compressed file of JSON lines, decompressed here as they are read
    (``piece_bytes`` 0: all in one); the whole file as one piece, not read, when it is not
    JSON lines, or, when it is to be cut, not UTF-8 throughout (checked in a first pass)."""
    assert source.compression is not None
    head, damaged = _head(raw, source.compression)
    if damaged is not None and not head:  # else the pass that cuts says where
        damage = (damaged.reason, damaged.detail, 1)
        yield Piece(source, data=b"", damage=damage, stored=source.size)
        return
    found = shape(head, source.kind)
    if found is None or (found == "array" and not piece_bytes):
        yield Piece(source, stored=source.size)
        return
    if piece_bytes:
        raw.seek(0)
        with decompressed(raw, source.compression) as unpacked:
            utf8 = _utf8(unpacked, max_decompressed_bytes)
        if not utf8:
            yield Piece(source, stored=source.size)
            return
    raw.seek(0)
    unpacked = decompressed(raw, source.compression)
    if found == "array":
        yield from _cut_array(
            source, raw, unpacked, head, piece_bytes, max_record_bytes, max_decompressed_bytes
        )
        return
    lines = _Lines(unpacked, max_record_bytes, limit=max_decompressed_bytes)
    stored = 0
    pending: Piece | None = None
    for data, line, oversized, start in lines.pieces(piece_bytes):
        if pending is not None:
            yield pending
        now = min(raw.tell(), source.size)
        pending = Piece(
            source,
            start,
            line=line,
            data=data,
            head=head[: len(codecs.BOM_UTF8)] if start else None,
            oversized=oversized,
            last=False,
            stored=now - stored,
        )
        stored = now
    assert pending is not None  # a last piece, even for an empty file
    rest = pending.stored + source.size - stored
    yield replace(pending, damage=lines.damage, last=True, stored=rest)


_LEAD = re.compile("[\ufeff \t\n\r]*")
_SPACE = re.compile("[ \t\n\r]*")
_VALUE = json.JSONDecoder()


def _cut_array(
    source: Source,
    raw: IO[bytes],
    stream: IO[bytes],
    head: bytes,
    piece_bytes: int,
    max_record_bytes: int,
    limit: int | None = None,
    packed: bool = True,
) -> Iterator[Piece]:
    """The pieces of a JSON array, UTF-8 throughout: runs of whole elements, found by parsing
    the array here as it is read (the elements are parsed again by the workers, which keep
    them). A piece is the text between the commas before and after its elements, which
    reads as an array inside brackets: a byte range of a plain file, the bytes themselves
    for ``packed`` (a compressed file). An element over ``max_record_bytes`` is a piece of
    its own that holds only its size; damage ends the array, its complete elements kept."""
    text = _Text(stream, limit)
    i = text.skip(_LEAD, 0) + 1  # after the "[" that shape() found
    start = end = i  # the piece's first character, the end of its last element
    first = element = 1  # the piece's first element, the element being read
    stored = 0
    damage: tuple[str, str, int] | None = None

    def piece(last: bool, oversized: tuple[tuple[int, int], ...] = ()) -> Piece:
        nonlocal stored
        offset = text.offset(start)
        data = text.text[start:end].encode()
        now = source.size if last else min(raw.tell(), source.size)
        found = Piece(
            source,
            offset,
            None if packed else offset + len(data),
            first,
            data if packed else None,
            head[: len(codecs.BOM_UTF8)],
            oversized=oversized,
            damage=damage if last else None,
            last=last,
            stored=now - stored,
            array=True,
        )
        stored = now
        return found

    while True:
        i = text.skip(_SPACE, i)
        if text.text[i : i + 1] == "]" and element == 1:  # an empty array
            break
        try:
            stop = _VALUE.raw_decode(text.text, i)[1]
        except json.JSONDecodeError as exc:
            held = len(text.text) - i
            if exc.msg.startswith("Unterminated") or exc.pos >= len(text.text) - 8:
                if held > max_record_bytes:
                    what = f"a record of more than {max_record_bytes:,} bytes (--max-file-bytes)"
                    damage = ("too_large", what, element)
                    break
                if text.more():
                    continue
            damage = ("bad_json", f"not a JSON array: {exc.msg}", element)
            break
        except RecursionError as exc:
            damage = ("bad_json", f"not a JSON array: {exc}", element)
            break
        if stop == len(text.text) and text.more():
            continue  # a number may go on in the next block
        size = stop - i
        if size * 4 > max_record_bytes:  # a character is 1 to 4 bytes
            size = len(text.text[i:stop].encode())
        if size > max_record_bytes:  # a piece of its own, that holds only its size
            if end > start:
                yield piece(last=False)
            start = end = i
            first = element
            yield piece(last=False, oversized=((element, size),))
            start = end = i = stop
            first = element + 1
        else:
            end = i = stop
        element += 1
        i = text.skip(_SPACE, i)
        after = text.text[i : i + 1]
        if after == ",":
            i += 1
            if end == start:  # nothing in the piece yet (an element left out): it starts here
                start = end = i
            elif end - start >= piece_bytes:
                yield piece(last=False)
                text.drop(i)
                start = end = i = 0
                first = element
            continue
        if after == "]":
            if text.skip(_SPACE, i + 1) < len(text.text):
                damage = ("bad_json", "not a JSON array: Extra data after it", element)
            break
        damage = ("bad_json", "not a JSON array: Expecting ',' delimiter", element)
        break
    if text.damage is not None and damage is not None and damage[0] == "bad_json":
        damage = (*text.damage, element)  # the stream's own damage is why the array ends
    yield piece(last=True)


class _Text:
    """A UTF-8 stream's text, decoded a block at a time as it is needed, held from the last
    ``drop`` on; reading stops at ``limit`` bytes (decompressed) or at damage."""

    def __init__(self, stream: IO[bytes], limit: int | None) -> None:
        self.stream = stream
        self.limit = limit
        self.utf8 = codecs.getincrementaldecoder("utf-8")()
        self.text = ""
        self.base = 0  # the offset in the stream of the text's first character
        self.read = 0
        self.ended = False
        self.damage: tuple[str, str] | None = None

    def more(self) -> bool:
        """Read another block; False at the end."""
        if self.ended:
            return False
        try:
            block = self.stream.read(_CHUNK)
        except Rejected as exc:  # a compressed stream damaged or cut short
            self.damage, block = (exc.reason, exc.detail), b""
        except OSError as exc:
            self.damage, block = ("unreadable", exc.strerror or str(exc)), b""
        self.read += len(block)
        if self.limit is not None and self.read > self.limit:
            block = block[: len(block) - (self.read - self.limit)]
            self.damage = ("too_large_decompressed", over_decompressed_limit(self.limit))
        if self.damage is not None or not block:
            self.ended = True
        self.text += self.utf8.decode(block)
        return bool(block)

    def skip(self, pattern: re.Pattern[str], i: int) -> int:
        """The index after what ``pattern`` matches at ``i``, reading on while it matches to
        the end of the text."""
        while True:
            i = pattern.match(self.text, i).end()  # type: ignore[union-attr]
            if i < len(self.text) or not self.more():
                return i

    def offset(self, i: int) -> int:
        return self.base + len(self.text[:i].encode())

    def drop(self, i: int) -> None:
        self.base = self.offset(i)
        self.text = self.text[i:]


def _utf8(stream: IO[bytes], limit: int) -> bool:
    """Whether a stream is UTF-8 up to ``limit`` bytes, or to where it is damaged: a file
    in another encoding is decoded whole, with one encoding for all its records."""
    utf8 = codecs.getincrementaldecoder("utf-8")()
    read = 0
    try:
        while read < limit and (block := stream.read(min(_CHUNK, limit - read))):
            utf8.decode(block)
            read += len(block)
    except UnicodeDecodeError:
        return False
    except (Rejected, OSError):
        pass  # the cutting pass says what is wrong, where
    return True


Pieces = Iterator[tuple[bytes, int, tuple[tuple[int, int], ...], int]]


class _Lines:
    """A stream's lines from ``start`` to ``stop`` (the end: None), cut into runs of whole
    lines. A line longer than ``max_record_bytes`` is skipped, never held: its line end
    stays, so that the lines after keep their numbers. The stream stops at ``limit`` bytes
    (decompressed, for a compressed file) or at damage, which ``damage`` then says, with the
    first line lost: the one being read."""

    def __init__(
        self,
        stream: IO[bytes],
        max_record_bytes: int,
        start: int = 0,
        stop: int | None = None,
        line: int = 1,
        limit: int | None = None,
    ) -> None:
        self.stream = stream
        self.max_record_bytes = max_record_bytes
        self.offset = start
        self.stop = stop
        self.line = line
        self.limit = limit
        self.damage: tuple[str, str, int] | None = None

    def pieces(self, piece_bytes: int) -> Pieces:
        """(bytes, first line, lines left out, start) of each run of at least
        ``piece_bytes`` bytes (0: one run of them all), and of the rest, even if empty."""
        parts: list[bytes] = []
        oversized: list[tuple[int, int]] = []
        held, line, start = 0, self.line, self.offset
        while (self.stop is None or self.offset < self.stop) and (part := self._line()):
            if len(part) > self.max_record_bytes and not part.endswith(b"\n"):
                size = self._skip(len(part))
                if size is None:
                    break
                oversized.append((self.line, size))
                part = b"\n"
            parts.append(part)
            held += len(part)
            self.line += part.endswith(b"\n")  # a line without its end is the last
            if piece_bytes and held >= piece_bytes:
                yield b"".join(parts), line, tuple(oversized), start
                parts, oversized = [], []
                held, line, start = 0, self.line, self.offset
        yield b"".join(parts), line, tuple(oversized), start

    def _line(self, size: int = -1) -> bytes:
        """The next line, at most ``size`` bytes of it (default: the record limit and one),
        or b"" at the end, at the limit or at damage."""
        if self.damage is not None:
            return b""
        try:
            part = self.stream.readline(self.max_record_bytes + 1 if size < 0 else size)
        except Rejected as exc:  # a compressed stream damaged or cut short
            return self._lose(exc.reason, exc.detail)
        except OSError as exc:
            return self._lose("unreadable", exc.strerror or str(exc))
        self.offset += len(part)
        if self.limit is not None and self.offset > self.limit:
            what = f"more than {self.limit:,} bytes once decompressed"
            return self._lose("too_large_decompressed", f"{what} (--max-decompressed-bytes)")
        return part

    def _skip(self, size: int) -> int | None:
        """The size of a line too long to hold, read to its end; None when the stream
        stopped inside it."""
        while rest := self._line(_CHUNK):
            size += len(rest)
            if rest.endswith(b"\n"):
                return size - 1
        return None if self.damage is not None else size

    def _lose(self, reason: str, detail: str) -> bytes:
        self.damage = (reason, detail, self.line)
        return b""
