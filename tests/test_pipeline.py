"""The library call behind `cleaner clean`: same results as the CLI, atomic, never silent."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

import cleaner
from cleaner import formats, write
from tests.conftest import EXAMPLE, FIXTURES, read_corpus


def test_library_clean_reports_what_it_did(tmp_path: Path) -> None:
    report = cleaner.clean([str(FIXTURES)], tmp_path / "c.parquet")
    assert report.files == 14
    assert report.skipped == {}
    assert report.skipped_records == 4  # the WARC's warcinfo, two requests and an image
    # 21 documents split, 5 inputs rejected before (binary, bad JSON, two without text, empty)
    assert (report.documents, report.documents_out, report.rejected) == (26, 20, 6)
    assert report.removed == {"exact_duplicate": 5, "near_duplicate": 1, "boilerplate": 10}
    # the paragraphs removed, and the four kept ones of the duplicate document (008)
    assert report.paragraphs_in - report.paragraphs_out == 5 + 1 + 10 + 4
    assert report.paragraphs_rejected == 4
    assert len(read_corpus(tmp_path / "c.parquet")) == report.documents_out


def test_scope_document_leaves_other_documents_out_of_it(tmp_path: Path) -> None:
    dedup = cleaner.DedupOptions(scope="document")
    report = cleaner.clean([str(FIXTURES)], tmp_path / "c.parquet", cleaner.Options(dedup=dedup))
    assert (report.documents, report.documents_out) == (26, 21)
    assert report.removed == {"exact_duplicate": 5, "near_duplicate": 1}
    assert "duplicate_document" not in report.rejects


def test_cp1251_file_and_its_utf8_twin_come_out_identical(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    data = (FIXTURES / "003_moscow_metro_cp1251.txt").read_bytes()
    (folder / "a_cp1251.txt").write_bytes(data)
    (folder / "b_utf8.txt").write_bytes(data.decode("cp1251").encode("utf-8"))
    options = cleaner.Options(dedup=cleaner.DedupOptions(scope="document"))
    cleaner.clean([str(folder)], tmp_path / "c.parquet", options)
    corpus = read_corpus(tmp_path / "c.parquet")
    assert corpus.encoding.tolist() == ["cp1251", "utf-8"]
    assert corpus.text.iloc[0] == corpus.text.iloc[1]
    assert corpus.removed.iloc[0].tolist() == corpus.removed.iloc[1].tolist()
    # and across documents, the second is a duplicate of the first
    cleaner.clean([str(folder)], tmp_path / "d.parquet")
    rejects = pd.read_parquet(tmp_path / "d.rejects.parquet")
    assert rejects[["doc_id", "reason", "duplicate_of", "similarity"]].values.tolist() == [
        ["in/b_utf8.txt", "duplicate_document", "in/a_cp1251.txt", 1.0]
    ]


def test_every_file_is_a_document_or_a_reject(tmp_path: Path) -> None:
    cleaner.clean([str(FIXTURES)], tmp_path / "c.parquet")
    corpus = pd.read_parquet(tmp_path / "c.parquet")
    rejects = pd.read_parquet(tmp_path / "c.rejects.parquet")
    accounted = set(corpus.source) | set(rejects.source)
    assert accounted == {f"news/{p.name}" for p in FIXTURES.iterdir()}


def test_unreadable_file_is_a_reject(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "locked.txt").write_text("secret")
    (folder / "locked.txt").chmod(0)
    cleaner.clean([str(folder)], tmp_path / "c.parquet")
    rejects = pd.read_parquet(tmp_path / "c.rejects.parquet")
    assert rejects.reason.tolist() == ["unreadable"]


def test_truncated_gzip_and_oversized_files_are_rejects(tmp_path: Path) -> None:
    import gzip

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "cut.txt.gz").write_bytes(gzip.compress(b"Some news.\n" * 100)[:40])
    (folder / "big.txt").write_bytes(b"x" * 20000)
    options = cleaner.Options(max_file_bytes=10000)
    cleaner.clean([str(folder)], tmp_path / "c.parquet", options)
    rejects = pd.read_parquet(tmp_path / "c.rejects.parquet")
    assert dict(zip(rejects.doc_id, rejects.reason, strict=True)) == {
        "in/big.txt": "too_large",
        "in/cut.txt.gz": "bad_gzip",
    }


def test_a_failed_run_leaves_the_old_corpus_intact_and_no_temporary_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "c.parquet"
    cleaner.clean([str(FIXTURES / EXAMPLE)], out)
    written = (out, formats.rejects_path(out), formats.index_path(out))
    before = [path.read_bytes() for path in written]

    calls = 0
    original = write._TableWriter.add_table

    def fail_on_second_batch(self: write._TableWriter, rows: object) -> None:
        nonlocal calls
        calls += 1
        if calls > 2:
            raise RuntimeError("disk on fire")
        original(self, rows)  # type: ignore[arg-type]

    monkeypatch.setattr(write._TableWriter, "add_table", fail_on_second_batch)
    monkeypatch.setattr(cleaner.pipeline, "BATCH_FILES", 1)
    with pytest.raises(RuntimeError, match="disk on fire"):
        cleaner.clean([str(FIXTURES)], out)
    assert [path.read_bytes() for path in written] == before
    assert sorted(tmp_path.iterdir()) == sorted(written)


def test_clean_text_accepts_bytes_in_any_encoding() -> None:
    data = (FIXTURES / "003_moscow_metro_cp1251.txt").read_bytes()
    doc = cleaner.clean_text(data)
    assert doc.encoding == "cp1251"
    assert len(doc.paragraphs) == 3
    with pytest.raises(cleaner.Rejected):
        cleaner.clean_text((FIXTURES / "007_binary.txt").read_bytes())


def test_a_legacy_file_with_a_line_in_utf8_is_a_document_named_after_both() -> None:
    lines = [
        ("Городские власти объявили о продлении линии метро до нового района.", "cp1251"),
        ("По словам мэра, стоимость проекта составит около сорока миллиардов рублей.", "utf-8"),
        ("Жители района давно просили о новой станции.", "cp1251"),
    ]
    doc = cleaner.clean_text(b"\n\n".join(text.encode(codec) for text, codec in lines))
    assert doc.encoding == "cp1251+utf-8"
    assert doc.paragraphs == [text for text, _ in lines]


def test_output_files_get_the_usual_mode_not_the_temp_files_private_one(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        cleaner.clean([str(FIXTURES / EXAMPLE)], tmp_path / "c.parquet")
    finally:
        os.umask(umask)
    for name in ("c.parquet", "c.rejects.parquet"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644
