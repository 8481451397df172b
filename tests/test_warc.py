"""WARC files: every HTML response a document, every other record counted as skipped."""

from __future__ import annotations

import gzip
import io
import itertools
import re
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli  # FastWARC's dependency
import fastwarc.warc
import pandas as pd
import pyarrow.parquet as pq
import pytest
from fastwarc.warc import ArchiveIterator

import cleaner
from cleaner import pieces, warc
from cleaner.sources import Walk
from tests import warcs
from tests.conftest import read_corpus, shared
from tests.test_extract import ARTICLE, page

BRIDGE = page().encode()
# Another story, without a canonical link or a language of its own.
STORY = (
    b"<!DOCTYPE html><html><head><title>Ferry strike</title></head><body><article>"
    b"<p>Ferry crews walked out on Monday morning over pay and the new rota for the summer.</p>"
    b"<p>The operator said it would run a reduced timetable until the talks resume on Friday.</p>"
    b"</article></body></html>"
)


def archive() -> list[bytes]:
    return [
        warcs.warcinfo(),
        warcs.request("https://news.example/harbour-bridge"),
        warcs.response("https://news.example/harbour-bridge?utm=rss", BRIDGE),
        warcs.response("https://news.example/logo.png", b"\x89PNG\r\n", Content_Type="image/png"),
        warcs.response("https://news.example/gone", BRIDGE, status="404 Not Found"),
        warcs.response("https://news.example/old", b"", status="301 Moved", Location="/new"),
        warcs.response(
            "https://news.example/ferry",
            warcs.chunked(gzip.compress(STORY)),
            Transfer_Encoding="chunked",
            Content_Encoding="gzip",
            Content_Language="en-IE",
        ),
    ]


def clean(tmp_path: Path, name: str, data: bytes, **options: int) -> tuple[pd.DataFrame, ...]:
    (tmp_path / name).write_bytes(data)
    out = tmp_path / "corpus.parquet"
    report = cleaner.clean([str(tmp_path / name)], out, cleaner.Options(**options))
    rejects = pd.read_parquet(out.with_name("corpus.rejects.parquet"))
    return read_corpus(out), rejects, report


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_each_html_response_is_a_document(tmp_path: Path, name: str) -> None:
    records = archive()
    data = warcs.gzipped(records) if name.endswith(".gz") else b"".join(records)
    corpus, rejects, report = clean(tmp_path, name, data)
    assert rejects.empty
    assert list(corpus.doc_id) == [
        f"{name}#https://news.example/harbour-bridge?utm=rss",
        f"{name}#https://news.example/ferry",
    ]
    bridge, ferry = corpus.iloc[0], corpus.iloc[1]
    assert list(bridge.paragraphs) == ARTICLE
    assert bridge.url == "https://news.example/harbour-bridge"  # the page's canonical URL
    assert ferry.url == "https://news.example/ferry"  # none: the record's target URI
    assert ferry.text.startswith("Ferry crews walked out")  # de-chunked and gunzipped
    assert ferry.language == "en"  # from Content-Language
    # warcinfo, request, image, 404, redirect
    assert report.skipped_records == 5
    assert report.documents == 2


def test_a_record_over_the_limit_is_rejected_and_the_rest_is_read(tmp_path: Path) -> None:
    huge = page(body="<p>" + "word " * 40_000 + "</p>").encode()
    records = [warcs.response("https://news.example/huge", huge), *archive()]
    corpus, rejects, _ = clean(tmp_path, "c.warc", b"".join(records), max_file_bytes=100_000)
    assert rejects.doc_id.tolist() == ["c.warc#https://news.example/huge"]
    assert rejects.reason.tolist() == ["too_large"]
    assert len(corpus) == 2


@pytest.mark.parametrize(
    "tail", [b"WARC/1.0\r\nWARC-Type: response\r\nnonsense\r\n\r\n", b"\x00" * 9]
)
def test_a_warc_cut_off_or_damaged_keeps_the_records_before(tmp_path: Path, tail: bytes) -> None:
    cut = warcs.response("https://news.example/cut", STORY)[:300]
    corpus, _, report = clean(tmp_path, "c.warc", b"".join(archive()) + cut + tail)
    assert corpus.doc_id.tolist()[:2] == [
        "c.warc#https://news.example/harbour-bridge?utm=rss",
        "c.warc#https://news.example/ferry",
    ]
    assert "internal_error" not in report.rejects


def test_a_file_that_is_no_warc_at_all_is_rejected(tmp_path: Path) -> None:
    _, rejects, _ = clean(tmp_path, "c.warc", b"just some text\n" * 10)
    assert rejects.reason.tolist() == ["bad_warc"]


def test_real_pages_read_from_a_warc_as_from_their_files(tmp_path: Path) -> None:
    folder = shared("fundus_eval_news_html", "html")
    pages = sorted(folder.glob("*.html.gz"))[::8]
    records = [
        warcs.response(f"https://pages.example/{p.name}", gzip.decompress(p.read_bytes()))
        for p in pages
    ]
    (tmp_path / "pages").mkdir()
    for path in pages:
        (tmp_path / "pages" / path.name).write_bytes(path.read_bytes())
    from_warc, _, _ = clean(tmp_path, "pages.warc.gz", warcs.gzipped(records))
    out = tmp_path / "files.parquet"
    cleaner.clean([str(tmp_path / "pages")], out, cleaner.Options())
    from_files = pq.read_table(out).to_pandas()
    assert from_warc.text.tolist() == from_files.text.tolist()
    assert from_warc.title.tolist() == from_files.title.tolist()


LATE = STORY.replace(b"Ferry crews", b"Bus drivers").replace(b"Ferry strike", b"Bus strike")
PACKED = {
    "crawl.warc": b"".join,
    "crawl.warc.gz": warcs.gzipped,  # a gzip member per record, as crawlers write them
    "whole.warc.gz": lambda records: gzip.compress(b"".join(records)),
}


def late_archive() -> list[bytes]:
    """archive(), and after it the page LATE."""
    return [*archive(), warcs.response("https://news.example/late", LATE)]


def read_from(name: str, late: bool = False) -> list[str]:
    pages = ["harbour-bridge?utm=rss", "ferry", *(["late"] if late else [])]
    return [f"{name}#https://news.example/{page}" for page in pages]


@pytest.mark.parametrize(
    ("name", "tail"),
    [(name, b"") for name in PACKED] + [("crawl.warc", b"\r\n\r\n"), ("crawl.warc", b"\n")],
)
def test_a_whole_warc_has_no_reject_however_it_is_packed(
    tmp_path: Path, name: str, tail: bytes
) -> None:
    data = PACKED[name](late_archive()) + tail  # line ends after the last record
    corpus, rejects, report = clean(tmp_path, name, data)
    assert rejects.empty
    assert corpus.doc_id.tolist() == read_from(name, late=True)
    assert report.skipped_records == 5


def inside(data: bytes, name: str, where: str) -> int:
    """Where to cut an archive whose last record is the page LATE: inside its WARC headers,
    its HTTP headers or its body; for a gzip member per record, inside that of LATE; for a
    gzip stream of them all, inside its last bytes of data or only its trailer."""
    if name == "crawl.warc":
        last = data.rindex(b"WARC/1.0")
        http = data.index(b"HTTP/1.1 200", last)
        return {"warc": last + 30, "http": http + 20, "body": data.index(b"Bus", last) + 5}[where]
    if name == "crawl.warc.gz":
        last = data.rindex(b"\x1f\x8b\x08")
        return {"gzip header": last + 5, "data": last + 100, "trailer": len(data) - 4}[where]
    return len(data) - {"data": 40, "trailer": 4}[where]


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("crawl.warc", "warc"),
        ("crawl.warc", "http"),
        ("crawl.warc", "body"),
        ("crawl.warc.gz", "gzip header"),  # FastWARC finds no record in what is left of it
        ("crawl.warc.gz", "data"),
        ("crawl.warc.gz", "trailer"),  # every record whole, but the file is cut short
        ("whole.warc.gz", "data"),
        ("whole.warc.gz", "trailer"),
    ],
)
def test_a_warc_cut_short_keeps_the_records_before_and_says_where(
    tmp_path: Path, name: str, where: str
) -> None:
    data = PACKED[name](late_archive())
    cut = data[: inside(data, name, where)]
    corpus, rejects, _ = clean(tmp_path, name, cut)
    assert corpus.doc_id.tolist() == read_from(name, late=where == "trailer")
    (reject,) = rejects.itertuples()
    assert reject.doc_id == name  # the file's: what is lost after the cut is not known
    assert reject.reason == ("bad_warc" if name == "crawl.warc" else "bad_gzip")
    assert reject.detail.startswith(f"cut off at byte {len(cut):,}, inside the ")


ENCODED = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
    "gzip, br": lambda body: brotli.compress(gzip.compress(body)),
}


@pytest.mark.parametrize("coding", ENCODED)
def test_the_records_after_a_chunked_response_in_a_content_encoding_are_read(
    tmp_path: Path, coding: str
) -> None:
    # as wget --warc-file stores a response: chunked, in the encoding it was sent in
    body = warcs.chunked(ENCODED[coding](STORY))
    first = warcs.response(
        "https://news.example/ferry", body, Transfer_Encoding="chunked", Content_Encoding=coding
    )
    records = [warcs.warcinfo(), first, warcs.response("https://news.example/bridge", BRIDGE)]
    corpus, rejects, _ = clean(tmp_path, "c.warc.gz", warcs.gzipped(records))
    assert rejects.empty
    assert corpus.doc_id.tolist() == [
        "c.warc.gz#https://news.example/ferry",
        "c.warc.gz#https://news.example/bridge",
    ]
    assert corpus.text.iloc[0].startswith("Ferry crews walked out")


def test_a_body_that_cannot_be_decoded_is_a_reject_of_its_record(tmp_path: Path) -> None:
    def sent(name: str, body: bytes, **headers: str) -> bytes:
        return warcs.response(f"https://news.example/{name}", body, **headers)

    chunks = warcs.chunked(STORY).replace(b"64\r\n", b"6x\r\n", 1)
    records = [
        sent("gzip", b"\x1f\x8b\x08\x00" + bytes(60), Content_Encoding="gzip"),
        sent("chunks", chunks, Transfer_Encoding="chunked"),
        sent("size", b"6400" + warcs.chunked(STORY)[2:], Transfer_Encoding="chunked"),
        sent("compress", b"\x1f\x9d\x90<h", Content_Encoding="compress"),
        sent(
            "extension",
            b"64;name=value\r\n" + warcs.chunked(STORY)[4:],
            Transfer_Encoding="chunked",
        ),
        sent("bridge", BRIDGE),
    ]
    corpus, rejects, _ = clean(tmp_path, "c.warc", b"".join(records))
    assert corpus.doc_id.tolist() == [
        "c.warc#https://news.example/extension",  # a chunk extension is ignored
        "c.warc#https://news.example/bridge",
    ]
    assert dict(zip(rejects.doc_id, rejects.reason, strict=True)) == {
        "c.warc#https://news.example/gzip": "bad_warc",
        "c.warc#https://news.example/chunks": "bad_warc",
        "c.warc#https://news.example/size": "bad_warc",
        "c.warc#https://news.example/compress": "unsupported",
    }
    detail = rejects.set_index("doc_id").detail
    assert detail["c.warc#https://news.example/gzip"].startswith("its HTTP body in gzip cannot")
    assert detail["c.warc#https://news.example/chunks"].startswith("its chunked HTTP body is")
    assert detail["c.warc#https://news.example/size"].endswith(
        "a chunk of 25,600 bytes at byte 6 has 299"
    )


def _raw_deflate(body: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(body) + packer.flush()


@pytest.mark.parametrize(
    ("coding", "packed"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("gzip", lambda body: gzip.compress(body[:100]) + gzip.compress(body[100:])),
        ("deflate", zlib.compress),
        ("deflate", _raw_deflate),  # what some servers send for deflate
        ("br", brotli.compress),
    ],
    ids=["gzip", "x-gzip", "gzip-members", "deflate", "raw-deflate", "br"],
)
def test_a_body_cut_short_in_its_encoding_is_a_reject_and_a_whole_one_is_read(
    tmp_path: Path, coding: str, packed: Any
) -> None:
    # A body whose compressed stream stops before its end (a download that stopped) would
    # give a page cut in the middle of a word: the coding's own end is what says it is whole.
    whole = packed(STORY)
    records = [
        warcs.response("https://news.example/ferry", whole, Content_Encoding=coding),
        warcs.response(
            "https://news.example/cut", whole[: len(whole) * 2 // 3 + 1], Content_Encoding=coding
        ),
        warcs.response("https://news.example/bridge", BRIDGE),
    ]
    corpus, rejects, _ = clean(tmp_path, "c.warc", b"".join(records))
    assert corpus.doc_id.tolist() == [
        "c.warc#https://news.example/ferry",
        "c.warc#https://news.example/bridge",
    ]
    assert corpus.text.iloc[0].endswith("until the talks resume on Friday.")
    (reject,) = rejects.itertuples()
    assert (reject.doc_id, reject.reason) == ("c.warc#https://news.example/cut", "bad_warc")
    assert reject.detail.startswith(f"its HTTP body in {coding} cannot be decoded")


def test_a_response_with_headers_of_any_size_is_read_and_the_records_after_it(
    tmp_path: Path,
) -> None:
    # FastWARC stops a file at a header over 32 KiB by default; a site's cookies and
    # policies can make one that long. A header is part of its record, bounded as it is.
    big = warcs.response("https://news.example/ferry", STORY, Set_Cookie="a=" + "b" * 70_000)
    records = [big, warcs.response("https://news.example/bridge", BRIDGE)]
    corpus, rejects, _ = clean(tmp_path, "c.warc.gz", warcs.gzipped(records))
    assert rejects.empty
    assert corpus.doc_id.tolist() == [
        "c.warc.gz#https://news.example/ferry",
        "c.warc.gz#https://news.example/bridge",
    ]
    corpus, rejects, _ = clean(tmp_path, "c.warc.gz", warcs.gzipped(records), max_file_bytes=60_000)
    assert corpus.doc_id.tolist() == []  # over the limit: FastWARC ends the file there
    assert rejects.reason.tolist() == ["bad_warc"]
    assert rejects.detail.iloc[0] == "Maximum header length exceeded."


@pytest.mark.parametrize("length", [10**9, 1 << 62])
def test_a_record_longer_than_what_follows_it_is_a_cut(tmp_path: Path, length: int) -> None:
    records = [*archive(), warcs.response("https://news.example/late", LATE), warcs.warcinfo()]
    long = re.sub(rb"Content-Length: \d+", b"Content-Length: %d" % length, records[-2], count=1)
    data = b"".join([*records[:-2], long, records[-1]])
    corpus, rejects, _ = clean(tmp_path, "c.warc", data)
    assert corpus.doc_id.tolist() == read_from("c.warc")
    (reject,) = rejects.itertuples()
    start = len(b"".join(records[:-2]))
    assert reject.doc_id == "c.warc"
    assert reject.detail.startswith(
        f"cut off at byte {len(data):,}, inside the record at byte {start:,}"
    )


def test_a_record_without_a_header_it_must_have_is_a_reject(tmp_path: Path) -> None:
    untyped = warcs.response("https://news.example/untyped", BRIDGE).replace(
        b"WARC-Type: response\r\n", b""
    )
    unsized = warcs.response("https://news.example/unsized", LATE)
    unsized = re.sub(rb"Content-Length: \d+\r\n", b"", unsized, count=1)
    ferry = warcs.response("https://news.example/ferry", STORY)
    data = b"".join([warcs.warcinfo(), untyped, ferry, unsized, warcs.warcinfo()])
    corpus, rejects, _ = clean(tmp_path, "c.warc", data)
    assert corpus.doc_id.tolist() == ["c.warc#https://news.example/ferry"]
    at = data.index(unsized)
    assert rejects[["doc_id", "reason", "detail"]].values.tolist() == [
        [
            "c.warc#https://news.example/untyped",
            "bad_warc",
            f"the record at byte {len(warcs.warcinfo()):,} has no WARC-Type",
        ],
        ["c.warc", "bad_warc", f"the record at byte {at:,} has no Content-Length"],
    ]


def fastwarc_panic() -> BaseException:
    """A panic of FastWARC's own: its iterator panics when its stream cannot say where it is."""

    class Nowhere(io.BytesIO):
        def tell(self) -> int:
            raise OSError("nowhere")

    try:
        ArchiveIterator(Nowhere(b""))
    except BaseException as exc:
        assert warc.panicked(exc), exc
        return exc
    raise AssertionError("FastWARC did not panic")


def panicking(after: int, exc: BaseException) -> Any:
    """FastWARC's ArchiveIterator, raising ``exc`` after ``after`` records."""
    real = ArchiveIterator

    def iterator(*args: Any, **kwargs: Any) -> Iterator[Any]:
        yield from itertools.islice(real(*args, **kwargs), after)
        raise exc

    return iterator


def test_a_panic_in_fastwarc_is_a_reject_of_its_file_after_the_records_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(warc, "ArchiveIterator", panicking(7, fastwarc_panic()))
    corpus, rejects, _ = clean(tmp_path, "c.warc", b"".join(late_archive()))
    assert corpus.doc_id.tolist() == read_from("c.warc")
    (reject,) = rejects.itertuples()
    assert (reject.doc_id, reject.reason) == ("c.warc", "bad_warc")
    assert reject.detail.startswith("FastWARC failed: called `Result::unwrap()`")


@pytest.mark.parametrize("stop", [KeyboardInterrupt, SystemExit])
def test_a_stop_inside_fastwarc_is_no_reject(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stop: type[BaseException]
) -> None:
    monkeypatch.setattr(warc, "ArchiveIterator", panicking(3, stop()))
    stream = io.BytesIO(b"".join(late_archive()))
    with pytest.raises(stop):
        list(warc.Archive(stream, 1 << 20, 1 << 20))


def test_a_panic_while_cutting_a_warc_ends_the_cutting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.warc"
    path.write_bytes(b"".join(late_archive() * 3))
    (source,) = Walk([str(path)])
    monkeypatch.setattr(fastwarc.warc, "ArchiveIterator", panicking(12, fastwarc_panic()))
    found = list(pieces.cut(source, 1 << 20, 1 << 20, piece_bytes=1000))
    assert 2 < len(found) < 12
    assert found[-1].stop is None  # the rest, the panic's place with it, read by one worker
    assert sum(piece.stored for piece in found) == path.stat().st_size


def test_no_limit_is_too_large_to_read_a_record_under(tmp_path: Path) -> None:
    # FastWARC allocates the bytes a read asks for: a read of the limit would abort the process
    (tmp_path / "c.warc").write_bytes(b"".join(archive()))
    out = tmp_path / "c.parquet"
    command = [sys.executable, "-m", "cleaner", "clean", str(tmp_path / "c.warc"), "-o", str(out)]
    limit = str(1 << 62)
    result = subprocess.run(
        [*command, "-q", "--max-decompressed-bytes", limit, "--max-file-bytes", limit],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert len(pd.read_parquet(out)) == 2
