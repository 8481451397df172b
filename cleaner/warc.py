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
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from fastwarc.warc import ArchiveIterator, WarcRecord, WarcRecordType

from cleaner.decode import Record, decode_bytes
from cleaner.document import Meta, Rejected
from cleaner.extract import codec, declared_charset
from cleaner.metadata import language_code

PAGE_TYPES = ("text/html", "application/xhtml+xml")


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
        records = ArchiveIterator(
            self.stream,
            parse_http=True,
            auto_decode="all",  # chunked transfer and gzip/deflate/brotli content, as sent
            fsspec_args=False,
        )
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
        payload = record.reader.read(self.max_decoded_bytes + 1)
        if len(payload) > self.max_decoded_bytes:
            detail = f"more than {self.max_decoded_bytes:,} bytes once decoded"
            return Rejected("too_large_decompressed", f"{detail} (--max-decompressed-bytes)", key)
        try:
            declared = codec(charset) if charset else declared_charset(payload)
            text, encoding = decode_bytes(payload, declared)
        except Rejected as exc:
            exc.key = key
            return exc
        meta = Meta(url=uri, language=language_code(language))
        return Record(key, text, meta, markup=True, encoding=encoding)
