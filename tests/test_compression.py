"""Compressed files (gzip, bzip2, xz, lzma, zstd) read as their uncompressed contents are, with
the same limits and the same account of damage (see ``cleaner/compression.py``)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import cleaner
from cleaner import pieces
from cleaner.formats import rejects_path
from cleaner.pieces import cut
from cleaner.sources import Walk, classify, extension, listing
from tests import warcs
from tests.conftest import FIXTURES
from tests.packed import OPEN, REASON, SUFFIXES, bomb, feed, pack, zstd

NO_LIMIT = 1 << 40
INNER = {  # a fixture of each format a file may hold
    "feed.jsonl": FIXTURES / "004_feed.jsonl",
    "story.txt": FIXTURES / "000_2fcd4aba767f3dc8.txt",
    "page.html": FIXTURES / "010_harbour_bridge.html",
    "crawl.warc": FIXTURES / "011_crawl.warc",
    "record.json": FIXTURES / "012_newsplease.json",
}


def clean(folder: Path, out: Path, workers: int = 1, **limits: int) -> cleaner.Report:
    options = cleaner.Options(dedup=cleaner.DedupOptions(scope="document"), **limits)
    engine = cleaner.LocalPool(workers)
    return cleaner.clean([str(folder)], out, options, engine=engine)


def named_plain(frame: pd.DataFrame, suffix: str) -> pd.DataFrame:
    """A table's rows named as in their input folder (its own name, which begins them, and
    the codec's suffix taken out), to compare runs over two folders."""
    for column in ("doc_id", "source"):
        inside = frame[column].str.split("/", n=1).str[1]
        frame[column] = inside.str.replace(suffix, "", regex=False)
    return frame


def tables(out: Path, suffix: str = "") -> tuple[pd.DataFrame, pd.DataFrame]:
    corpus = named_plain(pd.read_parquet(out), suffix)
    rejects = named_plain(pd.read_parquet(rejects_path(out)), suffix)
    return corpus, rejects


def test_the_name_says_the_codec_and_what_it_holds() -> None:
    assert [classify(f"a.jsonl{s}") for s in SUFFIXES] == [
        ("records", "gzip"),
        ("records", "bzip2"),
        ("records", "xz"),
        ("records", "xz"),
        ("records", "zstd"),
    ]
    assert classify("crawl.WARC.ZST") == ("warc", "zstd")
    assert classify("dump.zst") is None  # what it holds is not said: not read
    assert [extension(f"a.csv{s}") for s in (".bz2", ".zst")] == [".csv.bz2", ".csv.zst"]


@pytest.mark.parametrize("streams", [1, 3])
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_compressed_file_gives_the_rows_of_its_contents(
    tmp_path: Path, suffix: str, streams: int
) -> None:
    # Several streams: pbzip2, pzstd, files joined with cat: read to their end.
    (tmp_path / "plain").mkdir()
    (tmp_path / "packed").mkdir()
    for name, fixture in INNER.items():
        data = fixture.read_bytes()
        (tmp_path / "plain" / name).write_bytes(data)
        (tmp_path / "packed" / (name + suffix)).write_bytes(pack(suffix, data, streams))
    clean(tmp_path / "plain", tmp_path / "plain.parquet")
    report = clean(tmp_path / "packed", tmp_path / "packed.parquet")
    plain, packed = tables(tmp_path / "plain.parquet"), tables(tmp_path / "packed.parquet", suffix)
    assert report.documents_out > len(INNER)
    pd.testing.assert_frame_equal(packed[0], plain[0])
    pd.testing.assert_frame_equal(packed[1], plain[1])


def lines_of(count: int) -> bytes:
    return b"".join(b'{"text": "Story %d of the feed, told once."}\n' % n for n in range(count))


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_large_dump_is_cut_into_pieces_with_the_same_output_for_any_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    data = feed(20_000)  # 1.2 MB, 0.3 MB compressed, in pieces of about 40 kB
    (tmp_path / "plain").mkdir()
    (tmp_path / "packed").mkdir()
    (tmp_path / "plain" / "dump.jsonl").write_bytes(data)
    (tmp_path / "packed" / f"dump.jsonl{suffix}").write_bytes(pack(suffix, data, 2))
    clean(tmp_path / "plain", tmp_path / "whole.parquet")
    monkeypatch.setattr(pieces, "PIECE_BYTES", 40_000)
    (source,) = Walk([str(tmp_path / "packed")])
    assert len(list(cut(source, NO_LIMIT, NO_LIMIT, 40_000))) > 20
    outputs = []
    for workers in (1, 2):
        out = tmp_path / f"j{workers}" / "c.parquet"
        out.parent.mkdir()
        clean(tmp_path / "packed", out, workers)
        outputs.append([out.read_bytes(), rejects_path(out).read_bytes()])
    assert outputs[0] == outputs[1]
    corpus = tables(tmp_path / "j1" / "c.parquet", suffix)[0]
    pd.testing.assert_frame_equal(corpus, tables(tmp_path / "whole.parquet")[0])


def whole_lines(suffix: str, packed: bytes) -> int:
    """The complete lines that a cut stream holds before its damage, read by the codec's
    own library."""
    found = 0
    try:
        with OPEN[suffix](io.BytesIO(packed)) as stream:
            for line in stream:  # type: ignore[attr-defined]
                found += line.endswith(b"\n")
    except EOFError:
        pass
    return found


@pytest.mark.parametrize("piece_bytes", [100, 1 << 20])
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_dump_cut_short_keeps_every_record_before_the_damage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str, piece_bytes: int
) -> None:
    packed = pack(suffix, lines_of(8000))
    packed = packed[: len(packed) * 2 // 3]
    kept = whole_lines(suffix, packed)
    assert 0 < kept < 8000
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / f"feed.jsonl{suffix}").write_bytes(packed)
    monkeypatch.setattr(pieces, "PIECE_BYTES", piece_bytes)
    out = tmp_path / "c.parquet"
    clean(tmp_path / "in", out, workers=2)
    assert pd.read_parquet(out).doc_id.tolist() == [
        f"in/feed.jsonl{suffix}#{n}" for n in range(1, kept + 1)
    ]
    (reject,) = pd.read_parquet(rejects_path(out)).itertuples()
    assert reject.doc_id == f"in/feed.jsonl{suffix}#{kept + 1}"
    assert reject.reason == REASON[suffix] and "and after are lost" in reject.detail


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_damaged_files_of_every_format_are_rejects_of_their_codec(
    tmp_path: Path, suffix: str
) -> None:
    (tmp_path / "in").mkdir()
    story = INNER["story.txt"].read_bytes()
    packed = pack(suffix, story)
    damaged = {
        f"cut.txt{suffix}": packed[: len(packed) // 2],
        f"not_packed.txt{suffix}": story,
        f"not_packed.jsonl{suffix}": lines_of(10),
    }
    for name, data in damaged.items():
        (tmp_path / "in" / name).write_bytes(data)
    (tmp_path / "in" / f"no_bytes.jsonl{suffix}").write_bytes(b"")  # as gzip reads it: empty
    clean(tmp_path / "in", tmp_path / "c.parquet")
    corpus, rejects = tables(tmp_path / "c.parquet")
    assert corpus.empty
    assert dict(zip(rejects.doc_id, rejects.reason, strict=True)) == {
        **dict.fromkeys(damaged, REASON[suffix]),
        f"no_bytes.jsonl{suffix}": "empty",
    }
    assert all("\n" not in detail for detail in rejects.detail)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_bomb_stops_at_the_decompressed_limit_and_keeps_the_records_before(
    tmp_path: Path, suffix: str
) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / f"bomb.txt{suffix}").write_bytes(bomb(suffix, 3 << 20))
    records = pack(suffix, lines_of(10) + b'{"text": "' + b"x" * (3 << 20) + b'"}\n')
    (tmp_path / "in" / f"bomb.jsonl{suffix}").write_bytes(records)
    out = tmp_path / "c.parquet"
    report = clean(tmp_path / "in", out, max_decompressed_bytes=1 << 20)
    assert report.bytes_in <= 1 << 20
    assert len(pd.read_parquet(out)) == 10
    rejects = pd.read_parquet(rejects_path(out)).set_index("doc_id").reason.to_dict()
    assert rejects == {
        f"in/bomb.txt{suffix}": "too_large_decompressed",
        f"in/bomb.jsonl{suffix}#11": "too_large_decompressed",
    }


@pytest.mark.parametrize("suffix", [".bz2", ".xz", ".zst"])
def test_a_web_archive_cut_short_keeps_the_pages_before(tmp_path: Path, suffix: str) -> None:
    page = INNER["page.html"].read_bytes()
    records = b"".join(warcs.response(f"https://x.example/{n}", page) for n in range(40))
    packed = pack(suffix, records, streams=4)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / f"c.warc{suffix}").write_bytes(packed[: len(packed) * 7 // 8])
    clean(tmp_path / "in", tmp_path / "c.parquet")
    corpus, rejects = tables(tmp_path / "c.parquet")
    assert 10 <= len(corpus) < 40
    assert rejects[["doc_id", "reason"]].values.tolist() == [[f"c.warc{suffix}", REASON[suffix]]]


@pytest.mark.parametrize("packed_dictionary", [False, True])
def test_a_warc_zstd_file_is_read_with_the_dictionary_its_first_frame_holds(
    tmp_path: Path, packed_dictionary: bool
) -> None:
    # WARC-zstd, as wget --warc-zstd writes it: a skippable frame (0x184D2A5D) holding the
    # dictionary, zstd-compressed or not, then each record a frame compressed with it.
    records = [
        *(
            warcs.response(f"https://x.example/{n}", INNER["page.html"].read_bytes())
            for n in range(3)
        ),
        INNER["crawl.warc"].read_bytes(),
    ]
    trained = zstd.train_dict(
        [r[i : i + 500] for r in records for i in range(0, len(r), 500)], 2000
    )
    content = zstd.compress(trained.dict_content) if packed_dictionary else trained.dict_content
    frames = [zstd.compress(record, zstd_dict=trained) for record in records]
    head = (0x184D2A5D).to_bytes(4, "little") + len(content).to_bytes(4, "little") + content
    (tmp_path / "plain").mkdir()
    (tmp_path / "packed").mkdir()
    (tmp_path / "plain" / "crawl.warc").write_bytes(b"".join(records))
    (tmp_path / "packed" / "crawl.warc.zst").write_bytes(head + b"".join(frames))
    clean(tmp_path / "plain", tmp_path / "plain.parquet")
    clean(tmp_path / "packed", tmp_path / "packed.parquet")
    plain, packed = tables(tmp_path / "plain.parquet"), tables(tmp_path / "packed.parquet", ".zst")
    assert len(plain[0]) == 4 and plain[1].empty
    pd.testing.assert_frame_equal(packed[0], plain[0])
    pd.testing.assert_frame_equal(packed[1], plain[1])


def test_a_listing_names_compressed_files_as_a_run_reads_them(tmp_path: Path) -> None:
    for suffix in SUFFIXES:
        (tmp_path / f"feed.jsonl{suffix}").write_bytes(pack(suffix, lines_of(3)))
    (tmp_path / "dump.zst").write_bytes(pack(".zst", lines_of(3)))
    names = [json.loads(line.split("\t")[2]) for line in listing([str(tmp_path)]).splitlines()]
    named = [*(f"feed.jsonl{s}" for s in SUFFIXES), "dump.zst"]
    assert names == sorted(f"{tmp_path.name}/{name}" for name in named)
    clean(tmp_path, tmp_path / "out" / "c.parquet")
    ids = pd.read_parquet(tmp_path / "out" / "c.parquet").doc_id.tolist()
    assert ids == [
        f"{tmp_path.name}/feed.jsonl{s}#{n}" for s in sorted(SUFFIXES) for n in (1, 2, 3)
    ]


WITHOUT_ZSTD = """
import sys
sys.modules["compression.zstd"] = sys.modules["backports.zstd"] = None  # not installed
from cleaner.__main__ import main
sys.argv = ["cleaner", "clean", *sys.argv[1:]]
main()
"""


def test_without_a_zstd_module_zst_files_are_rejected_naming_what_to_install(
    tmp_path: Path,
) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl.zst").write_bytes(pack(".zst", lines_of(3)))
    (tmp_path / "in" / "b.jsonl.gz").write_bytes(pack(".gz", lines_of(3)))
    out = tmp_path / "c.parquet"
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_ZSTD, str(tmp_path / "in"), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert len(pd.read_parquet(out)) == 3
    (reject,) = pd.read_parquet(rejects_path(out)).itertuples()
    assert (reject.doc_id, reject.reason) == ("in/a.jsonl.zst", "unsupported")
    assert "pip install backports.zstd" in reject.detail
    assert "files of other formats 1" in done.stderr
