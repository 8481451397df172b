"""`make identical`'s hashes and comparison: a difference is found and said for what it is."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bench.identical import compare, manifest_lines, table_hashes, write_atomic

TABLE = pa.table({"doc_id": ["a", "b", "c"], "text": ["one", "two", "three"]})


def write(path: Path, table: pa.Table, **options: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, **options)
    return path


def test_the_rows_hash_ignores_row_groups_and_metadata_but_not_a_value(tmp_path: Path) -> None:
    one = write(tmp_path / "one.parquet", TABLE)
    split = write(tmp_path / "split.parquet", TABLE, row_group_size=1)
    tagged = write(tmp_path / "tagged.parquet", TABLE.replace_schema_metadata({"cleaner": "{}"}))
    edited = write(tmp_path / "edited.parquet", TABLE.set_column(1, "text", [["one", "2", "3"]]))
    rows, metadata = table_hashes(one)
    assert table_hashes(split) == (rows, metadata)
    assert table_hashes(tagged)[0] == rows and table_hashes(tagged)[1] != metadata
    assert table_hashes(edited)[0] != rows


def manifest(runs: Path, name: str) -> Path:
    path = runs.parent / name
    write_atomic(path, "\n".join(["w  workload  files=1", *manifest_lines(runs)]) + "\n")
    return path


def test_compare_names_each_file_that_differs_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "before/runs/x/corpus.parquet", TABLE)
    write(tmp_path / "before/runs/x/corpus.rejects.parquet", TABLE)
    recorded = TABLE.replace_schema_metadata({"cleaner": '{"options": {"against": []}}'})
    write(tmp_path / "after/runs/x/corpus.parquet", recorded)
    write(tmp_path / "after/runs/x/corpus.rejects.parquet", TABLE)
    before = manifest(tmp_path / "before/runs", "before.txt")
    after = manifest(tmp_path / "after/runs", "after.txt")
    assert compare(before, before) == 0
    assert compare(after, before) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-2:] == [
        "x/corpus.parquet: the metadata differs (cleaner.options.against [] / absent), "
        "the rows are the same",
        "1 output files differ, 1 are byte-identical",
    ]
