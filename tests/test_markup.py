"""A JSON record's body stored as an HTML fragment: read as its text, a paragraph per block."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

import cleaner
from tests.conftest import cases


@pytest.mark.parametrize("case", cases("html_fragments.json"))
def test_a_record_body_stored_as_html_is_read_as_its_text(
    case: dict[str, Any], tmp_path: Path
) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": 1, "text": case["text"]}) + "\n", encoding="utf-8")
    out = tmp_path / "c.parquet"
    cleaner.clean([str(feed)], out, cleaner.Options())
    (row,) = pq.read_table(out).to_pylist()
    assert row["paragraphs"] == case["paragraphs"]
    assert [r["index"] for r in row["removed"]] == case.get("removed", [])


def test_an_article_file_that_starts_with_a_tag_keeps_its_text_as_written(tmp_path: Path) -> None:
    """Only a record's field is a CMS's stored body; an article file is the text a scraper
    saved (a page is one that starts like a page: see test_extract)."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("<b>Moscow</b>, 5 May. The metro opened a line.")
    out = tmp_path / "c.parquet"
    cleaner.clean([str(tmp_path / "in")], out, cleaner.Options())
    assert pq.read_table(out).column("text").to_pylist() == [
        "<b>Moscow</b>, 5 May. The metro opened a line."
    ]
