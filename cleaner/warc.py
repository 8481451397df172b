"""WARC: the web pages of a web archive, one record per page, read as a stream.

A WARC file (``.warc``, ``.warc.gz``) holds the requests a crawler made and the responses it
got, often thousands of them. Each HTML response (status 2xx, ``text/html`` or
``application/xhtml+xml``) is a document whose text is still markup, for the extract stage;
its key is the record's target URI, or its offset in the file when it has none. Every other
record (requests, metadata, redirects, images, error pages) is counted as skipped.

The file is streamed, not held in memory: the limits apply to each record (its stored size to
``--max-file-bytes``, its payload once decoded to ``--max-decompressed-bytes``), so a record
over them is a reject and the records after it are still read. FastWARC reads the stream
(2.3 times warcio's records per second on a WARC built from the project's HTML sets,
compressed or not; see the README); it is only ever given an open file, never a name it could
take for a URL, so nothing is fetched.

FastWARC finds the records and their headers; what it leaves unsaid is checked here:

- A file cut short (a download that stopped): FastWARC ends quietly where the stream does,
  inside a record or a gzip member, and the records lost there would be lost without a word.
  Each record's block is read to its end and counted against its length, and the stream goes
  through :class:`_Watched`, which follows the gzip members as they pass: a record cut short is
  a ``bad_warc`` reject and a gzip member cut short or damaged a ``bad_gzip`` one, each saying
  at which byte, after the records before it. A piece of a file (:mod:`cleaner.pieces`) ends
  where a record does, and is not taken for a cut.
- A response's body is decoded here (chunked transfer, then its content encoding: gzip and
  deflate with zlib, brotli and zstd with FastWARC's decoders), record by record: a body that
  cannot be decoded, or whose stream stops before its end, is a reject of that record and the
  records after it are read. FastWARC's own decoding ends the whole file at one bad body,
  after a chunked response with a content encoding (as ``wget --warc-file`` stores them) it
  ends quietly, losing every record after, and its gzip reader gives what it could of a body
  cut short as if it were whole.
- FastWARC ends a file at a header over 32 KiB; a site's cookies and policies can make an HTTP
  header that long. A header is part of its record, and may be as long as a record may be.
- FastWARC is Rust: a panic in it reaches Python as pyo3's ``PanicException``, which derives
  from BaseException. It ends the file with a ``bad_warc`` reject (or the record, in a
  decoder), the records before it kept, never the run.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import IO, Any

from fastwarc.stream_io import BrotliReader, ZstdReader
from fastwarc.warc import ArchiveIterator, WarcRecord, WarcRecordType

from cleaner.decode import Record, decode_bytes
from cleaner.document import Meta, Rejected
from cleaner.extract import codec, declared_charset
from cleaner.metadata import language_code

PAGE_TYPES = ("text/html", "application/xhtml+xml")
# The most one read from FastWARC asks for: it allocates what is asked before it reads.
_READ = 1 << 20
_GZIP = b"\x1f\x8b"
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")


def panicked(exc: BaseException) -> bool:
    """Whether ``exc`` is a panic of FastWARC's Rust code: pyo3's ``PanicException``, a
    BaseException, so that ``except Exception`` lets it through."""
    kind = type(exc)
    return kind.__name__ == "PanicException" and kind.__module__ == "pyo3_runtime"


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


class _Cut(Exception):
    """A record's block ends before its length: the stream was cut short inside it."""

    def __init__(self, start: int, read: int, length: int | None) -> None:
        super().__init__(start)
        self.start, self.read, self.length = start, read, length

    def rejected(self, end: int, last: bool) -> Rejected:
        """The reject of the file, the stream being at ``end``; ``last``: whether FastWARC
        found nothing after the record."""
        if self.length is None:  # every record has one: its headers were cut short
            if not last:
                detail = f"the record at byte {self.start:,} has no Content-Length"
                return Rejected("bad_warc", detail)
            what = f"inside the headers of the record at byte {self.start:,}"
        else:
            what = f"inside the record at byte {self.start:,} ({self.read:,} of its"
            what += f" {self.length:,} bytes)"
        return Rejected("bad_warc", f"cut off at byte {end:,}, {what}")


@dataclass
class Archive:
    """The page records of a WARC stream; ``skipped`` and ``bytes_read`` count as it is read."""

    stream: IO[bytes] | io.RawIOBase
    max_record_bytes: int
    max_decoded_bytes: int
    skipped: int = 0
    bytes_read: int = 0  # the records' stored sizes

    def __iter__(self) -> Iterator[Record | Rejected]:
        found = False
        watched: _Watched | None = None
        records: Iterator[WarcRecord] = iter(())
        try:
            watched = _Watched(self.stream)
            records = iter(
                ArchiveIterator(
                    watched,
                    parse_http=True,
                    fsspec_args=False,
                    max_header_len=self.max_record_bytes,  # a header is part of its record
                )
            )
            for record in records:
                found = True
                page = self._page(record)
                if page is None:
                    self.skipped += 1
                else:
                    yield page
            left = watched.rest()
        except _Cut as cut:
            assert watched is not None
            last = cut.length is not None or _ended(records)
            yield watched.damage() or cut.rejected(watched.position, last)
            return
        except OSError as exc:  # not a WARC, or damaged: the records before it stand
            damaged = watched.damage() if watched is not None else None
            yield damaged or Rejected("bad_warc", str(exc) or type(exc).__name__)
            return
        except Rejected as exc:  # its compression damaged or cut off (bad_xz): the same
            yield exc
            return
        except BaseException as exc:
            if not panicked(exc):
                raise
            yield Rejected("bad_warc", f"FastWARC failed: {_first_line(exc)}")
            return
        if left is not None:
            yield left
        elif not found:
            yield Rejected("empty", "no WARC records")

    def _page(self, record: WarcRecord) -> Record | Rejected | None:
        """The record as a page to extract; None when it is not an HTML response. Its block
        is read to its end; raises :class:`_Cut` when the stream ends before it does."""
        if record.headers.get("Content-Length") is None:
            raise _Cut(record.stream_pos, 0, None)
        self.bytes_read += record.content_length
        uri = record.headers.get("WARC-Target-URI") or None
        key = uri or f"offset {record.stream_pos}"
        typed = record.headers.get("WARC-Type") is not None  # else damaged: a page, maybe
        kind, charset, language = None, None, None
        if record.record_type == WarcRecordType.response or (not typed and record.is_http):
            if record.is_http and 200 <= (record.http_headers.status_code or 0) < 300:
                kind = record.http_content_type
                charset = record.http_charset
                language = record.http_headers.get("Content-Language")
        elif record.record_type == WarcRecordType.resource:
            kind = (record.headers.get("Content-Type") or "").split(";")[0].strip()
        page = (kind or "").lower() in PAGE_TYPES
        if not page or not typed or record.content_length > self.max_record_bytes:
            skipped = record.reader.consume()
            if skipped < record.content_length:
                raise _Cut(record.stream_pos, skipped, record.content_length)
            if not page:
                return None
            if not typed:
                detail = f"the record at byte {record.stream_pos:,} has no WARC-Type"
                return Rejected("bad_warc", detail, key)
            detail = f"record of more than {self.max_record_bytes:,} bytes (--max-file-bytes)"
            return Rejected("too_large", detail, key=key)
        block = _read(record.reader, record.content_length)
        if len(block) < record.content_length:
            raise _Cut(record.stream_pos, len(block), record.content_length)
        payload = _decoded(record, block, self.max_decoded_bytes, key)
        if isinstance(payload, Rejected):
            return payload
        try:
            declared = codec(charset) if charset else declared_charset(payload)
            text, encoding = decode_bytes(payload, declared)
        except Rejected as exc:
            exc.key = key
            return exc
        meta = Meta(url=uri, language=language_code(language))
        return Record(key, text, meta, markup=True, encoding=encoding)


def _ended(records: Iterator[WarcRecord]) -> bool:
    """Whether FastWARC finds no record after the one read, and no error."""
    try:
        return next(records, None) is None
    except Exception:
        return False
    except BaseException as exc:
        if not panicked(exc):
            raise
        return False


def _decoded(record: WarcRecord, body: bytes, limit: int, key: str) -> bytes | Rejected:
    """A response's body as sent, undone: its transfer codings, then its content codings,
    each in the reverse of the order they were applied in."""
    codings = [
        coding.strip().lower()
        for header in ("Content-Encoding", "Transfer-Encoding")
        for coding in (record.http_headers.get(header) or "").split(",")
    ]
    for coding in reversed(codings):
        if coding in ("", "identity") or not body:
            continue
        if coding == "chunked":
            try:
                body = _dechunked(body)
            except ValueError as exc:
                return Rejected("bad_warc", f"its chunked HTTP body is damaged: {exc}", key)
        elif coding in _DECODERS:
            try:
                body = _DECODERS[coding](body, limit)
            except OSError as exc:
                what = f"its HTTP body in {coding} cannot be decoded: {_first_line(exc)}"
                return Rejected("bad_warc", what, key)
            except BaseException as exc:
                if not panicked(exc):
                    raise
                what = f"its HTTP body in {coding} cannot be decoded: FastWARC failed"
                return Rejected("bad_warc", f"{what}: {_first_line(exc)}", key)
        else:
            return Rejected("unsupported", f"an HTTP body in the {coding!r} encoding", key)
        if len(body) > limit:
            detail = f"more than {limit:,} bytes once decoded"
            return Rejected("too_large_decompressed", f"{detail} (--max-decompressed-bytes)", key)
    return body


def _inflated(reader: Callable[[IO[bytes]], Any], data: bytes, limit: int) -> bytes:
    """``data`` decoded by one of FastWARC's readers, up to one byte over ``limit``."""
    return _read(reader(io.BytesIO(data)), limit + 1)


# zlib's window bits for a stream with a gzip or a zlib header, told apart by their magic.
_GZIP_OR_ZLIB = 32 + zlib.MAX_WBITS


def _deflate_bits(data: bytes) -> int:
    """zlib's window bits for an HTTP body in ``deflate``: the zlib format (RFC 9110,
    8.4.1.2), or raw deflate, which servers send too, when the first two bytes are no zlib
    header (RFC 1950: method 8, and a multiple of 31)."""
    zlib_header = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
    return zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS


def _inflated_zlib(data: bytes, limit: int, wbits: int) -> bytes:
    """gzip, zlib or raw deflate ``data`` decoded, up to one byte over ``limit``, and every
    gzip member after the first; bytes after the last stream that start none are ignored.
    Raises OSError for data damaged or cut short: zlib says where a stream ends, where
    FastWARC's reader gives what it could decode of a body cut short as if it were whole
    (a page cut in the middle of a word)."""
    parts: list[bytes] = []
    size = 0
    rest = data
    try:
        while rest and size <= limit:
            inflater = zlib.decompressobj(wbits)
            left = rest
            while left and size <= limit:
                part = inflater.decompress(left, limit + 1 - size)
                parts.append(part)
                size += len(part)
                left = inflater.unconsumed_tail
            if size > limit:
                break
            if not inflater.eof:
                raise OSError(f"cut short, {size:,} bytes decoded")
            rest = inflater.unused_data
            if not rest.startswith(_GZIP):
                break
    except zlib.error as exc:
        raise OSError(str(exc)) from None
    return b"".join(parts)


# The content codings decoded, by their decoders (zlib for gzip and deflate, FastWARC for the
# rest); x-gzip is gzip (RFC 9110, 8.4.1.3).
_DECODERS: dict[str, Callable[[bytes, int], bytes]] = {
    "gzip": partial(_inflated_zlib, wbits=_GZIP_OR_ZLIB),
    "deflate": lambda data, limit: _inflated_zlib(data, limit, _deflate_bits(data)),
    "br": partial(_inflated, BrotliReader),
    "zstd": partial(_inflated, ZstdReader),
}
_DECODERS["x-gzip"] = _DECODERS["gzip"]


def _read(stream: Any, most: int) -> bytes:
    """At most ``most`` bytes of a FastWARC stream, ``_READ`` at a time: it allocates what a
    read asks for before it reads."""
    parts = []
    size = 0
    while size < most and (part := stream.read(min(_READ, most - size))):
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def _dechunked(body: bytes) -> bytes:
    r"""The data of an HTTP body in chunked transfer coding (RFC 9112, 7.1): chunks, each a
    hexadecimal size on a line of its own (extensions after a ``;`` ignored) and that many
    bytes, up to one of size 0; trailers are ignored. A body that ends after a whole chunk
    gives the chunks it holds, as FastWARC read it. Raises ValueError where a size line is not
    one, and where a chunk is not as long as its size says (a damaged size, or a body cut
    short inside a chunk).

    >>> _dechunked(b"5;x=y\r\nHello\r\n1\r\n!\r\n0\r\n\r\n"), _dechunked(b"5\r\nHello\r\n")
    (b'Hello!', b'Hello')
    >>> _dechunked(b"<html>")
    Traceback (most recent call last):
    ValueError: no chunk size at byte 0 (b'<html>')
    >>> _dechunked(b"50\r\nHello\r\n0\r\n\r\n")
    Traceback (most recent call last):
    ValueError: a chunk of 80 bytes at byte 4 has 12
    """
    parts = []
    at = 0
    while at < len(body):
        end = body.find(b"\n", at)
        if end < 0:
            end = len(body)
        line = body[at:end].split(b";", 1)[0].strip()
        if not _CHUNK_SIZE.fullmatch(line):
            raise ValueError(f"no chunk size at byte {at:,} ({body[at : at + 16]!r})")
        size = int(line, 16)
        if size == 0:
            break
        start = end + 1
        if start + size > len(body):
            raise ValueError(
                f"a chunk of {size:,} bytes at byte {start:,} has {max(len(body) - start, 0):,}"
            )
        parts.append(body[start : start + size])
        at = start + size
        if body.startswith(b"\r\n", at):
            at += 2
        elif body.startswith(b"\n", at):
            at += 1
        elif at < len(body):
            raise ValueError(f"a chunk longer than its size at byte {at:,}")
    return b"".join(parts)


class _Watched(io.RawIOBase):
    """A stream as FastWARC reads it, passed through: where it is, whether it ended, and, when
    it holds gzip, whether it ends inside a member or holds a damaged one. FastWARC's gzip
    reader ends quietly at a member cut short (the records in it lost without a word), so the
    members are decompressed here too as their bytes pass, and the output thrown away."""

    def __init__(self, stream: IO[bytes] | io.RawIOBase) -> None:
        self.stream = stream
        self.position = stream.tell()
        self.ended = False  # a read met the end
        self.members: _Members | None = None  # once its first bytes say it holds gzip
        self.started = False

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer: Any) -> int:
        data = self.stream.read(len(buffer)) or b""
        if not data:
            self.ended = True
            return 0
        if not self.started:
            self.started = True
            if data.startswith(_GZIP):
                self.members = _Members(self.position)
        if self.members is not None:
            self.members.feed(data, self.position)
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)

    def damage(self) -> Rejected | None:
        """The damaged gzip member it passed, or, once it ended, the one it ends inside."""
        members = self.members
        if members is None:
            return None
        if self.ended and members.cut():
            where = f"inside the gzip member at byte {members.start:,}"
            return Rejected("bad_gzip", f"cut off at byte {self.position:,}, {where}")
        if members.damage is not None:
            return Rejected("bad_gzip", members.damage)
        return None

    def rest(self) -> Rejected | None:
        """Once FastWARC stopped without an error: what is wrong with the rest of the stream,
        read to its end (nothing, where FastWARC read it all)."""
        start = self.position
        left = b""
        while block := self.read(_READ):
            left = left or block.strip(b" \t\r\n\x00")
        damage = self.damage()
        if damage is None and left:
            what = f"bytes from byte {start:,} to {self.position:,} are not read as records"
            return Rejected("bad_warc", what)
        return damage


class _Members:
    """The gzip members of a stream, decompressed as their bytes pass and thrown away, to
    know where the one being read starts and whether it is whole. Zero bytes between members
    are padding, as Python's gzip reads them."""

    _SCRAP = 1 << 18  # the most one step decompresses

    def __init__(self, start: int) -> None:
        self.inflate: Any = None  # the member being read; None between members
        self.start = start  # where it starts
        self.damage: str | None = None

    def feed(self, data: bytes, offset: int) -> None:
        """Read ``data``, the stream's bytes from ``offset`` on."""
        end = offset + len(data)
        while data and self.damage is None:
            if self.inflate is None:
                data = data.lstrip(b"\x00")
                if not data:
                    return
                self.start = end - len(data)
                self.inflate = zlib.decompressobj(31)
            try:
                self.inflate.decompress(data, self._SCRAP)
            except zlib.error as exc:
                self.damage = f"the gzip member at byte {self.start:,} is damaged: {exc}"
                return
            if self.inflate.eof:
                data = self.inflate.unused_data
                self.inflate = None
            else:
                data = self.inflate.unconsumed_tail

    def cut(self) -> bool:
        """Whether the bytes read end inside a member, the stream being at its end."""
        inflate = self.inflate
        if inflate is None or self.damage is not None:
            return False
        try:  # what is still to come out of the bytes read
            while not inflate.eof and inflate.decompress(b"", self._SCRAP):
                pass
        except zlib.error as exc:
            self.damage = f"the gzip member at byte {self.start:,} is damaged: {exc}"
            return False
        return not inflate.eof
