"""WARC files: every HTML response a document, every other record counted as skipped."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import cleaner
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
