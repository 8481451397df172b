"""WARC files written by hand for the tests and the fixtures: the format is a few headers."""

from __future__ import annotations

import gzip
import hashlib


def record(kind: str, block: bytes, uri: str | None = None, content_type: str = "") -> bytes:
    """One WARC/1.0 record of ``kind`` (response, request, warcinfo, ...) around ``block``."""
    headers = [f"WARC-Type: {kind}", "WARC-Date: 2024-05-14T10:00:00Z"]
    digest = hashlib.sha1(kind.encode() + block + str(uri).encode()).hexdigest()[:32]
    headers.append(f"WARC-Record-ID: <urn:uuid:{digest}>")
    if uri is not None:
        headers.append(f"WARC-Target-URI: {uri}")
    if content_type:
        headers.append(f"Content-Type: {content_type}")
    headers.append(f"Content-Length: {len(block)}")
    return ("WARC/1.0\r\n" + "\r\n".join(headers) + "\r\n\r\n").encode() + block + b"\r\n\r\n"


def response(uri: str, body: bytes, status: str = "200 OK", **headers: str) -> bytes:
    """An HTTP response record; ``headers`` with ``_`` for ``-`` (``Content_Type``)."""
    fields = {"Content_Type": "text/html; charset=utf-8", **headers}
    lines = [f"HTTP/1.1 {status}"] + [f"{k.replace('_', '-')}: {v}" for k, v in fields.items()]
    http = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    return record("response", http, uri, "application/http; msgtype=response")


def request(uri: str) -> bytes:
    http = f"GET {uri} HTTP/1.1\r\nHost: example\r\n\r\n".encode()
    return record("request", http, uri, "application/http; msgtype=request")


def warcinfo() -> bytes:
    return record("warcinfo", b"software: tests/warcs.py\r\n", None, "application/warc-fields")


def gzipped(records: list[bytes]) -> bytes:
    """A ``.warc.gz``: each record a gzip member of its own, as crawlers write them."""
    return b"".join(gzip.compress(r) for r in records)


def chunked(body: bytes, size: int = 100) -> bytes:
    """An HTTP body in chunked transfer encoding."""
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
