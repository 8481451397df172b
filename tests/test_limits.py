"""Limits and the rules for damaged input, one at a time, through the library call.

The hostile folder (``test_hostile.py``) checks them all at once; these say what each one is.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import cleaner
from cleaner import write
from cleaner.document import Rejected
from cleaner.formats import reject_row, rejects_path
from cleaner.write import CorpusWriter
from tests.conftest import FIXTURES


def clean_folder(tmp_path: Path, files: dict[str, bytes], **options: int) -> pd.DataFrame:
    """Clean a folder of ``files``; return its rejects, indexed by doc_id."""
    folder = tmp_path / "in"
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    out = tmp_path / "c.parquet"
    cleaner.clean([str(folder)], out, cleaner.Options(**options))
    return pd.read_parquet(rejects_path(out)).set_index("doc_id")


@pytest.mark.parametrize(
    ("name", "data", "option", "reason"),
    [
        ("big.txt", b"word " * 300, {"max_file_bytes": 1000}, "too_large"),
        ("bomb.txt.gz", gzip.compress(b"word " * 1000), {"max_decompressed_bytes": 4999}, None),
        ("log.txt", b"line\n" * 11, {"max_paragraphs": 10}, "too_many_paragraphs"),
    ],
    ids=["file", "decompressed", "paragraphs"],
)
def test_each_limit_is_a_reject_with_its_own_reason_naming_its_option(
    tmp_path: Path, name: str, data: bytes, option: dict[str, int], reason: str | None
) -> None:
    rejects = clean_folder(tmp_path, {name: data}, **option)
    assert rejects.loc[f"in/{name}"].reason == (reason or "too_large_decompressed")
    assert "--" + next(iter(option)).replace("_", "-") in rejects.loc[f"in/{name}"].detail


def test_a_gzip_file_is_measured_as_stored_against_the_file_limit(tmp_path: Path) -> None:
    packed = gzip.compress(b"word " * 1000)  # 5,000 bytes in, a few dozen stored
    rejects = clean_folder(
        tmp_path, {"a.txt.gz": packed, "b.txt": b"word " * 1000}, max_file_bytes=1000
    )
    assert rejects.reason.to_dict() == {"in/b.txt": "too_large"}


def test_limits_are_recorded_with_the_output(tmp_path: Path) -> None:
    out = tmp_path / "c.parquet"
    cleaner.clean([str(FIXTURES)], out, cleaner.Options(max_paragraphs=7))
    recorded = json.loads(pq.read_schema(out).metadata[b"cleaner"])["options"]
    assert recorded["max_paragraphs"] == 7
    assert {"max_file_bytes", "max_decompressed_bytes"} <= set(recorded)


def test_json_records_end_at_newlines_only(tmp_path: Path) -> None:
    feed = json.dumps({"id": "a", "text": "One\u2028two\x85three."}, ensure_ascii=False)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "feed.jsonl").write_text(feed + "\n", encoding="utf-8")
    cleaner.clean([str(folder)], tmp_path / "c.parquet")
    assert pd.read_parquet(tmp_path / "c.parquet").doc_id.tolist() == ["in/feed.jsonl#a"]


def test_utf8_cut_inside_its_last_character_keeps_the_article(tmp_path: Path) -> None:
    text = "Городские власти сообщили о запуске новой линии метро. " * 20 + "Конец"
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "cut.txt").write_bytes(text.encode()[:-1])  # half of the last letter
    cleaner.clean([str(folder)], tmp_path / "c.parquet")
    (doc,) = pd.read_parquet(tmp_path / "c.parquet").itertuples()
    assert doc.encoding == "utf-8"
    assert doc.text == text.strip()[:-1]


def test_what_exception_messages_and_options_hold_is_written_as_escapes(tmp_path: Path) -> None:
    out = tmp_path / "c.parquet"
    with CorpusWriter(out, {"options": {"text_field": "body\udcff"}}) as writer:
        writer.add_rejects([reject_row("a.txt", "a.txt", Rejected("internal_error", "x\ud800y"))])
    assert pd.read_parquet(rejects_path(out)).detail.tolist() == ["x\\ud800y"]
    meta = json.loads(pq.read_schema(out).metadata[b"cleaner"])
    assert meta["options"]["text_field"] == "body\udcff"  # the JSON escape reads back as it was


def test_row_groups_are_cut_by_text_as_well_as_by_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(write, "ROW_GROUP_BYTES", 2000)
    articles = {f"{n}.txt": (f"Article {n}. " + "word " * 300).encode() for n in range(6)}
    folder = tmp_path / "in"
    folder.mkdir()
    for name, data in articles.items():
        (folder / name).write_bytes(data)
    cleaner.clean([str(folder)], tmp_path / "c.parquet")
    assert pq.ParquetFile(tmp_path / "c.parquet").num_row_groups == 6
