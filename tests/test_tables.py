"""Tables: CSV and TSV files read as their rows, each a record with its text and metadata."""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import io
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner import pieces
from cleaner.decode import decode_bytes
from cleaner.document import Rejected
from cleaner.formats import index_path, rejects_path
from cleaner.pieces import cut, read
from cleaner.sources import Walk
from cleaner.tables import table_records, table_rows
from tests.conftest import assert_records_read, cases, examples
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


# Large tables are cut into pieces of whole rows (cleaner/pieces.py): the same corpus as read
# whole, whatever the piece size and the number of workers.

STORY = "The harbour bridge closes for repairs in June, the council said on Monday."


def _rows(rng: random.Random, count: int) -> list[list[str]]:
    """Rows as scrapers' exports hold them: ids repeated near and far and missing, texts of
    several paragraphs with delimiters, quotes, CR LF and lone CR inside, empty cells."""
    words = STORY.replace(",", "").replace(".", "").split()
    rows = []
    for n in range(count):
        paragraphs = [
            " ".join(rng.choices(words, k=rng.randint(3, 25))) + rng.choice([".", ",", ";"])
            for _ in range(rng.randint(1, 3))
        ]
        text = rng.choice(["\n\n", "\r\n\r\n", "\r"]).join(paragraphs)
        if rng.random() < 0.1:
            text = f'He said "{text}"'
        roll = rng.random()
        key = "" if roll < 0.1 else str(rng.randrange(n + 1)) if roll < 0.2 else f"r{n}"
        rows.append(
            [key, f"Title {n}, again", text, "" if roll > 0.9 else f"https://h.example/{n}"]
        )
    return rows


def _table(rows: list[list[str]], dialect: str, header: str = "id,title,text,url") -> bytes:
    out = io.StringIO(newline="")
    separator = {"excel": ",", "excel-tab": "\t", "semicolon": ";"}[dialect]
    out.write(header.replace(",", separator) + "\r\n")
    writer = csv.writer(out, delimiter=separator)
    for n, row in enumerate(rows):
        writer.writerow(row)
        if n % 17 == 0:
            out.write("\n")  # a blank line
    return out.getvalue().encode()


def _tables() -> dict[str, bytes]:
    rng = random.Random(5)
    tables = {
        "export.csv": _table(_rows(rng, 120), "excel"),
        "sheet.csv": codecs.BOM_UTF8 + _table(_rows(rng, 80), "semicolon"),
        "export.tsv": _table(_rows(rng, 80), "excel-tab"),
        "quoted.csv": _table(_rows(rng, 60), "excel").replace(b"\r\n", b"\n"),
        "legacy.csv": _table(_rows(rng, 60), "excel").replace(b"bridge", "brücke".encode("cp1252")),
    }
    rows = _rows(rng, 60)
    rows[30] = [*rows[30], "a cell the header has no column for"]
    rows[40] = rows[40][:2]  # a row that ends early
    tables["ragged.csv"] = _table(rows, "excel")
    tables["unclosed.csv"] = _table(_rows(rng, 60), "excel") + b'7,"Title,"never closed\n8,a,b\n'
    excel = _table(_rows(rng, 60), "semicolon", header="ID,Title,Text,URL")
    tables["excel.csv"] = codecs.BOM_UTF8 + b"sep=;\r\n" + excel
    tables["export.csv.gz"] = gzip.compress(tables["export.csv"])
    tables["sheet.csv.bz2"] = bz2.compress(tables["sheet.csv"])
    return tables


@pytest.fixture(scope="module")
def tables_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tables") / "in"
    folder.mkdir()
    for name, data in _tables().items():
        (folder / name).write_bytes(data)
    return folder


def _outputs(folder: Path, out: Path, workers: int) -> list[bytes]:
    import cleaner

    options = cleaner.Options(dedup=cleaner.DedupOptions(scope="document"))
    cleaner.clean([str(folder)], out, options, engine=cleaner.LocalPool(workers))
    return [path.read_bytes() for path in (out, rejects_path(out), index_path(out))]


@pytest.mark.parametrize(("piece_bytes", "workers"), [(1, 1), (300, 2), (4000, 1)])
def test_a_table_cut_in_pieces_gives_the_corpus_of_the_whole_table(
    tables_folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    piece_bytes: int,
    workers: int,
) -> None:
    whole = _outputs(tables_folder, tmp_path / "whole.parquet", 1)
    monkeypatch.setattr(pieces, "PIECE_BYTES", piece_bytes)
    cut_files = {s.name for s in Walk([str(tables_folder)]) if len(list(cut(s, *NO_LIMITS))) > 1}
    larger = {f"in/{name}" for name, data in _tables().items() if len(data) > piece_bytes}
    assert cut_files == larger - {"in/legacy.csv"}  # not UTF-8: read whole, in one encoding
    assert {"in/export.csv.gz", "in/unclosed.csv", "in/excel.csv"} <= cut_files
    assert _outputs(tables_folder, tmp_path / "cut.parquet", workers) == whole


NO_LIMITS = (1 << 40, 1 << 40)


def _read_in_pieces(
    path: Path, piece_bytes: int, max_record_bytes: int, max_decompressed: int = 1 << 40
) -> list[Any]:
    """What the pieces of a table give, as (row, key, text or reject detail)."""
    (source,) = Walk([str(path)])
    found = []
    for piece in cut(source, max_record_bytes, max_decompressed, piece_bytes):
        for part in read(piece, max_record_bytes, max_decompressed) or []:
            assert part.header is not None and part.data is not None
            text, _ = decode_bytes(part.data, head=part.head)
            rows = table_rows(text, part.header, None, part.line, part.rejects(max_record_bytes))
            found += [(n, r.key, r.detail if isinstance(r, Rejected) else r.text) for n, r in rows]
        lost = piece.damaged()
        if lost is not None:
            found.append((None, lost.key, lost.detail))
    return found


_CELL = st.text(st.sampled_from(["a", "é", " ", ",", ";", "\t", '"', "\r", "\n"]), max_size=12)


@settings(max_examples=examples(1.5), deadline=None)
@given(
    rows=st.lists(st.lists(_CELL, min_size=1, max_size=4), max_size=25),
    raw=st.lists(st.text(st.sampled_from(["x", ",", '"', "\r", "\n"]), max_size=8), max_size=3),
    piece_bytes=st.integers(1, 60),
)
def test_a_tables_pieces_read_as_the_whole_table_whatever_its_cells(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[list[str]],
    raw: list[str],
    piece_bytes: int,
) -> None:
    """Quotes, delimiters and line ends of every kind inside cells, and lines no writer made
    (a stray quote, a lone CR), in any order: the rows of the pieces are the rows of the
    whole table, numbered alike, and every byte is accounted for once."""
    out = io.StringIO(newline="")
    out.write("text,a,b\n")  # no id column: each record is keyed by its row number
    writer = csv.writer(out)
    for n, row in enumerate(rows):
        writer.writerow(row)
        if raw and n % 5 == 0:
            out.write(raw[n % len(raw)])
    path = tmp_path_factory.mktemp("t") / "t.csv"
    path.write_bytes(out.getvalue().encode())
    whole = [
        (r.key, r.detail if isinstance(r, Rejected) else r.text)
        for r in table_records(out.getvalue())
    ]
    (source,) = Walk([str(path)])
    found = list(cut(source, *NO_LIMITS, piece_bytes))
    assert sum(p.stored for p in found) == path.stat().st_size
    if len(found) > 1:
        assert [
            (key, text) for _, key, text in _read_in_pieces(path, piece_bytes, 1 << 40)
        ] == whole


def test_a_row_over_the_record_limit_is_a_reject_and_a_line_over_it_ends_the_table(
    tmp_path: Path,
) -> None:
    rows = [[f"r{n}", "Title", f"{STORY} Item {n}.", ""] for n in range(1, 41)]
    rows[9] = ["r10", "T" * 150, "U" * 150 + "\n" + "V" * 150, ""]  # lines under it, not the row
    rows[29][2] = "W" * 600  # a line over it: where its row ends is not looked for
    path = tmp_path / "t.csv"
    path.write_bytes(_table(rows, "excel"))
    found = _read_in_pieces(path, 200, 400)
    assert [n for n, _, _ in found] == [*range(1, 30), None]
    row = f'r10,{"T" * 150},"{"U" * 150}\n{"V" * 150}",\r\n'
    assert found[9] == (10, "10", f"a record of {len(row)} bytes, more than 400 (--max-file-bytes)")
    assert found[-1][1:] == (
        "30",
        "a cell of more than 400 characters (--max-file-bytes); row 30 and after are lost",
    )
    assert [text for n, _, text in found if n not in (10, None)] == [
        f"{STORY} Item {n}." for n in range(1, 30) if n != 10
    ]


def test_a_cell_over_the_record_limit_ends_the_table_and_a_compressed_one_keeps_its_rows(
    tmp_path: Path,
) -> None:
    """A quote never closed makes the rest of the table one cell: where it would end is not
    looked for once it passes the limit. A compressed table cut short, or longer than
    --max-decompressed-bytes once decompressed, keeps its rows before the damage."""
    rows = [[f"r{n}", "Title", f"{STORY} Item {n}.", ""] for n in range(1, 41)]
    table = _table(rows, "excel")
    unclosed = tmp_path / "unclosed.csv"
    unclosed.write_bytes(table + b'r41,"Title\n' + b"an unended line\n" * 40)
    found = _read_in_pieces(unclosed, 200, 400)
    assert [n for n, _, _ in found] == [*range(1, 41), None]
    lost = "a cell of more than 400 characters (--max-file-bytes); row 41 and after are lost"
    assert found[-1][1:] == ("41", lost)
    rng = random.Random(4)
    texts = [f"{STORY} Item {rng.random()}." for _ in range(40)]  # not all compressed away
    packed = gzip.compress(
        _table([[f"r{n}", "T", text, ""] for n, text in enumerate(texts)], "excel")
    )
    for name, data, max_decompressed, why in (
        ("short.csv.gz", packed[: len(packed) * 2 // 3], 1 << 40, "end-of-stream marker"),
        ("packed.csv.gz", packed, 2000, "--max-decompressed-bytes"),
    ):
        (tmp_path / name).write_bytes(data)
        found = _read_in_pieces(tmp_path / name, 50, 1 << 40, max_decompressed)
        assert found[-1][0] is None and why in found[-1][2]
        assert 10 < len(found) < 41
        assert [text for _, _, text in found[:-1]] == texts[: len(found) - 1]
