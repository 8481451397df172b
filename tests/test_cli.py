"""The command line, driven as a user drives it (typer's runner), on the bundled fixtures."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cleaner.cli import app
from tests.conftest import EXAMPLE, FIXTURES, read_corpus

runner = CliRunner()


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("run") / "corpus.parquet"
    result = runner.invoke(app, ["clean", str(FIXTURES), "-o", str(out), "-j", "1"])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_example_article_loses_its_doubled_opening(fixture_run: tuple[Path, str]) -> None:
    corpus = read_corpus(fixture_run[0])
    doc = corpus.loc[EXAMPLE]
    assert doc.n_paragraphs_in == 5
    assert doc.n_paragraphs_out == 4
    assert len(doc.paragraphs) == 4
    (removal,) = doc.removed
    assert removal["index"] == 1
    assert removal["reason"] == "exact_duplicate"
    assert removal["duplicate_of"] == 0
    assert removal["similarity"] == 1.0
    assert removal["text"].startswith("The Kremlin has confirmed")
    assert doc.paragraphs[1].startswith("As it was reported")
    assert doc.text == "\n\n".join(doc.paragraphs)


def test_lead_repeated_in_another_rendering_is_an_exact_duplicate(
    fixture_run: tuple[Path, str],
) -> None:
    doc = read_corpus(fixture_run[0]).loc["001_rendering_lead.txt"]
    assert [(r["index"], r["reason"], r["duplicate_of"]) for r in doc.removed] == [
        (1, "exact_duplicate", 0)
    ]
    assert doc.repaired  # the &amp; entity and the curly quotes were repaired
    assert "&amp;" not in doc.text


def test_repeat_with_one_word_edited_is_a_near_duplicate(fixture_run: tuple[Path, str]) -> None:
    doc = read_corpus(fixture_run[0]).loc["002_edited_repeat.txt"]
    (removal,) = doc.removed
    assert (removal["index"], removal["reason"], removal["duplicate_of"]) == (
        3,
        "near_duplicate",
        1,
    )
    assert 0.8 <= removal["similarity"] < 1.0
    assert "biggest on the coast" in removal["text"]


def test_cp1251_article_is_decoded_and_deduplicated(fixture_run: tuple[Path, str]) -> None:
    doc = read_corpus(fixture_run[0]).loc["003_moscow_metro_cp1251.txt"]
    assert doc.encoding == "cp1251"
    assert doc.paragraphs[0].startswith("Городские власти")
    assert doc.n_paragraphs_out == 3


def test_json_lines_records_are_documents(fixture_run: tuple[Path, str]) -> None:
    corpus = read_corpus(fixture_run[0])
    assert {"004_feed.jsonl#a1", "004_feed.jsonl#a2", "005_wire.jsonl.gz#7"} <= set(corpus.index)
    assert corpus.loc["004_feed.jsonl#a1"].n_paragraphs_out == 2
    assert corpus.loc["005_wire.jsonl.gz#7"].paragraphs.tolist() == [
        "Wire: the summit ended without a joint statement."
    ]


def test_every_bad_input_is_a_reject_row(fixture_run: tuple[Path, str]) -> None:
    rejects = pd.read_parquet(fixture_run[0].with_name("corpus.rejects.parquet"))
    got = {(r.doc_id, r.reason) for r in rejects.itertuples()}
    assert got == {
        ("004_feed.jsonl#2", "bad_json"),
        ("004_feed.jsonl#a3", "bad_record"),
        ("006_empty.txt", "empty"),
        ("007_binary.txt", "binary"),
        ("008_kerry_resent.txt", "duplicate_document"),
        ("sources.csv", "unsupported"),
    }
    assert all(rejects.detail.str.len() > 0)


def test_story_scraped_twice_leaves_for_the_rejects_naming_the_copy_kept(
    fixture_run: tuple[Path, str],
) -> None:
    rejects = pd.read_parquet(fixture_run[0].with_name("corpus.rejects.parquet"))
    (row,) = rejects[rejects.reason == "duplicate_document"].itertuples()
    assert (row.doc_id, row.duplicate_of) == ("008_kerry_resent.txt", EXAMPLE)
    assert 0.8 <= row.similarity < 1.0  # straight quotes, and one word added
    assert EXAMPLE in row.detail
    assert rejects[rejects.reason != "duplicate_document"].duplicate_of.isna().all()


def test_channel_footer_is_boilerplate_and_a_quote_two_posts_share_stays(
    fixture_run: tuple[Path, str],
) -> None:
    corpus = read_corpus(fixture_run[0])
    posts = corpus.loc[[f"009_channel.jsonl#{n}" for n in range(101, 111)]]
    footer = "Subscribe to our channel for the morning briefing: t.me/morningwire"
    named = []
    for post in posts.itertuples():
        (removal,) = post.removed
        assert (removal["reason"], removal["text"]) == ("boilerplate", footer)
        assert removal["duplicate_of_doc"] != post.Index
        named.append(removal["duplicate_of_doc"])
        assert footer not in post.paragraphs.tolist()
    # each names the earliest other post with the footer
    assert named == ["009_channel.jsonl#102", *["009_channel.jsonl#101"] * 9]
    quote = '"We will rebuild the bridge before winter," the mayor told reporters on the riverbank.'
    shared = [quote in post.paragraphs.tolist() for post in posts.itertuples()]
    assert shared == [True, True] + [False] * 8


def test_summary_counts_files_and_removals(fixture_run: tuple[Path, str]) -> None:
    summary = fixture_run[1]
    for line in ("files read", "documents", "paragraphs in", "removed: exact_duplicate", "MB/s"):
        assert line in summary
    assert re.search(r"files of other formats.*\b1\b", summary)
    assert re.search(r"rejected: unsupported\D*1\b", summary)


def test_document_order_is_sorted_paths_then_records(fixture_run: tuple[Path, str]) -> None:
    ids = pd.read_parquet(fixture_run[0]).doc_id.tolist()
    assert ids == [
        EXAMPLE,
        "001_rendering_lead.txt",
        "002_edited_repeat.txt",
        "003_moscow_metro_cp1251.txt",
        "004_feed.jsonl#a1",
        "004_feed.jsonl#a2",
        "005_wire.jsonl.gz#7",
        *(f"009_channel.jsonl#{n}" for n in range(101, 111)),
    ]


def test_metadata_records_version_and_every_output_option(tmp_path: Path) -> None:
    out = tmp_path / "c.parquet"
    args = ["clean", str(FIXTURES / EXAMPLE), "-o", str(out), "-q", "--threshold", "0.7"]
    assert runner.invoke(app, [*args, "--shingle-size", "4"]).exit_code == 0
    meta = json.loads(pq.read_schema(out).metadata[b"cleaner"])
    assert meta["version"]
    assert meta["options"]["threshold"] == 0.7
    assert meta["options"]["shingle_size"] == 4
    assert meta["fingerprint"]["scheme"].startswith("datasketch-affine32")
    assert meta["ftfy"]["uncurl_quotes"] is True


def test_two_runs_give_identical_bytes_whatever_the_workers(tmp_path: Path) -> None:
    outs = []
    for n, workers in enumerate(("1", "2")):
        out = tmp_path / f"run{n}" / "corpus.parquet"
        result = runner.invoke(app, ["clean", str(FIXTURES), "-o", str(out), "-q", "-j", workers])
        assert result.exit_code == 0
        outs.append(out)
    assert outs[0].read_bytes() == outs[1].read_bytes()
    rejects = [o.with_name("corpus.rejects.parquet").read_bytes() for o in outs]
    assert rejects[0] == rejects[1]


def test_strict_exits_1_when_anything_was_rejected(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["clean", str(FIXTURES), "-o", str(tmp_path / "c.parquet"), "-q", "--strict"]
    )
    assert result.exit_code == 1
    assert "rejected" in result.output
    clean_only = runner.invoke(
        app, ["clean", str(FIXTURES / EXAMPLE), "-o", str(tmp_path / "d.parquet"), "-q", "--strict"]
    )
    assert clean_only.exit_code == 0


@pytest.mark.parametrize(
    "args",
    [
        ["clean", "no/such/folder"],
        ["clean", str(FIXTURES), "--threshold", "1.5"],
        ["clean", str(FIXTURES), "--no-such-option"],
        ["fix", "no/such/file.txt"],
    ],
)
def test_usage_errors_exit_2_with_one_line_and_no_traceback(
    args: list[str], tmp_path: Path
) -> None:
    result = runner.invoke(
        app, [*args, "-o", str(tmp_path / "c.parquet")] if args[0] == "clean" else args
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert not (tmp_path / "c.parquet").exists()


def test_unwritable_output_is_one_line_exit_1() -> None:
    # A folder no file can be created in, even by root.
    result = runner.invoke(app, ["clean", str(FIXTURES / EXAMPLE), "-o", "/proc/c.parquet"])
    assert result.exit_code == 1
    assert result.output.startswith("error: cannot write")
    assert "Traceback" not in result.output


def test_stdin_article_and_stdin_json_lines(tmp_path: Path) -> None:
    out = tmp_path / "c.parquet"
    text = (FIXTURES / EXAMPLE).read_bytes()
    assert runner.invoke(app, ["clean", "-", "-o", str(out), "-q"], input=text).exit_code == 0
    doc = read_corpus(out).loc["-"]
    assert doc.n_paragraphs_out == 4
    lines = b'{"id": 1, "text": "A.\\n\\nA."}\n{"id": 2, "text": "B."}\n'
    args = ["clean", "-", "-o", str(out), "-q", "--stdin-format", "jsonl"]
    assert runner.invoke(app, args, input=lines).exit_code == 0
    assert read_corpus(out).doc_id.tolist() == ["-#1", "-#2"]


def test_text_and_id_fields_are_options(tmp_path: Path) -> None:
    src = tmp_path / "in" / "feed.json"
    src.parent.mkdir()
    src.write_text(json.dumps([{"uid": "x9", "body": "Hello.\n\nHello."}, {"body": "Bye."}]))
    out = tmp_path / "c.parquet"
    args = [
        "clean",
        str(src.parent),
        "-o",
        str(out),
        "-q",
        "--text-field",
        "body",
        "--id-field",
        "uid",
    ]
    assert runner.invoke(app, args).exit_code == 0
    corpus = read_corpus(out)
    assert corpus.doc_id.tolist() == ["feed.json#x9", "feed.json#2"]
    assert corpus.loc["feed.json#x9"].n_paragraphs_out == 1


def test_fix_prints_the_repaired_deduplicated_paragraphs() -> None:
    result = runner.invoke(app, ["fix", str(FIXTURES / EXAMPLE)])
    assert result.exit_code == 0
    paragraphs = result.stdout.rstrip("\n").split("\n\n")
    assert len(paragraphs) == 4
    assert paragraphs[0].startswith("The Kremlin has confirmed")
    assert "Putin's press secretary" in paragraphs[0]  # ftfy's default straightens quotes


def test_fix_reads_stdin_gzip_and_other_encodings(tmp_path: Path) -> None:
    cp1251 = (FIXTURES / "003_moscow_metro_cp1251.txt").read_bytes()
    from_stdin = runner.invoke(app, ["fix", "-"], input=cp1251)
    assert from_stdin.exit_code == 0
    packed = tmp_path / "a.txt.gz"
    packed.write_bytes(gzip.compress(cp1251))
    from_gzip = runner.invoke(app, ["fix", str(packed)])
    assert from_gzip.stdout == from_stdin.stdout
    assert from_stdin.stdout.count("Городские власти") == 1


def test_fix_on_binary_input_is_one_line_exit_1() -> None:
    result = runner.invoke(app, ["fix", str(FIXTURES / "007_binary.txt")])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "binary" in result.output


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("cleaner ")
