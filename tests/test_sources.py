"""Sources: the walk's order and the plain-file read, against their simple forms."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from cleaner.sources import Walk, _read_fd, input_labels, read_bytes


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
    (tmp_path / "b.csv").write_text("x")
    monkeypatch.chdir(tmp_path)
    walk = Walk(["."])
    found = [(s.path, s.name, s.problem is None) for s in walk]
    folder = tmp_path.name  # "." is named by the folder it is
    assert found == [
        ("b.csv", f"{folder}/b.csv", False),
        ("sub/a.txt", f"{folder}/sub/a.txt", True),
    ]
    assert walk.skipped == {".csv": 1}


def test_a_folder_is_named_by_the_folder_it_resolves_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "monday" / "sub").mkdir(parents=True)
    (tmp_path / "monday" / "sub" / "001.txt").write_text("x")
    (tmp_path / "today").symlink_to("monday")
    monkeypatch.chdir(tmp_path / "monday" / "sub")
    for given in (".", "..", "../sub/", str(tmp_path / "monday") + "//", str(tmp_path / "today")):
        names = [s.name for s in Walk([given])]
        want = "sub/001.txt" if given in (".", "../sub/") else "monday/sub/001.txt"
        assert names == [want], given
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
