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

A response's body is decoded here (chunked transfer, then its content encoding: gzip, deflate,
brotli or zstd, with FastWARC's own decoders), record by record: a body that cannot be decoded
is a reject of that record and the records after it are read. FastWARC's own decoding ends the
whole file at one bad body, and after a chunked response with a content encoding (as ``wget
--warc-file`` stores them) it ends quietly, losing every record after.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import IO, Any

from fastwarc.stream_io import BrotliReader, GzipReader, ZstdReader
from fastwarc.warc import ArchiveIterator, WarcRecord, WarcRecordType

from cleaner.decode import Record, decode_bytes
from cleaner.document import Meta, Rejected
from cleaner.extract import codec, declared_charset
from cleaner.metadata import language_code

PAGE_TYPES = ("text/html", "application/xhtml+xml")
# The most one read from FastWARC asks for: it allocates what is asked before it reads.
_READ = 1 << 20
# The content codings FastWARC decodes, by their readers; x-gzip is gzip (RFC 9110, 8.4.1.3).
_DECODERS: dict[str, Callable[[IO[bytes]], Any]] = {
    "gzip": GzipReader,
    "x-gzip": GzipReader,
    "deflate": partial(GzipReader, zlib=True),
    "br": BrotliReader,
    "zstd": ZstdReader,
}
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


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
        records = ArchiveIterator(self.stream, parse_http=True, fsspec_args=False)
        try:
            for record in records:
                found = True
                self.bytes_read += record.content_length
                page = self._page(record)
                if page is None:
                    self.skipped += 1
                else:
                    yield page
        except OSError as exc:  # not a WARC, or cut off: the records before it stand
            yield Rejected("bad_warc", str(exc) or type(exc).__name__)
            return
        except Rejected as exc:  # its compression damaged or cut off (bad_xz): the same
            yield exc
            return
        if not found:
            yield Rejected("empty", "no WARC records")

    def _page(self, record: WarcRecord) -> Record | Rejected | None:
        """The record as a page to extract; None when it is not an HTML response."""
        if record.record_type not in (WarcRecordType.response, WarcRecordType.resource):
            return None
        uri = record.headers.get("WARC-Target-URI") or None
        key = uri or f"offset {record.stream_pos}"
        if record.record_type == WarcRecordType.response:
            if not record.is_http or not 200 <= (record.http_headers.status_code or 0) < 300:
                return None
            kind = record.http_content_type
            charset = record.http_charset
            language = record.http_headers.get("Content-Language")
        else:
            kind = (record.headers.get("Content-Type") or "").split(";")[0].strip()
            charset, language = None, None
        if (kind or "").lower() not in PAGE_TYPES:
            return None
        if record.content_length > self.max_record_bytes:
            detail = f"record of more than {self.max_record_bytes:,} bytes (--max-file-bytes)"
            return Rejected("too_large", detail, key=key)
        payload = _decoded(record, record.reader.read(), self.max_decoded_bytes, key)
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
                body = _inflated(_DECODERS[coding], body, limit)
            except OSError as exc:
                what = f"its HTTP body in {coding} cannot be decoded: {_first_line(exc)}"
                return Rejected("bad_warc", what, key)
        else:
            return Rejected("unsupported", f"an HTTP body in the {coding!r} encoding", key)
        if len(body) > limit:
            detail = f"more than {limit:,} bytes once decoded"
            return Rejected("too_large_decompressed", f"{detail} (--max-decompressed-bytes)", key)
    return body


def _inflated(reader: Callable[[IO[bytes]], Any], data: bytes, limit: int) -> bytes:
    """``data`` decoded by one of FastWARC's readers, up to one byte over ``limit``."""
    stream = reader(io.BytesIO(data))
    parts = []
    size = 0
    while size <= limit and (part := stream.read(_READ)):
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def _dechunked(body: bytes) -> bytes:
    r"""The data of an HTTP body in chunked transfer coding (RFC 9112, 7.1): chunks, each a
    hexadecimal size on a line of its own (extensions after a ``;`` ignored) and that many
    bytes, up to one of size 0; trailers are ignored. A body cut short gives the data it
    holds. Raises ValueError where a size line is not one.

    >>> _dechunked(b"5;x=y\r\nHello\r\n1\r\n!\r\n0\r\n\r\n"), _dechunked(b"5\r\nHel")
    (b'Hello!', b'Hel')
    >>> _dechunked(b"<html>")
    Traceback (most recent call last):
    ValueError: no chunk size at byte 0 (b'<html>')
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
        parts.append(body[start : start + size])
        at = start + size
        if body.startswith(b"\r\n", at):
            at += 2
        elif body.startswith(b"\n", at):
            at += 1
        elif at < len(body):
            raise ValueError(f"a chunk longer than its size at byte {at:,}")
    return b"".join(parts)
