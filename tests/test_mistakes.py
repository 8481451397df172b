"""What a user does by mistake: no run destroys an input or earlier output, none fails half way
leaving files behind, none confuses two inputs, none reads outside what it was given, and none
looks like success when it did nothing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import cleaner
from cleaner.cli import app
from cleaner.formats import index_path, rejects_path
from tests.conftest import EXAMPLE, FIXTURES

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def one_line_error(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), output
    return lines[0]


# 2: an output that is an input --------------------------------------------------------------


def test_output_that_is_the_input_file_is_refused_and_the_file_kept(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    shutil.copyfile(FIXTURES / EXAMPLE, article)
    before = article.read_bytes()
    code, output = run("clean", str(article), "-o", str(article))
    assert code == 2
    assert "is also an input" in one_line_error(output)
    assert article.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_output_that_is_the_against_corpus_is_refused(tmp_path: Path) -> None:
    base = tmp_path / "base.parquet"
    cleaner.clean([str(FIXTURES)], base)
    files = (base, rejects_path(base), index_path(base))
    before = [p.read_bytes() for p in files]
    new = tmp_path / "new"
    new.mkdir()
    (new / "x.txt").write_text("A story that arrived today, with enough words in it.", "utf-8")
    code, output = run("clean", str(new), "--against", str(base), "-o", str(base))
    assert code == 2
    one_line_error(output)
    assert [p.read_bytes() for p in files] == before


def test_output_that_is_a_merge_input_is_refused(tmp_path: Path) -> None:
    base = tmp_path / "base.parquet"
    cleaner.clean([str(FIXTURES)], base)
    before = base.read_bytes()
    code, output = run("merge", str(base), "-o", str(base))
    assert code == 2
    one_line_error(output)
    assert base.read_bytes() == before


def test_output_reached_through_another_name_is_refused(tmp_path: Path) -> None:
    base = tmp_path / "base.parquet"
    cleaner.clean([str(FIXTURES)], base)
    before = base.read_bytes()
    os.link(base, tmp_path / "hard.parquet")  # the same inode under another name
    code, output = run(
        "clean", str(FIXTURES), "--against", str(base), "-o", str(tmp_path / "hard.parquet")
    )
    assert code == 2
    assert "also an input" in one_line_error(output)
    assert base.read_bytes() == before


@pytest.mark.parametrize("name", ["news.jsonl", "news.json", "a.txt", "news.csv", "page.html"])
def test_output_named_as_another_format_is_refused(tmp_path: Path, name: str) -> None:
    """``-o news.jsonl`` would write Parquet under a name every JSON Lines reader, and a
    later walk of the folder, takes for a broken file; inside an input folder it would also
    replace an input of that kind."""
    folder = tmp_path / "news"
    shutil.copytree(FIXTURES, folder)
    before = snapshot(folder)
    for target in (tmp_path / name, folder / name, folder / EXAMPLE):
        code, output = run("clean", str(folder), "-o", str(target))
        assert code == 2
        assert "give it a .parquet name" in one_line_error(output)
    assert snapshot(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["news"]


# 3: every output path checked before any work -------------------------------------------------


def test_output_that_is_a_folder_of_other_files_leaves_nothing_behind(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "notes.txt").write_text("mine")
    code, output = run("clean", str(FIXTURES), "-o", str(tmp_path / "d"))
    assert code == 2
    assert "not a corpus folder this tool wrote" in one_line_error(output)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]
    assert [p.name for p in (tmp_path / "d").iterdir()] == ["notes.txt"]


def test_sidecar_path_that_is_a_folder_leaves_nothing_behind(tmp_path: Path) -> None:
    (tmp_path / "c.index.parquet").mkdir()
    code, output = run("clean", str(FIXTURES), "-o", str(tmp_path / "c.parquet"))
    assert code == 2
    one_line_error(output)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.index.parquet"]


def test_output_under_a_file_is_refused_without_creating_folders(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    code, output = run("clean", str(FIXTURES), "-o", str(tmp_path / "f" / "sub" / "c.parquet"))
    assert code == 2
    assert "not a folder" in one_line_error(output)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_a_failed_run_removes_the_folders_it_created(tmp_path: Path) -> None:
    out = tmp_path / "new" / "deeper" / "c.parquet"
    code, _ = run("clean", str(tmp_path / "missing"), "-o", str(out))
    assert code == 2
    assert list(tmp_path.iterdir()) == []


# 4: doc_ids unique across inputs and corpora -----------------------------------------------


def two_days(tmp_path: Path) -> tuple[Path, Path]:
    monday, tuesday = tmp_path / "scrapes" / "monday", tmp_path / "scrapes" / "tuesday"
    for day, story in ((monday, "The council met on Monday."), (tuesday, "Rain fell all day.")):
        day.mkdir(parents=True)
        (day / "001.txt").write_text(f"{story} It decided many things of note.", "utf-8")
    return monday, tuesday


def test_two_roots_with_the_same_file_names_give_distinct_doc_ids(tmp_path: Path) -> None:
    monday, tuesday = two_days(tmp_path)
    out = tmp_path / "c.parquet"
    cleaner.clean([str(monday), str(tuesday)], out)
    corpus = pd.read_parquet(out)
    assert list(corpus.doc_id) == ["monday/001.txt", "tuesday/001.txt"]
    assert list(corpus.source) == ["monday/001.txt", "tuesday/001.txt"]


def test_roots_with_the_same_name_are_told_apart_by_their_parents(tmp_path: Path) -> None:
    for parent in ("a", "b"):
        (tmp_path / parent / "news").mkdir(parents=True)
        (tmp_path / parent / "news" / "1.txt").write_text(f"Story from {parent}, told in words.")
    out = tmp_path / "c.parquet"
    cleaner.clean([str(tmp_path / "a" / "news"), str(tmp_path / "b" / "news")], out)
    assert list(pd.read_parquet(out).doc_id) == ["a/news/1.txt", "b/news/1.txt"]


def test_one_root_names_its_files_after_itself_as_a_run_of_several_does(tmp_path: Path) -> None:
    for day in two_days(tmp_path):
        out = tmp_path / f"{day.name}.parquet"
        cleaner.clean([str(day)], out)
        assert list(pd.read_parquet(out).doc_id) == [f"{day.name}/001.txt"]


def test_the_same_input_twice_is_refused(tmp_path: Path) -> None:
    monday, _ = two_days(tmp_path)
    code, output = run("clean", str(monday), f"{monday}/", "-o", str(tmp_path / "c.parquet"))
    assert code == 2
    assert "given twice" in one_line_error(output)


def test_records_that_repeat_an_id_keep_distinct_doc_ids(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        '{"id": 7, "text": "First story about the harbour and its boats."}\n'
        '{"id": 7, "text": "Second story, about the railway station nearby."}\n',
        "utf-8",
    )
    out = tmp_path / "c.parquet"
    cleaner.clean([str(feed)], out)
    ids = list(pd.read_parquet(out).doc_id)
    assert len(ids) == 2 and len(set(ids)) == 2 and ids[0] == "feed.jsonl#7"


def rotated(tmp_path: Path) -> tuple[Path, Path]:
    """``scrapes/today`` cleaned, then emptied and filled with the next day's scrape under
    the same file name: the folder name reused, the corpus of its first day returned."""
    today = tmp_path / "scrapes" / "today"
    today.mkdir(parents=True)
    (today / "001.txt").write_text("The council met on Monday. It decided many things.", "utf-8")
    first = tmp_path / "first.parquet"
    cleaner.clean([str(today)], first)
    (today / "001.txt").write_text(
        "Rain fell all day on Tuesday. The river rose at night.", "utf-8"
    )
    return today, first


def test_merge_of_corpora_sharing_a_doc_id_is_refused(tmp_path: Path) -> None:
    today, first = rotated(tmp_path)
    second = tmp_path / "second.parquet"
    cleaner.clean([str(today)], second)
    code, output = run("merge", str(first), str(second), "-o", str(tmp_path / "all.parquet"))
    assert code == 2
    error = one_line_error(output)
    assert "'today/001.txt'" in error
    assert "give the folders distinct names" in error  # the way out: the name is in the doc_id
    assert not (tmp_path / "all.parquet").exists()


def test_merge_of_one_corpus_twice_says_so(tmp_path: Path) -> None:
    monday, _ = two_days(tmp_path)
    a = tmp_path / "a.parquet"
    cleaner.clean([str(monday)], a)
    code, output = run("merge", str(a), str(a), "-o", str(tmp_path / "all.parquet"))
    assert code == 2
    assert "given twice" in one_line_error(output)


def test_against_a_corpus_sharing_a_doc_id_is_refused(tmp_path: Path) -> None:
    today, first = rotated(tmp_path)
    out = tmp_path / "second.parquet"
    code, output = run("clean", str(today), "--against", str(first), "-o", str(out))
    assert code == 2
    error = one_line_error(output)
    assert "'today/001.txt'" in error and "give the folders distinct names" in error
    assert not out.exists()


# 5: nothing found is not success -------------------------------------------------------------


def test_a_folder_of_unread_formats_says_so_and_fails_under_strict(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    for n in range(3):
        (pages / f"{n}.pdf").write_bytes(b"%PDF-1.4")
    (pages / "x.docx").write_text("a,b")
    out = tmp_path / "c.parquet"
    code, output = run("clean", str(pages), "-o", str(out), "--strict")
    assert code == 1
    assert "0 documents: 4 files skipped (.pdf 3, .docx 1)" in output
    code, output = run("clean", str(pages), "-o", str(out))
    assert code == 0 and "0 documents: 4 files skipped (.pdf 3, .docx 1)" in output
    rejected = pd.read_parquet(rejects_path(out))
    assert sorted(rejected.source) == ["pages/0.pdf", "pages/1.pdf", "pages/2.pdf", "pages/x.docx"]
    assert set(rejected.reason) == {"unsupported"}


def test_an_empty_folder_fails_under_strict(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, output = run(
        "clean", str(tmp_path / "empty"), "-o", str(tmp_path / "c.parquet"), "--strict"
    )
    assert code == 1
    assert "0 documents" in output


# 6: -o - ------------------------------------------------------------------------------------


def test_output_dash_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, output = run("clean", str(FIXTURES / EXAMPLE), "-o", "-")
    assert code == 2
    one_line_error(output)
    assert list(tmp_path.iterdir()) == []


# 7: the run's own files are not inputs -------------------------------------------------------


def test_output_inside_the_input_folder_is_not_read_back(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    shutil.copytree(FIXTURES, folder)
    out = folder / "corpus.parquet"
    first_report = cleaner.clean([str(folder)], out)
    first = pd.read_parquet(rejects_path(out))
    # A stale temporary file of a killed run, and the outputs of the first run, are ours.
    (folder / ".corpus.parquet.x1y2.tmp").write_bytes(b"half written")
    report = cleaner.clean([str(folder)], out)
    assert (report.files, report.skipped) == (first_report.files, first_report.skipped)
    assert report.skipped == {}  # the fixtures are all of formats read; the outputs not inputs
    again = pd.read_parquet(rejects_path(out))
    assert not any("parquet" in s for s in again.source)
    pd.testing.assert_frame_equal(first, again)


# 19: links that leave the input ----------------------------------------------------------------


def test_a_link_out_of_the_input_is_a_reject_not_read(tmp_path: Path) -> None:
    folder = tmp_path / "scrape"
    folder.mkdir()
    shutil.copyfile(FIXTURES / EXAMPLE, folder / "a.txt")
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:the password file of this machine", "utf-8")
    (folder / "leak.txt").symlink_to(secret)
    (folder / "etc").symlink_to(tmp_path)  # a folder outside too
    out = tmp_path / "out" / "c.parquet"
    cleaner.clean([str(folder)], out)
    corpus = pd.read_parquet(out)
    assert list(corpus.doc_id) == ["scrape/a.txt"]
    assert "password" not in "".join(corpus.text)
    rejected = pd.read_parquet(rejects_path(out)).set_index("source")
    assert rejected.loc["scrape/leak.txt", "reason"] == "link_outside_input"
    assert rejected.loc["scrape/etc", "reason"] == "link_outside_input"
    assert str(secret) not in " ".join(rejected.detail)  # no local path leaks either

    followed = tmp_path / "out" / "f.parquet"
    by_document = cleaner.DedupOptions(scope="document")  # etc/secret.txt is the same file
    cleaner.clean([str(folder)], followed, cleaner.Options(dedup=by_document, follow_symlinks=True))
    assert {"scrape/leak.txt", "scrape/etc/secret.txt"} <= set(pd.read_parquet(followed).doc_id)


def test_links_inside_the_input_read_each_file_once(tmp_path: Path) -> None:
    folder = tmp_path / "scrape"
    (folder / "sub").mkdir(parents=True)
    shutil.copyfile(FIXTURES / EXAMPLE, folder / "sub" / "a.txt")
    (folder / "link.txt").symlink_to(folder / "sub" / "a.txt")
    (folder / "other").symlink_to(folder / "sub")
    (folder / "sub" / "notes.dat").write_text("A note kept as data, not text.", "utf-8")
    (folder / "notes.txt").symlink_to("sub/notes.dat")  # the only way to read that file
    out = tmp_path / "c.parquet"
    cleaner.clean([str(folder)], out, cleaner.Options(dedup=cleaner.DedupOptions(scope="document")))
    assert sorted(pd.read_parquet(out).doc_id) == ["scrape/notes.txt", "scrape/sub/a.txt"]
    rejected = pd.read_parquet(rejects_path(out)).set_index("source")
    assert rejected.loc["scrape/link.txt", "reason"] == "link_inside_input"
    assert rejected.loc["scrape/other", "reason"] == "link_inside_input"


def test_a_link_named_on_the_command_line_is_read(tmp_path: Path) -> None:
    (tmp_path / "link.txt").symlink_to(FIXTURES / EXAMPLE)
    out = tmp_path / "c.parquet"
    cleaner.clean([str(tmp_path / "link.txt")], out)
    assert list(pd.read_parquet(out).doc_id) == ["link.txt"]
