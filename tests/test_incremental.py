"""Incremental runs: ``--against``, ``merge``, and the README's worked Makefile."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import cleaner
from cleaner.cli import app
from cleaner.formats import index_path, rejects_path
from tests.conftest import EXAMPLE, FIXTURES, ROOT, shared

runner = CliRunner()


def halves(folder: Path, into: Path) -> tuple[Path, Path]:
    """The files of ``folder`` in input order, the first half copied to ``into/a``, the rest
    to ``into/b``, at the same relative paths."""
    files = sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())
    parts = into / "a", into / "b"
    for n, name in enumerate(files):
        target = parts[n >= len(files) // 2] / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / name, target)
    return parts


def clean(inputs: Path | list[Path], out: Path, *against: Path) -> Path:
    options = cleaner.Options(against=tuple(map(str, against)))
    cleaner.clean(
        [str(p) for p in (inputs if isinstance(inputs, list) else [inputs])], out, options
    )
    return out


def corpus(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path)


def rejects(path: Path) -> pd.DataFrame:
    found = pd.read_parquet(rejects_path(path))
    return found.sort_values("doc_id").reset_index(drop=True)


def assert_same_corpus(got: Path, want: Path) -> None:
    pd.testing.assert_frame_equal(corpus(got), corpus(want))
    pd.testing.assert_frame_equal(rejects(got), rejects(want))


def test_second_half_against_the_first_then_merged_equals_one_run(tmp_path: Path) -> None:
    a, b = halves(FIXTURES, tmp_path)
    whole = clean([a, b], tmp_path / "whole.parquet")
    first = clean(a, tmp_path / "a.parquet")
    second = clean(b, tmp_path / "b.parquet", first)
    # the story scraped again lands in the second half and repeats one of the first
    dropped = rejects(second).set_index("doc_id")
    assert dropped.loc["b/008_kerry_resent.txt", "duplicate_of"] == f"a/{EXAMPLE}"
    kept = set(corpus(first).doc_id) | set(corpus(second).doc_id)
    assert kept == set(corpus(whole).doc_id)
    cleaner.merge([first, second], tmp_path / "all.parquet")
    assert_same_corpus(tmp_path / "all.parquet", whole)


def test_bbc_halves_cleaned_incrementally_and_merged_equal_one_run(tmp_path: Path) -> None:
    bbc = shared("bbc_news_fulltext", "bbc")
    a, b = halves(bbc, tmp_path)
    whole = clean([a, b], tmp_path / "whole.parquet")
    first = clean(a, tmp_path / "a.parquet")
    second = clean(b, tmp_path / "b.parquet", first)
    assert set(corpus(first).doc_id) | set(corpus(second).doc_id) == set(corpus(whole).doc_id)
    across = rejects(second)
    old = set(corpus(first).doc_id)
    assert across.duplicate_of.isin(old).sum() > 10  # copies of first-half stories
    cleaner.merge([first, second], tmp_path / "all.parquet")
    assert_same_corpus(tmp_path / "all.parquet", whole)


def test_days_reusing_file_names_clean_incrementally_and_merge_into_one_run_of_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's example, as scrapers leave the days: each day's files numbered from
    001, and Tuesday's 002 a re-scrape of Monday's 001."""
    days = {
        "mon": {"001.txt": EXAMPLE, "002.txt": "002_edited_repeat.txt"},
        "tue": {"001.txt": "001_rendering_lead.txt", "002.txt": "008_kerry_resent.txt"},
    }
    for day, files in days.items():
        (tmp_path / day).mkdir()
        for name, fixture in files.items():
            shutil.copyfile(FIXTURES / fixture, tmp_path / day / name)
    monkeypatch.chdir(tmp_path)
    for args in (
        ["clean", "mon", "-o", "mon.parquet"],
        ["clean", "tue", "--against", "mon.parquet", "-o", "tue.parquet"],
        ["merge", "mon.parquet", "tue.parquet", "-o", "all.parquet"],
        ["clean", "mon", "tue", "-o", "one.parquet"],
    ):
        result = runner.invoke(app, [*args, "-q"])
        assert result.exit_code == 0, (args, result.output)
    assert list(corpus(Path("all.parquet")).doc_id) == ["mon/001.txt", "mon/002.txt", "tue/001.txt"]
    assert rejects(Path("tue.parquet")).duplicate_of.tolist() == ["mon/001.txt"]
    assert_same_corpus(Path("all.parquet"), Path("one.parquet"))


def test_a_folder_is_named_alike_however_it_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mon").mkdir()
    shutil.copyfile(FIXTURES / EXAMPLE, tmp_path / "mon" / "001.txt")
    monkeypatch.chdir(tmp_path / "mon")
    for n, given in enumerate([".", "../mon/", str(tmp_path / "mon") + "/"]):
        result = runner.invoke(app, ["clean", given, "-o", f"../{n}.parquet", "-q"])
        assert result.exit_code == 0, result.output
        assert list(corpus(tmp_path / f"{n}.parquet").doc_id) == ["mon/001.txt"]


def test_corpora_that_do_not_compare_are_refused_with_exit_2(tmp_path: Path) -> None:
    first = clean(FIXTURES / EXAMPLE, tmp_path / "a.parquet")
    args = ["clean", str(FIXTURES), "-o", str(tmp_path / "b.parquet"), "--against", str(first)]
    result = runner.invoke(app, [*args, "--num-perm", "64"])
    assert result.exit_code == 2
    assert "num_perm 128 (here 64)" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(app, [*args, "--scope", "document"])
    assert (result.exit_code, "--scope corpus" in result.output) == (2, True)
    index = pq.read_table(index_path(first))
    cut = pa.array([s[:8] for s in index.column("signature").to_pylist()], pa.binary())
    pq.write_table(index.set_column(1, "signature", cut), index_path(first))
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "unreadable index a.index.parquet: index signatures are not 128" in result.output
    index_path(first).unlink()
    result = runner.invoke(app, args)
    assert (result.exit_code, "no index beside it" in result.output) == (2, True)
    assert not (tmp_path / "b.parquet").exists()
    result = runner.invoke(app, ["merge", str(first), "-o", str(tmp_path / "m.parquet")])
    assert (result.exit_code, "no index beside it" in result.output) == (2, True)


def test_a_rerun_on_the_same_inputs_writes_the_same_bytes(tmp_path: Path) -> None:
    runs = []
    for n in range(2):
        out = clean(FIXTURES, tmp_path / str(n) / "c.parquet")
        runs.append([p.read_bytes() for p in (out, rejects_path(out), index_path(out))])
    assert runs[0] == runs[1]


README_MAKEFILE = re.search(
    r"```make\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S
)


def make(folder: Path) -> subprocess.CompletedProcess[str]:
    """``make`` in ``folder`` with ``cleaner`` on the PATH, as the README's Quick start puts it."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {**os.environ, "PATH": path}
    env.pop("CLEANER", None)
    return subprocess.run(
        ["make", "-C", str(folder)], capture_output=True, text=True, timeout=300, env=env
    )


def built(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.glob("*.parquet")}


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_the_readme_makefile_builds_once_and_fails_cleanly(tmp_path: Path) -> None:
    assert README_MAKEFILE, "no make block in the README"
    (tmp_path / "Makefile").write_text(README_MAKEFILE.group(1), encoding="utf-8")
    (tmp_path / "corpus").mkdir()
    scrapes = tmp_path / "scrapes"
    halves(FIXTURES, scrapes)
    (scrapes / "a").rename(scrapes / "base")
    (scrapes / "b").rename(scrapes / "new")
    for day, story in (("base", "The council met on Monday"), ("new", "Rain fell on Tuesday")):
        (scrapes / day / "same.txt").write_text(f"{story}, and it was told at length.", "utf-8")
    corpus = tmp_path / "corpus"
    first = make(tmp_path)
    assert first.returncode == 0, first.stderr
    assert set(built(corpus)) >= {"base.parquet", "new.parquet", "all.parquet"}
    one_run = clean([scrapes / "base", scrapes / "new"], tmp_path / "w.parquet")
    assert_same_corpus(corpus / "all.parquet", one_run)
    assert {"base/same.txt", "new/same.txt"} <= set(pd.read_parquet(corpus / "all.parquet").doc_id)

    before = built(corpus)
    again = make(tmp_path)
    assert again.returncode == 0 and "cleaner" not in again.stdout
    assert built(corpus) == before

    # A file copied in with its old time (cp -p), then a file removed: each rebuilds the
    # corpora that depend on the folder, and only those.
    old = tmp_path / "scrapes" / "new" / "old.txt"
    old.write_text("An old story copied in late, told at enough length to stay.", "utf-8")
    os.utime(old, ns=(1_000_000_000, 1_000_000_000))
    for change in (lambda: None, old.unlink):
        change()
        before = built(corpus)
        rebuilt = make(tmp_path)
        assert rebuilt.returncode == 0, rebuilt.stderr
        after = built(corpus)
        assert after["base.parquet"] == before["base.parquet"]
        assert after["new.parquet"] != before["new.parquet"]
        assert after["all.parquet"] != before["all.parquet"]
        ids = set(pd.read_parquet(corpus / "all.parquet").doc_id)
        assert ("new/old.txt" in ids) == old.exists()

    # A run that fails (the base corpus lost its index) leaves the old target as it was.
    before = (tmp_path / "corpus" / "new.parquet").read_bytes()
    index_path(tmp_path / "corpus" / "base.parquet").unlink()
    (tmp_path / "scrapes" / "new" / "later.txt").write_text("A new story today.", "utf-8")
    failed = make(tmp_path)
    assert failed.returncode != 0 and "no index beside it" in failed.stderr
    assert (tmp_path / "corpus" / "new.parquet").read_bytes() == before
    assert not [p for p in (tmp_path / "corpus").iterdir() if p.name.endswith(".tmp")]
