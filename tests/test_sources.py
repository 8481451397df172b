"""Sources: the walk's order and the plain-file read, against their simple forms."""

from __future__ import annotations

import gzip
import os
import pickle
from dataclasses import fields
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cleaner.pieces import Piece
from cleaner.sources import Source, Walk, _classify, _read_fd, classify, input_labels, read_bytes

_PARTS = ["", ".", "a", "News", "txt", "TXT", "md", "html", "htm", "xhtml", "jsonl", "ndjson"]
_PARTS += ["json", "JSON", "warc", "gz", "GZ", "zst", "bz2", "xz", "lzma", "tar", "x y", "d/f"]


@given(st.lists(st.sampled_from(_PARTS), max_size=5).map(".".join))
def test_a_name_is_classified_by_its_last_two_suffixes_as_by_the_whole(name: str) -> None:
    assert classify(name) == _classify.__wrapped__(name)


def test_sources_and_pieces_pickle_as_all_their_fields() -> None:
    source = Source("in/a.jsonl.gz", "in/a.jsonl.gz", "records", "gzip", 5, b"x", ("r", "d"))
    piece = Piece(source, 1, 9, 3, b"{}", b"\xef", ((4, 10),), ("r", "d", 2), False, True, 7)
    for value in (source, piece):
        assert pickle.loads(pickle.dumps(value)) == value
        assert len(value.__reduce__()[1]) == len(fields(value))


def test_folder_order_is_path_order(tmp_path: Path) -> None:
    names = ["a/b.txt", "a-c/x.txt", "a b/q.md", "a.txt", "A.txt", "a/ä.txt", "z/y/w.jsonl"]
    names += ["a/b/c.txt", "ab.txt", "a0/x.txt", "a/b-.txt", "é/1.txt", "e/1.txt"]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    (tmp_path / os.fsdecode(b"caf\xe9.txt")).write_text("x")
    found = list(Walk([str(tmp_path)]))
    # The reference: pathlib's order of the same files, as relative names.
    expected = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert [s.path for s in found] == [str(p) for p in expected]
    names = [s.name for s in found]
    assert names[0] == f"{tmp_path.name}/A.txt" and f"{tmp_path.name}/caf\\xe9.txt" in names


def test_current_folder_names_paths_as_pathlib_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("x")
    (tmp_path / "b.docx").write_text("x")
    monkeypatch.chdir(tmp_path)
    walk = Walk(["."])
    found = [(s.path, s.name, s.problem is None) for s in walk]
    folder = tmp_path.name  # "." is named by the folder it is
    assert found == [
        ("b.docx", f"{folder}/b.docx", False),
        ("sub/a.txt", f"{folder}/sub/a.txt", True),
    ]
    assert walk.skipped == {".docx": 1}


def test_a_folder_is_named_by_the_folder_it_resolves_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "monday" / "sub").mkdir(parents=True)
    (tmp_path / "monday" / "sub" / "001.txt").write_text("x")
    (tmp_path / "today").symlink_to("monday")
    monkeypatch.chdir(tmp_path / "monday" / "sub")
    for item in (".", "..", "../sub/", str(tmp_path / "monday") + "//", str(tmp_path / "today")):
        names = [s.name for s in Walk([item])]
        want = "sub/001.txt" if item in (".", "../sub/") else "monday/sub/001.txt"
        assert names == [want], item
    assert input_labels(["/"]) == [""]  # the root has no name: its files are named by their path


def test_json_lines_are_read_under_either_of_their_names(tmp_path: Path) -> None:
    """JSON Lines is also written as NDJSON (``application/x-ndjson``), in a ``.ndjson`` file."""
    import cleaner

    for name, day in (("a.jsonl", "Monday"), ("b.ndjson", "Tuesday"), ("c.NDJSON.gz", "Friday")):
        data = b'{"id": 1, "text": "The crews of the harbour ferry walked out on %s."}\n'
        data %= day.encode()
        (tmp_path / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    out = tmp_path.parent / "c.parquet"
    report = cleaner.clean([str(tmp_path)], out, cleaner.Options(), engine=cleaner.InProcess())
    assert (report.documents, report.documents_out) == (3, 3)


def test_pages_saved_under_their_server_names_are_read_as_pages(tmp_path: Path) -> None:
    """A mirror of a site (``wget -r``) saves pages as the server named them; a file whose
    name says no format is a page when it starts as one, and another format when not."""
    import pandas as pd

    import cleaner

    stories = {
        "story.php": "Ferry crews",
        "news.aspx": "Bridge repairs",
        "page.shtml": "Harbour dredging",
        "index": "Council budget",
        "article.html?id=3": "Tram timetable",
    }
    for name, subject in stories.items():
        page = (
            f"<!DOCTYPE html><html><head><title>{subject}</title></head><body><article>"
            f"<p>{subject} were the main news in the town on Monday, the council said in a "
            f"statement, after a long meeting about {subject.lower()} that lasted all day.</p>"
            "</article></body></html>"
        )
        (tmp_path / name).write_text(page)
    (tmp_path / "notes").write_text("A plain note without an extension.\n")
    (tmp_path / "logo").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    (tmp_path / "old.php.gz").write_bytes(gzip.compress(b"<!DOCTYPE html><html></html>"))
    out = tmp_path.parent / "c.parquet"
    cleaner.clean([str(tmp_path)], out, cleaner.Options(), engine=cleaner.InProcess())
    corpus = pd.read_parquet(out)
    assert sorted(corpus.title) == sorted(stories.values())
    rejects = pd.read_parquet(tmp_path.parent / "c.rejects.parquet")
    names = [doc_id.rpartition("/")[2] for doc_id in rejects.doc_id]
    assert dict(zip(names, rejects.reason, strict=True)) == dict.fromkeys(
        ["logo", "notes", "old.php.gz"], "unsupported"
    )


def test_plain_read_takes_all_of_a_file_that_grew_up_to_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"x" * 5000)
    fd = os.open(path, os.O_RDONLY)
    try:
        assert _read_fd(fd, 10, 10_000, chunk=64) == b"x" * 5000  # stat said 10 bytes
    finally:
        os.close(fd)
    fd = os.open(path, os.O_RDONLY)
    try:
        assert _read_fd(fd, 10, 1001, chunk=64) == b"x" * 1001
    finally:
        os.close(fd)
    (source,) = Walk([str(path)])
    assert read_bytes(source, 5000, 5000) == (b"x" * 5000, path.stat().st_mtime)
