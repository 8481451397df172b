"""A corpus written as a folder (``-o DIR/``): part files whose rows, in the order of their
names, are the rows of the one file a run writes otherwise; the rejects and the index the same
bytes; a manifest that lists the files with their rows and hashes; the folder renamed into
place whole; ``--against`` and ``merge`` read it as they read a file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import cleaner
from cleaner import pipeline, write
from cleaner.cli import app
from cleaner.deduplicate import DedupOptions
from tests.conftest import FIXTURES

SCOPES = [DedupOptions(scope="corpus"), DedupOptions(scope="document")]


def halves(tmp_path: Path) -> tuple[str, str]:
    """The fixtures cut in two folders, as two days of scrapes."""
    first, second = tmp_path / "monday", tmp_path / "tuesday"
    for n, path in enumerate(sorted(FIXTURES.iterdir())):
        day = first if n < 7 else second
        day.mkdir(exist_ok=True)
        (day / path.name).write_bytes(path.read_bytes())
    return str(first), str(second)


def same_as_one_file(folder: Path, one: Path) -> None:
    """``folder``'s dataset holds ``one``'s rows in order, its rejects and index, and a
    manifest true to its files."""
    assert pd.read_parquet(folder).equals(pd.read_parquet(one))
    assert pq.read_table(folder).equals(pq.read_table(one))
    for name, beside in (("_rejects", ".rejects.parquet"), ("_index", ".index.parquet")):
        written = pd.read_parquet(folder / f"{name}.parquet")
        assert written.equals(pd.read_parquet(one.with_suffix(beside)))  # NaN equal to NaN
    manifest = json.loads((folder / "_manifest.json").read_text())
    names = [entry["path"] for entry in manifest["files"]]
    assert names == sorted(p.name for p in folder.glob("part-*.parquet"))
    for entry in manifest["files"]:
        data = (folder / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert pq.read_metadata(folder / entry["path"]).num_rows == entry["rows"]
    assert manifest["rows"] == pq.read_metadata(one).num_rows


@pytest.mark.parametrize("dedup", SCOPES, ids=["corpus", "document"])
@pytest.mark.parametrize("engine", [cleaner.InProcess(), cleaner.LocalPool(2)], ids=["1", "2"])
def test_a_folder_holds_the_rows_of_the_one_file_in_order(
    tmp_path: Path, dedup: DedupOptions, engine: cleaner.engine.Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(pipeline, "BATCH_FILES", 2)  # several batches,
    monkeypatch.setattr(write, "PART_ROWS", 4)  # several parts, each of several batches' rows
    options = cleaner.Options(dedup=dedup)
    inputs = [str(FIXTURES)]
    cleaner.clean(inputs, tmp_path / "c.parquet", options, engine=engine)
    cleaner.clean(inputs, f"{tmp_path / 'dataset'}/", options, engine=engine)
    assert len(list((tmp_path / "dataset").glob("part-*.parquet"))) > 2
    same_as_one_file(tmp_path / "dataset", tmp_path / "c.parquet")
    for name in ("rejects", "index"):  # the same run's: the same bytes
        written = (tmp_path / "dataset" / f"_{name}.parquet").read_bytes()
        assert written == (tmp_path / f"c.{name}.parquet").read_bytes()
    manifest = json.loads((tmp_path / "dataset" / "_manifest.json").read_text())
    assert manifest["metadata"] == cleaner.formats.corpus_metadata(tmp_path / "c.parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["c.parquet", "c.rejects.parquet", "c.index.parquet", "dataset"]
    )


def test_against_and_merge_read_a_folder_as_they_read_a_file(tmp_path: Path) -> None:
    monday, tuesday = halves(tmp_path)
    files, folders = tmp_path / "files", tmp_path / "folders"
    cleaner.clean([monday], files / "mon.parquet")
    against = cleaner.Options(against=(str(files / "mon.parquet"),))
    cleaner.clean([tuesday], files / "tue.parquet", against)
    cleaner.merge([files / "mon.parquet", files / "tue.parquet"], files / "all.parquet")
    cleaner.clean([monday], f"{folders / 'mon'}/")
    against = cleaner.Options(against=(str(folders / "mon"),))
    cleaner.clean([tuesday], f"{folders / 'tue'}/", against)
    cleaner.merge([folders / "mon", folders / "tue"], folders / "all.parquet")
    for name in ("all.parquet", "all.rejects.parquet", "all.index.parquet"):
        assert (folders / name).read_bytes() == (files / name).read_bytes()
    same_as_one_file(folders / "tue", files / "tue.parquet")


def test_a_run_replaces_the_dataset_a_run_wrote_and_nothing_else(tmp_path: Path) -> None:
    runner = CliRunner()
    folder = tmp_path / "out"
    first = runner.invoke(app, ["clean", str(FIXTURES), "-o", f"{folder}/", "-q"])
    assert first.exit_code == 0, first.output
    (folder / "part-00000007.parquet").write_bytes(b"left by an earlier run")
    again = runner.invoke(app, ["clean", str(FIXTURES), "-o", str(folder), "-q"])
    assert again.exit_code == 0, again.output
    assert not (folder / "part-00000007.parquet").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # nothing left beside it

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    refused = runner.invoke(app, ["clean", str(FIXTURES), "-o", f"{mine}/", "-q"])
    assert refused.exit_code == 2
    assert "not a corpus folder this tool wrote" in refused.output
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
