"""Re-scraped articles: ``--keep newest``, and pages with the same URL always compared."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import cleaner
from cleaner.corpus_index import summarise
from cleaner.deduplicate_corpus import decide
from cleaner.document import Document, Meta
from cleaner.fingerprint import fingerprint
from cleaner.formats import read_index
from cleaner.metadata import canonical_url, url_hash
from tests.conftest import cases, read_corpus
from tests.test_deduplicate_corpus import words

STORY = [words(0, 30), words(30, 60), words(60, 90)]


def run(folder: Path, keep: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    options = cleaner.Options(dedup=cleaner.DedupOptions(keep=keep))
    out = folder.parent / f"{keep}.parquet"
    cleaner.clean([str(folder)], out, options)
    return read_corpus(out), pd.read_parquet(out.with_name(f"{keep}.rejects.parquet"))


def test_newest_keeps_the_latest_published_copy_and_a_dated_one_before_an_undated(
    tmp_path: Path,
) -> None:
    text = "\n\n".join(STORY)
    records = [
        {"id": "monday", "text": text, "date": "2024-05-13T08:00:00Z"},
        {"id": "undated", "text": text},
        {"id": "wednesday", "text": text, "date": "2024-05-15T08:00:00+02:00"},
        {"id": "tuesday", "text": text, "date": "2024-05-14T23:00:00Z"},
    ]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    corpus, rejects = run(folder, "newest")
    assert corpus.doc_id.tolist() == ["in/feed.jsonl#wednesday"]
    assert set(rejects.duplicate_of) == {"in/feed.jsonl#wednesday"}
    corpus, _ = run(folder, "first")
    assert corpus.doc_id.tolist() == ["in/feed.jsonl#monday"]


def test_equal_or_unknown_dates_go_by_modification_time_then_input_order(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name, mtime in (("a.txt", 1_000), ("b.txt", 3_000), ("c.txt", 2_000), ("d.txt", 3_000)):
        (folder / name).write_text("\n\n".join(STORY))
        os.utime(folder / name, (mtime, mtime))
    corpus, rejects = run(folder, "newest")
    assert corpus.doc_id.tolist() == ["in/b.txt"]  # latest, and the first of the two at 3,000
    assert sorted(rejects.doc_id) == ["in/a.txt", "in/c.txt", "in/d.txt"]


def test_same_url_pages_are_compared_even_when_their_signatures_disagree() -> None:
    # Two scrapes of one article, a word changed: their signatures are replaced by unrelated
    # ones, so that no band can propose the pair; only the URL can.
    edited = [STORY[0], STORY[1].replace("word40", "changed"), STORY[2]]
    url = "https://news.example/story"
    docs = [
        Document("old", "old", "utf-8", False, list(STORY), meta=Meta(url=url + "?utm_source=x")),
        Document("new", "new", "utf-8", False, edited, meta=Meta(url=url + "/")),
    ]
    fp = fingerprint([p for d in docs for p in d.paragraphs_in])
    index = summarise(docs, fp)
    index.signatures[1] = np.random.default_rng(0).integers(0, 2**32, index.signatures.shape[1])
    options = cleaner.DedupOptions()

    def read(rows: np.ndarray) -> list[list[str]]:
        return [docs[int(n)].paragraphs_in for n in rows]

    assert decide(index, options, read).duplicate_of.keys() == {1}
    index.url_hash[1] = url_hash("https://news.example/another-story")
    assert decide(index, options, read).duplicate_of == {}


@pytest.mark.parametrize("case", cases("url_pairs.json"))
def test_urls_of_one_page_have_one_canonical_form(case: dict[str, Any]) -> None:
    first, second = case["first"], case["second"]
    assert (canonical_url(first) == canonical_url(second)) is case["same_page"]
    assert (url_hash(first) == url_hash(second)) is case["same_page"]
    assert url_hash(first) != 0 and url_hash(second) != 0


def test_a_dateless_index_from_before_reads_with_unknown_times(tmp_path: Path) -> None:
    # An index written before the columns existed is read with NaN times and no URLs.
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("\n\n".join(STORY))
    out = tmp_path / "c.parquet"
    cleaner.clean([str(folder)], out)
    table = pq.read_table(out.with_name("c.index.parquet"))
    old = table.drop_columns(["published", "modified", "url_hash"])
    index = read_index(old, 128)
    assert np.isnan(index.published).all() and (index.url_hash == 0).all()
    assert read_index(table, 128).modified[0] == os.stat(folder / "a.txt").st_mtime
