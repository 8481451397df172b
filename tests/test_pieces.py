"""Files of records read in pieces: the same corpus as read whole, for any piece size and any
number of workers, with the limits applying to each record (see ``cleaner/pieces.py``)."""

from __future__ import annotations

import csv
import gzip
import json
import pickle
import random
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cleaner
from cleaner import pieces
from cleaner.chain import Batch
from cleaner.formats import index_path, rejects_path
from cleaner.pieces import cut, read, shape
from cleaner.sources import Walk
from tests import dumps, warcs
from tests.conftest import FIXTURES
from tests.hostile import measured

T = TypeVar("T")
R = TypeVar("R")
REFERENCE = Path(__file__).parent / "cases" / "pieces_reference.json"
NO_LIMIT = 1 << 40
STORY = "The harbour bridge closes for repairs in June, the council said on Monday. " * 3


def outputs(out: Path) -> list[bytes]:
    return [path.read_bytes() for path in (out, rejects_path(out), index_path(out))]


def clean(
    folder: Path, out: Path, workers: int = 1, options: cleaner.Options | None = None
) -> cleaner.Report:
    engine = cleaner.LocalPool(workers)
    return cleaner.clean([str(folder)], out, options or dumps.options(), engine=engine)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dumps") / "in"
    dumps.build(folder)
    return folder


def test_files_read_whole_give_what_they_gave_before_pieces(folder: Path, tmp_path: Path) -> None:
    # The reference was written by the reader that held each file whole (tests/dumps.py).
    clean(folder, tmp_path / "c.parquet")
    assert dumps.summary(tmp_path / "c.parquet") == json.loads(REFERENCE.read_text())


@pytest.mark.parametrize(("piece_bytes", "workers"), [(1, 1), (300, 2), (4000, 1), (4000, 2)])
def test_a_file_cut_in_pieces_gives_the_corpus_of_the_whole_file(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece_bytes: int, workers: int
) -> None:
    clean(folder, tmp_path / "whole.parquet")
    monkeypatch.setattr(pieces, "PIECE_BYTES", piece_bytes)
    walk = Walk([str(folder)])
    cut_files = [
        s.path.rpartition("/")[2] for s in walk if len(list(cut(s, NO_LIMIT, NO_LIMIT))) > 1
    ]
    cut_in_any_case = {"feed.jsonl", "wire.jsonl.gz", "bom.jsonl", "lines.json", "array.json"}
    assert cut_in_any_case <= set(cut_files)
    assert ("spaced_array.json.gz" in cut_files) == (piece_bytes < 1000)
    assert not {"cp1251.jsonl", "cp1251.jsonl.gz"} & set(cut_files)  # read whole: not UTF-8
    clean(folder, tmp_path / "cut.parquet", workers)
    assert outputs(tmp_path / "cut.parquet") == outputs(tmp_path / "whole.parquet")


def test_an_id_repeated_in_another_piece_gets_its_line_as_in_a_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [{"id": "a", "text": f"Story number {n} about the harbour."} for n in range(3)]
    lines += [{"id": f"b{n}", "text": f"Another story, number {n}."} for n in range(200)]
    lines += [{"id": "a", "text": "A late story under an early id."}]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "f.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    monkeypatch.setattr(pieces, "PIECE_BYTES", 500)
    clean(tmp_path / "in", tmp_path / "c.parquet", workers=2)
    ids = pd.read_parquet(tmp_path / "c.parquet").doc_id.tolist()
    assert ids[:3] == ["in/f.jsonl#a", "in/f.jsonl#a@2", "in/f.jsonl#a@3"]
    assert ids[-1] == "in/f.jsonl#a@204"


class Recording:
    """An engine in this process that keeps what it was given to ship."""

    workers = 1

    def __init__(self) -> None:
        self.batches: list[Any] = []

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        for item in items:
            self.batches.append(item)
            yield function(item)


def test_a_piece_of_a_plain_file_travels_as_a_path_and_a_range(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    record = json.dumps({"text": "A story that is told once in this dump. " * 20}) + "\n"
    (tmp_path / "in" / "dump.jsonl").write_text(record * 20_000)  # 17 MB
    engine = Recording()
    report = cleaner.clean([str(tmp_path / "in")], tmp_path / "c.parquet", engine=engine)
    batches = [item for item in engine.batches if isinstance(item, Batch)]
    assert report.documents == 20_000 and len(batches) > 10
    shipped = [len(pickle.dumps(batch)) for batch in batches]
    assert max(shipped) < 1000
    held = [sum(piece.size for piece in batch.pieces) for batch in batches]
    assert max(held) <= pieces.PIECE_BYTES + len(record)


def test_progress_advances_with_the_bytes_of_one_large_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "in").mkdir()
    lines = "".join(json.dumps({"text": f"Story {n} of the dump."}) + "\n" for n in range(1000))
    (tmp_path / "in" / "dump.jsonl").write_text(lines)
    (tmp_path / "in" / "dump.jsonl.gz").write_bytes(gzip.compress(lines.encode()))
    monkeypatch.setattr(pieces, "PIECE_BYTES", 1000)
    seen: list[tuple[int, int | None]] = []
    cleaner.clean(
        [str(tmp_path / "in")],
        tmp_path / "c.parquet",
        dumps.options(),
        progress=lambda done, total: seen.append((done, total)),
    )
    done = [d for d, _ in seen]
    size = sum(p.stat().st_size for p in (tmp_path / "in").iterdir())
    assert len(seen) > 20 and done == sorted(done) and seen[-1] == (size, size)


def rejects(folder: Path, out: Path, **limits: int) -> pd.DataFrame:
    report = clean(folder, out, options=cleaner.Options(**limits))
    assert report.documents == report.documents_out + report.rejected
    return pd.read_parquet(rejects_path(out)).set_index("doc_id")


@pytest.mark.parametrize("name", ["dump.jsonl", "dump.jsonl.gz"])
def test_a_record_over_the_file_limit_is_a_reject_named_by_its_line(
    tmp_path: Path, name: str
) -> None:
    lines = [json.dumps({"id": n, "text": f"Story {n}."}) for n in range(100)]
    lines[41] = json.dumps({"id": 41, "text": "word " * 1000})
    data = "\n".join(lines).encode()
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    found = rejects(tmp_path / "in", tmp_path / "c.parquet", max_file_bytes=1000)
    assert found.reason.to_dict() == {f"in/{name}#42": "too_large"}
    assert "--max-file-bytes" in found.detail.iloc[0]
    assert len(pd.read_parquet(tmp_path / "c.parquet")) == 99


def test_the_decompressed_limit_stops_a_gzip_bomb_of_small_records(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    bomb = gzip.compress(b'{"text": "x"}\n' * 1_000_000)  # 14 MB from 14 KB
    (tmp_path / "in" / "bomb.jsonl.gz").write_bytes(bomb)
    out = tmp_path / "c.parquet"
    document = cleaner.DedupOptions(scope="document")
    options = cleaner.Options(max_decompressed_bytes=140_000, dedup=document)
    report = clean(tmp_path / "in", out, options=options)
    assert report.bytes_in <= 140_000 and report.documents_out == 10_000
    (reject,) = pd.read_parquet(rejects_path(out)).itertuples()
    assert (reject.doc_id, reject.reason) == ("in/bomb.jsonl.gz#10001", "too_large_decompressed")
    assert "--max-decompressed-bytes" in reject.detail


def test_a_file_damaged_from_its_first_byte_is_one_reject_as_before(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl.gz").write_bytes(b"not gzip at all")
    found = rejects(tmp_path / "in", tmp_path / "c.parquet")
    assert found.reason.to_dict() == {"in/a.jsonl.gz": "bad_gzip"}


lines_text = st.lists(
    st.text(st.characters(blacklist_categories=["Cs"]), max_size=30).map(
        lambda t: t.replace("\n", "")
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(lines=lines_text, end=st.booleans(), piece_bytes=st.integers(1, 200), packed=st.booleans())
def test_pieces_hold_every_byte_once_numbered_from_their_first_line(
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[str],
    end: bool,
    piece_bytes: int,
    packed: bool,
) -> None:
    data = "\n".join(lines).encode() + (b"\n" if end else b"")
    path = tmp_path_factory.mktemp("p") / ("f.jsonl.gz" if packed else "f.jsonl")
    path.write_bytes(gzip.compress(data) if packed else data)
    (source,) = Walk([str(path)])
    found = [
        part
        for piece in cut(source, NO_LIMIT, NO_LIMIT, piece_bytes)
        for part in read(piece, NO_LIMIT, NO_LIMIT) or [piece]
    ]
    if shape(data, "records") != "lines":  # an array (its pieces are elements), or NULs
        assert found[0].array or (len(found) == 1 and found[0].data is None)
        return
    assert b"".join(part.data or b"" for part in found) == data
    assert [part.line for part in found] == [
        1 + b"".join(p.data or b"" for p in found[:n]).count(b"\n") for n in range(len(found))
    ]
    assert [part.last for part in found] == [False] * (len(found) - 1) + [True]
    assert sum(part.stored for part in found) == path.stat().st_size


@pytest.mark.parametrize("short", [0, 300], ids=["whole", "cut short"])
@pytest.mark.parametrize("packing", ["plain", "members", "one member"])
def test_a_warc_cut_in_pieces_gives_the_corpus_of_the_whole_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, packing: str, short: int
) -> None:
    records = [warcs.warcinfo()]
    for n in range(40):
        body = f"<html><body><article><p>Story {n}: {STORY}</p></article></body></html>"
        records += [warcs.request(f"https://news.example/{n}")]
        records += [warcs.response(f"https://news.example/{n}", body.encode())]
    records[30] = warcs.response("https://news.example/gone", b"x", status="404 Not Found")
    data = {
        "plain": b"".join(records),
        "members": warcs.gzipped(records),
        "one member": gzip.compress(b"".join(records)),
    }[packing]
    (tmp_path / "in").mkdir()
    name = "crawl.warc" if packing == "plain" else "crawl.warc.gz"
    data = data[: len(data) - short]  # cut short: damage in the last piece
    (tmp_path / "in" / name).write_bytes(data)
    whole = clean(tmp_path / "in", tmp_path / "whole.parquet")
    monkeypatch.setattr(pieces, "PIECE_BYTES", 1000)
    (source,) = Walk([str(tmp_path / "in")])
    cut_in = len(list(cut(source, NO_LIMIT, NO_LIMIT)))
    assert cut_in == 1 if packing == "one member" else cut_in > 5
    for workers in (1, 2):
        out = tmp_path / f"cut-{workers}.parquet"
        report = clean(tmp_path / "in", out, workers=workers)
        assert outputs(out) == outputs(tmp_path / "whole.parquet")
        assert report.skipped_records == whole.skipped_records > 30
    # pieces end where records do, and only the file's end can be a cut
    rejects = pd.read_parquet(rejects_path(tmp_path / "whole.parquet"))
    if not short:
        assert rejects.empty
        return
    (reject,) = rejects.itertuples()
    reason = "bad_warc" if packing == "plain" else "bad_gzip"
    assert (reject.doc_id, reject.reason) == (f"in/{name}", reason)
    assert reject.detail.startswith(f"cut off at byte {len(data):,}, inside the ")


@pytest.mark.parametrize("name", ["dump.json", "dump.json.gz"])
def test_a_json_array_cut_short_keeps_its_elements_and_rejects_a_large_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    items = [
        {"id": f"s{n}", "text": f"Story {n} of the dump, with some words."} for n in range(300)
    ]
    items[40]["text"] = "word " * 1000
    text = json.dumps(items, indent=2)
    data = text[: text.index('"id": "s250"')].encode()  # cut inside element 251
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    monkeypatch.setattr(pieces, "PIECE_BYTES", 500)
    found = rejects(tmp_path / "in", tmp_path / "c.parquet", max_file_bytes=1000)
    assert found.reason.to_dict() == {f"in/{name}#41": "too_large", f"in/{name}#251": "bad_json"}
    assert "element 251 and after are lost" in found.loc[f"in/{name}#251"].detail
    kept = pd.read_parquet(tmp_path / "c.parquet").doc_id.tolist()
    assert kept == [f"in/{name}#s{n}" for n in range(250) if n != 40]


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_memory_depends_on_the_piece_not_on_the_size_of_the_dump(
    tmp_path: Path, suffix: str
) -> None:
    rng = random.Random(3)
    words = (FIXTURES / "000_2fcd4aba767f3dc8.txt").read_text().split()
    peaks = {}
    for megabytes in (20, 80):
        dump = tmp_path / f"dump{megabytes}{suffix}"
        with dump.open("w", newline="") as out:
            table = csv.writer(out)
            if suffix == ".csv":
                table.writerow(["id", "text"])
            while out.tell() < megabytes * 1_000_000:
                paragraphs = [" ".join(rng.choices(words, k=60)) for _ in range(5)]
                text = "\n\n".join(paragraphs)
                if suffix == ".csv":
                    table.writerow([out.tell(), text])
                else:
                    out.write(json.dumps({"text": text}) + "\n")
        command = [str(Path(sys.executable).with_name("cleaner")), "clean", str(dump), "-q"]
        command += ["-o", str(tmp_path / f"c{megabytes}.parquet"), "-j", "2"]
        command += ["--scope", "document"]
        done = subprocess.run(measured(command), capture_output=True, text=True, check=True)
        peaks[megabytes] = int(re.findall(r"peak_rss_kib=(\d+)", done.stderr)[-1])
    assert peaks[80] < 1.15 * peaks[20], peaks  # four times the input, the same peak
