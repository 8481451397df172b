"""Tables: CSV and TSV files read as their rows, each a record with its text and metadata."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import assert_records_read, cases
from tests.conftest import clean_files as clean


@pytest.mark.parametrize("case", cases("tables.json"))
def test_a_table_is_read_as_its_rows(tmp_path: Path, case: dict[str, Any]) -> None:
    corpus, rejects = clean(tmp_path, {case["name"]: case["table"]}, **case.get("options", {}))
    assert_records_read(corpus, rejects, f"in/{case['name']}", case)


def test_a_row_the_header_does_not_fit_says_why(tmp_path: Path) -> None:
    table = "id,title,text\n7,Rates,Banks cut rates, again\n"
    _, rejects = clean(tmp_path, {"t.csv": table})
    assert rejects.loc["in/t.csv#1", "detail"] == "row 1 has 4 cells where the header names 3"


def test_a_compressed_table_and_a_cell_larger_than_csvs_default_limit(tmp_path: Path) -> None:
    """A table is read whole, as stored: compressed, and with an article of more than the
    128 KiB the csv module allows a cell by default."""
    article = "The harbour bridge will close to cars for six weeks. " * 3000  # 162 KB
    table = f'title,text\nBridge,"{article.strip()}"\n'
    corpus, rejects = clean(tmp_path, {"big.csv.gz": gzip.compress(table.encode())})
    assert rejects.empty
    assert corpus.loc["in/big.csv.gz#1", "text"] == article.strip()


def test_fix_prints_a_tables_rows_as_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "news.csv"
    path.write_text("id,text\nr1,Ferries run again after the strike.\nr2,The bridge closes.\n")
    done = subprocess.run(
        [sys.executable, "-m", "cleaner", "fix", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert records == [
        {"id": "r1", "text": "Ferries run again after the strike."},
        {"id": "r2", "text": "The bridge closes."},
    ]
