"""The command line, driven as a user drives it (typer's runner), on the bundled fixtures."""

from __future__ import annotations

import gzip
import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from cleaner.cli import app
from cleaner.formats import document_of
from tests.conftest import EXAMPLE, EXAMPLE_ID, FIXTURES, ROOT, read_corpus

runner = CliRunner()


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("run") / "corpus.parquet"
    result = runner.invoke(app, ["clean", str(FIXTURES), "-o", str(out), "-j", "1"])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_example_article_loses_its_doubled_opening(fixture_run: tuple[Path, str]) -> None:
    corpus = read_corpus(fixture_run[0])
    doc = corpus.loc[EXAMPLE_ID]
    assert doc.n_paragraphs_in == 5
    assert doc.n_paragraphs_out == 4
    assert len(doc.paragraphs) == 4
    (removal,) = doc.removed
    assert removal["index"] == 1
    assert removal["reason"] == "exact_duplicate"
    assert removal["repeats_index"] == 0
    assert removal["similarity"] == 1.0
    assert removal["paragraph"].startswith("The Kremlin has confirmed")
    assert removal["repeats"] == doc.paragraphs[0]  # the kept lead it repeats, as written
    assert doc.paragraphs[1].startswith("As it was reported")
    assert doc.text == "\n\n".join(doc.paragraphs)


def test_lead_repeated_in_another_rendering_is_an_exact_duplicate(
    fixture_run: tuple[Path, str],
) -> None:
    doc = read_corpus(fixture_run[0]).loc["news/001_rendering_lead.txt"]
    assert [(r["index"], r["reason"], r["repeats_index"]) for r in doc.removed] == [
        (1, "exact_duplicate", 0)
    ]
    assert doc.repaired  # the &amp; entity and the curly quotes were repaired
    assert "&amp;" not in doc.text


def test_repeat_with_one_word_edited_is_a_near_duplicate(fixture_run: tuple[Path, str]) -> None:
    doc = read_corpus(fixture_run[0]).loc["news/002_edited_repeat.txt"]
    (removal,) = doc.removed
    assert (removal["index"], removal["reason"], removal["repeats_index"]) == (
        3,
        "near_duplicate",
        1,
    )
    assert 0.8 <= removal["similarity"] < 1.0
    assert "biggest on the coast" in removal["paragraph"]
    assert removal["repeats"] == doc.paragraphs[1]


def test_cp1251_article_is_decoded_and_deduplicated(fixture_run: tuple[Path, str]) -> None:
    doc = read_corpus(fixture_run[0]).loc["news/003_moscow_metro_cp1251.txt"]
    assert doc.encoding == "cp1251"
    assert doc.paragraphs[0].startswith("Городские власти")
    assert doc.n_paragraphs_out == 3


def test_json_lines_records_are_documents(fixture_run: tuple[Path, str]) -> None:
    corpus = read_corpus(fixture_run[0])
    assert {"news/004_feed.jsonl#a1", "news/004_feed.jsonl#a2", "news/005_wire.jsonl.gz#7"} <= set(
        corpus.index
    )
    assert corpus.loc["news/004_feed.jsonl#a1"].n_paragraphs_out == 2
    assert corpus.loc["news/005_wire.jsonl.gz#7"].paragraphs.tolist() == [
        "Wire: the summit ended without a joint statement."
    ]


def test_every_bad_input_is_a_reject_row(fixture_run: tuple[Path, str]) -> None:
    rejects = pd.read_parquet(fixture_run[0].with_name("corpus.rejects.parquet"))
    got = {(r.doc_id, r.reason) for r in rejects.itertuples()}
    assert got == {
        ("news/004_feed.jsonl#2", "bad_json"),
        ("news/004_feed.jsonl#a3", "bad_record"),
        ("news/006_empty.txt", "empty"),
        ("news/007_binary.txt", "binary"),
        ("news/008_kerry_resent.txt", "duplicate_document"),
        ("news/sources.csv#1", "bad_record"),  # a table without a text column
    }
    assert all(rejects.detail.str.len() > 0)


def test_story_scraped_twice_leaves_for_the_rejects_naming_the_copy_kept(
    fixture_run: tuple[Path, str],
) -> None:
    rejects = pd.read_parquet(fixture_run[0].with_name("corpus.rejects.parquet"))
    (row,) = rejects[rejects.reason == "duplicate_document"].itertuples()
    assert (row.doc_id, row.duplicate_of) == ("news/008_kerry_resent.txt", EXAMPLE_ID)
    assert 0.8 <= row.similarity < 1.0  # straight quotes, and one word added
    assert EXAMPLE_ID in row.detail
    assert rejects[rejects.reason != "duplicate_document"].duplicate_of.isna().all()


def test_channel_footer_is_boilerplate_and_a_quote_two_posts_share_stays(
    fixture_run: tuple[Path, str],
) -> None:
    corpus = read_corpus(fixture_run[0])
    posts = corpus.loc[[f"news/009_channel.jsonl#{n}" for n in range(101, 111)]]
    footer = "Subscribe to our channel for the morning briefing: t.me/morningwire"
    named = []
    for post in posts.itertuples():
        (removal,) = post.removed
        assert (removal["reason"], removal["paragraph"], removal["repeats"]) == (
            "boilerplate",
            footer,
            footer,
        )
        assert removal["repeats_doc"] != post.Index
        named.append(removal["repeats_doc"])
        assert footer not in post.paragraphs.tolist()
    # each names the earliest other post with the footer
    assert named == ["news/009_channel.jsonl#102", *["news/009_channel.jsonl#101"] * 9]
    quote = '"We will rebuild the bridge before winter," the mayor told reporters on the riverbank.'
    shared = [quote in post.paragraphs.tolist() for post in posts.itertuples()]
    assert shared == [True, True] + [False] * 8


def test_every_removal_carries_the_paragraph_it_repeats(fixture_run: tuple[Path, str]) -> None:
    table = pq.read_table(fixture_run[0])
    docs = {row["doc_id"]: document_of(row) for row in table.to_pylist()}
    removals = [(doc, r) for doc in docs.values() for r in doc.removed]
    assert {r.reason for _, r in removals} == {"exact_duplicate", "near_duplicate", "boilerplate"}
    for doc, r in removals:
        if r.repeats_doc is None:
            assert r.repeats in doc.paragraphs  # a kept paragraph of the same document
            assert doc.paragraphs_in[r.repeats_index] == r.repeats
        else:
            assert docs[r.repeats_doc].paragraphs_in[r.repeats_index] == r.repeats


def test_removal_fields_unnest_beside_the_corpus_columns(fixture_run: tuple[Path, str]) -> None:
    table = pq.read_table(fixture_run[0])
    fields = {f.name for f in table.schema.field("removed").type.value_type}
    assert not fields & set(table.column_names)  # polars' unnest("removed") needs this


def test_summary_adds_up_one_line_per_reason(fixture_run: tuple[Path, str]) -> None:
    out, summary = fixture_run
    lines = summary.splitlines()
    assert "documents   26 in = 20 out + 6 rejected" in lines
    assert "paragraphs  63 in = 43 out + 16 removed + 4 in rejected documents" in lines
    rejects = pd.read_parquet(out.with_name("corpus.rejects.parquet"))
    for reason, n in rejects.reason.value_counts().items():
        assert sum(line.split()[-2:] == [str(n), reason] for line in lines) == 1
    for path in (
        out,
        out.with_name("corpus.rejects.parquet"),
        out.with_name("corpus.index.parquet"),
    ):
        assert any(line.split()[-1] == str(path) for line in lines)
    assert "files of other formats 0 (rejected: unsupported)" in lines
    assert "MB/s" not in summary  # 11 KB in a fraction of a second: start-up, not speed


def test_summary_of_the_fixtures_is_the_one_the_readme_shows(
    fixture_run: tuple[Path, str],
) -> None:
    out, summary = fixture_run
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (shown,) = re.findall(r"```\n(files read .*?)```", readme, re.DOTALL)

    def figures(text: str, folder: str) -> list[str]:
        lines = [line for line in text.splitlines() if not line.startswith("seconds ")]
        return [line.replace(folder, "build/") for line in lines]

    assert figures(summary, f"{out.parent}/") == figures(shown, "build/")


def test_json_summary_is_the_same_figures_on_stdout(tmp_path: Path) -> None:
    out = tmp_path / "c.parquet"
    args = ["clean", str(FIXTURES), "-o", str(out), "-j", "1", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0 and result.stderr == ""
    figures = json.loads(result.stdout)
    documents, paragraphs = figures["documents"], figures["paragraphs"]
    assert documents["in"] == documents["out"] + documents["rejected"]
    assert documents["rejected"] == sum(documents["rejected_by_reason"].values())
    assert documents["out"] == len(pd.read_parquet(out))
    assert len(pd.read_parquet(figures["outputs"]["rejects"])) == documents["rejected"]
    assert paragraphs["removed"] == sum(paragraphs["removed_by_reason"].values())
    kept, removed = paragraphs["out"], paragraphs["removed"]
    assert paragraphs["in"] == kept + removed + paragraphs["in_rejected_documents"]
    assert paragraphs["removed_by_reason"] == {
        "boilerplate": 10,
        "exact_duplicate": 5,
        "near_duplicate": 1,
    }


def test_quiet_prints_nothing(tmp_path: Path) -> None:
    args = ["clean", str(FIXTURES), "-o", str(tmp_path / "c.parquet"), "-q"]
    result = runner.invoke(app, args)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_document_order_is_sorted_paths_then_records(fixture_run: tuple[Path, str]) -> None:
    ids = pd.read_parquet(fixture_run[0]).doc_id.tolist()
    assert ids == [
        EXAMPLE_ID,
        "news/001_rendering_lead.txt",
        "news/002_edited_repeat.txt",
        "news/003_moscow_metro_cp1251.txt",
        "news/004_feed.jsonl#a1",
        "news/004_feed.jsonl#a2",
        "news/005_wire.jsonl.gz#7",
        *(f"news/009_channel.jsonl#{n}" for n in range(101, 111)),
        "news/010_harbour_bridge.html",
        "news/011_crawl.warc#https://portside-gazette.example/news/ferry-strike",
        "news/012_newsplease.json#1",
    ]


def test_the_page_the_warc_and_the_news_please_record_bring_their_metadata(
    fixture_run: tuple[Path, str],
) -> None:
    rows = pq.read_table(fixture_run[0]).to_pylist()
    found = {
        r["doc_id"].removeprefix("news/")[:3]: (r["url"], r["title"], str(r["published"]))
        for r in rows
    }
    assert found["010"] == (
        "https://portside-gazette.example/news/harbour-bridge-to-close",
        "Harbour bridge to close to cars",
        "2024-05-14 08:30:00+00:00",
    )
    assert found["011"][0] == "https://portside-gazette.example/news/ferry-strike"
    assert found["012"][2] == "2024-05-16 06:00:00+00:00"
    assert "WARC records 4 skipped (not HTML pages)" in fixture_run[1].splitlines()


def test_metadata_records_version_and_every_output_option(tmp_path: Path) -> None:
    out = tmp_path / "c.parquet"
    args = ["clean", str(FIXTURES / EXAMPLE), "-o", str(out), "-q", "--threshold", "0.7"]
    assert runner.invoke(app, [*args, "--shingle-size", "4"]).exit_code == 0
    meta = json.loads(pq.read_schema(out).metadata[b"cleaner"])
    assert meta["version"] == importlib.metadata.version("cleaner")
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
    rejects = pd.read_parquet(tmp_path / "c.rejects.parquet")
    assert result.stderr == f"error: {len(rejects)} input(s) rejected (--strict)\n"
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
        ["clean", str(FIXTURES), "--scope", "doc"],
        ["clean"],
        ["fix", "no/such/file.txt"],
        ["merge", "README.md"],
        ["explain", "README.md", "x"],
        ["report", "no/such/corpus.parquet"],
    ],
)
def test_usage_errors_exit_2_with_one_line_and_no_traceback(
    args: list[str], tmp_path: Path
) -> None:
    result = runner.invoke(
        app, [*args, "-o", str(tmp_path / "c.parquet")] if args[0] == "clean" else args
    )
    assert result.exit_code == 2
    assert result.stdout == "" and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert "Value error" not in result.stderr  # pydantic's words, not a user's
    assert not (tmp_path / "c.parquet").exists()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["clean", "x", "--scope", "doc"], "'doc' is not one of 'corpus', 'document'"),
        (["clean", "x", "--bogus"], "no such option: --bogus (see cleaner clean --help)"),
        (["merge", "README.md"], "README.md: not a corpus written by cleaner clean"),
    ],
)
def test_usage_errors_say_what_is_wrong(args: list[str], says: str) -> None:
    result = runner.invoke(app, args, prog_name="cleaner")
    assert says in result.stderr


@pytest.mark.parametrize("command", ["clean", "merge", "list", "explain", "report", "fix", None])
def test_help_answers_to_h_and_shows_no_python_types(command: str | None) -> None:
    args = [command, "-h"] if command else ["-h"]
    result = runner.invoke(app, args, prog_name="cleaner", env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "Usage: cleaner" in result.stdout
    assert not re.findall(r"<(?:list\[|str|int|float|bool|path)", result.stdout, re.I)
    if command == "clean":
        assert "corpus|document" in result.stdout  # choices stay


def test_a_rejects_file_is_not_taken_for_a_corpus(fixture_run: tuple[Path, str]) -> None:
    rejects = fixture_run[0].with_name("corpus.rejects.parquet")
    result = runner.invoke(app, ["merge", str(rejects), "-o", "unused.parquet"])
    assert result.exit_code == 2 and "not a corpus but its rejects or index" in result.stderr


def test_bad_json_detail_says_where(fixture_run: tuple[Path, str]) -> None:
    rejects = pd.read_parquet(fixture_run[0].with_name("corpus.rejects.parquet"))
    (detail,) = rejects[rejects.reason == "bad_json"].detail
    assert re.fullmatch(r"line 2: Unterminated string starting at column \d+", detail)


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


@pytest.mark.parametrize(
    ("form", "data", "doc_ids"),
    [
        ("csv", "id,text\nr1,Ferries run again.\nr2,The bridge closes.\n", ["-#r1", "-#r2"]),
        ("tsv", "id\ttext\nr1\tFerries run again, at last.\n", ["-#r1"]),
        (
            "xml",
            "<rss><channel><item><description>Ferries run.</description></item></channel></rss>",
            ["-#1"],
        ),
    ],
)
def test_stdin_holds_any_format_named(
    tmp_path: Path, form: str, data: str, doc_ids: list[str]
) -> None:
    out = tmp_path / "c.parquet"
    args = ["clean", "-", "-o", str(out), "-q", "--stdin-format", form]
    assert runner.invoke(app, args, input=data.encode()).exit_code == 0
    assert read_corpus(out).doc_id.tolist() == doc_ids


def test_stdin_holds_a_web_page(tmp_path: Path) -> None:
    out = tmp_path / "c.parquet"
    page = (FIXTURES / "010_harbour_bridge.html").read_bytes()
    args = ["clean", "-", "-o", str(out), "-q", "--stdin-format", "html"]
    assert runner.invoke(app, args, input=page).exit_code == 0
    doc = read_corpus(out).loc["-"]  # the page's article and its canonical URL, not its markup
    assert doc.url == "https://portside-gazette.example/news/harbour-bridge-to-close"
    assert "<" not in doc.text


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
    assert corpus.doc_id.tolist() == ["in/feed.json#x9", "in/feed.json#2"]
    assert corpus.loc["in/feed.json#x9"].n_paragraphs_out == 1


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


def test_fix_reads_json_lines_one_document_per_record() -> None:
    result = runner.invoke(app, ["fix", str(FIXTURES / "004_feed.jsonl")])
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == ["a1", "a2"]
    assert records[0]["text"].startswith("Markets rallied")
    # the broken line and the record without text are said on stderr, one line each
    assert [line.split(": ")[1] for line in result.stderr.splitlines()] == [
        "bad_json",
        "bad_record",
    ]


def test_fix_verbose_says_what_it_removed_on_stderr() -> None:
    quiet = runner.invoke(app, ["fix", str(FIXTURES / "002_edited_repeat.txt")])
    loud = runner.invoke(app, ["fix", str(FIXTURES / "002_edited_repeat.txt"), "-v"])
    assert loud.stdout == quiet.stdout and quiet.stderr == ""
    (line,) = loud.stderr.splitlines()
    assert line.startswith(
        f"{FIXTURES}/002_edited_repeat.txt: removed [3] near_duplicate, repeats [1]"
    )
    assert "biggest on the coast" in line


def test_summary_shows_scraped_names_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "title.\x1b]0;owned\x07").write_text("a file of another format")
    result = runner.invoke(app, ["clean", str(folder), "-o", str(tmp_path / "c.parquet")])
    assert result.exit_code == 0
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    # the warning that no document was found names the extension, escaped
    assert ".\\x1b]0;owned\\x07 1" in result.stderr


def test_fix_on_binary_input_is_one_line_exit_1() -> None:
    result = runner.invoke(app, ["fix", str(FIXTURES / "007_binary.txt")])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "binary" in result.output


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"cleaner {importlib.metadata.version('cleaner')}\n"


def test_fix_starts_without_arrow_pandas_or_charset_detection() -> None:
    # `cleaner fix` is a filter in shell pipelines: its start-up is most of its run
    heavy = ("pyarrow", "pandas", "charset_normalizer", "rich.progress", "distributed")
    code = f"import sys, cleaner.cli; print([m for m in {heavy!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_stop_that_surfaces_as_a_system_error_is_still_a_stop() -> None:
    """Ctrl-C while a C extension module is being imported (pyarrow importing pandas in the
    middle of a run) reaches Python as a SystemError over the KeyboardInterrupt: exit 130."""
    from cleaner import cli

    with pytest.raises(typer.Exit) as ended, cli._failures(Path("c.parquet")):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as stop:
            raise SystemError("<class 'x'> returned a result with an exception set") from stop
    assert ended.value.exit_code == 130
