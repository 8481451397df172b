"""`cleaner explain`: one document's paragraphs, kept or removed, with the evidence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cleaner
from cleaner.cli import app
from cleaner.errors import InputError
from cleaner.explain import explain, word_diff
from tests.conftest import EXAMPLE_ID, FIXTURES

runner = CliRunner()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("explain") / "c.parquet"
    cleaner.clean([str(FIXTURES)], out)
    return out


def test_a_near_repeat_is_shown_in_place_with_its_word_diff(corpus: Path) -> None:
    e = explain(corpus, "news/002_edited_repeat.txt")
    assert e.outcome == "kept"
    assert [v.removal is None for v in e.paragraphs] == [True, True, True, False, True]
    near = e.paragraphs[3]
    assert near.removal is not None and near.removal.reason == "near_duplicate"
    assert near.removal.repeats == e.paragraphs[1].paragraph
    changed = [(op, words) for op, words in near.diff if op != "="]
    assert changed == [("-", ["largest"]), ("+", ["biggest"])]


def test_boilerplate_says_how_many_documents_carry_it(corpus: Path) -> None:
    e = explain(corpus, "news/009_channel.jsonl#103")
    (footer,) = [v for v in e.paragraphs if v.removal is not None]
    assert footer.removal is not None and footer.removal.reason == "boilerplate"
    assert footer.carriers == 10  # the ten channel posts of the fixtures


@pytest.mark.parametrize("where", [FIXTURES, FIXTURES.parent], ids=["input", "above it"])
def test_a_duplicate_document_is_compared_with_the_one_kept(corpus: Path, where: Path) -> None:
    e = explain(corpus, "news/008_kerry_resent.txt", [where])
    assert (e.outcome, e.kept_instead) == ("duplicate_document", EXAMPLE_ID)
    assert e.similarity is not None and 0.85 <= e.similarity < 1
    changed = [(ours, kept) for ours, kept in e.comparison if ours != kept]
    assert len(changed) == 1 and all(changed[0])  # one lead edited, the rest the same
    assert len(e.comparison) == 4


def test_a_duplicate_whose_source_is_gone_still_names_what_it_repeats(corpus: Path) -> None:
    e = explain(corpus, "news/008_kerry_resent.txt", [corpus.parent])
    assert (e.kept_instead, e.paragraphs, e.comparison) == (EXAMPLE_ID, [], [])


def test_an_unknown_document_or_a_file_that_is_no_corpus_is_an_input_error(
    corpus: Path,
) -> None:
    with pytest.raises(InputError, match="no document"):
        explain(corpus, "nope.txt")
    with pytest.raises(InputError, match="not a corpus"):
        explain(FIXTURES.parent.parent / "README.md", EXAMPLE_ID)


def test_word_diff_rebuilds_both_sides() -> None:
    old, new = "a b c d e f", "a x c d f g"
    diff = word_diff(old, new)
    assert [w for op, ws in diff if op != "+" for w in ws] == old.split()
    assert [w for op, ws in diff if op != "-" for w in ws] == new.split()


def test_cli_prints_plain_text_with_marked_diffs_when_piped(corpus: Path) -> None:
    result = runner.invoke(app, ["explain", str(corpus), "news/002_edited_repeat.txt"])
    assert result.exit_code == 0, result.output
    assert "[3] removed: near_duplicate, repeats [1]" in result.stdout
    assert "[-largest-] {+biggest+}" in result.stdout
    assert "\x1b[" not in result.stdout  # no colours in a pipe


def test_cli_unknown_document_is_one_line_exit_2(corpus: Path) -> None:
    result = runner.invoke(app, ["explain", str(corpus), "nope.txt"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "no document 'nope.txt'" in result.stderr


def test_scraped_escape_sequences_are_shown_not_obeyed(tmp_path: Path) -> None:
    hostile_id = "\x1b]0;owned\x07\x1b[2J\x1b[1A\rx"
    records = [
        {"id": hostile_id, "text": "A first paragraph of the post.\n\nA second one, \x1b[8m."},
    ]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "feed\x1b[31m.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    out = tmp_path / "c.parquet"
    cleaner.clean([str(folder)], out)
    doc_id = f"in/feed\x1b[31m.jsonl#{hostile_id}"
    result = runner.invoke(app, ["explain", str(out), doc_id])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\r" not in result.stdout
    assert "in/feed\\x1b[31m.jsonl#\\x1b]0;owned\\x07\\x1b[2J\\x1b[1A\\rx" in result.stdout
