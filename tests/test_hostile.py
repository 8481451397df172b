"""A folder of every kind of damage: the run completes and accounts for every input.

The folder is built by :func:`tests.hostile.build_hostile` in a temporary place: a small one
for the default suite (limits lowered so that the large cases stay small), the full-size one
(a 200 MB file without a newline, 50,000 tiny files, a gzip that expands past the default
limit) for ``make test-slow``, which also measures peak memory.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import cleaner
from cleaner.formats import rejects_path
from tests.conftest import cases
from tests.hostile import (
    DOCUMENT,
    FEED,
    Hostile,
    build_hostile,
    measured,
    permission_guard,
    permissions_can_be_enforced,
    remove_deep,
    write_cases,
)

MiB = 1024 * 1024
ENFORCED = permissions_can_be_enforced()  # False only as root without CAP_SETPCAP
SMALL = {  # limits passed as options, so that each is hit cheaply
    "tiny_files": 300,
    "long_line_bytes": 2 * MiB,
    "bomb_bytes": 3 * MiB,
    "max_file_bytes": 4 * MiB,
    "max_paragraphs": 500,
}
SMALL_LIMITS = ["--max-file-bytes", str(4 * MiB), "--max-decompressed-bytes", str(2 * MiB)]
SMALL_LIMITS += ["--max-paragraphs", "500"]
FULL = {  # the default limits
    "tiny_files": 50_000,
    "long_line_bytes": 200 * 1000 * 1000,
    "bomb_bytes": 300 * MiB,
    "max_file_bytes": 256 * MiB,
    "max_paragraphs": 1000,
}
PEAK_RSS_BOUND_KIB = 6 * 1024 * 1024


def run(hostile: Hostile, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "cleaner", "clean", str(hostile.root), "-o", str(out)]
    return subprocess.run(
        measured([*command, *args]),
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        preexec_fn=permission_guard() if ENFORCED else None,
        timeout=1800,
    )


def outcomes(out: Path) -> tuple[dict[str, str], set[str]]:
    """What became of each doc_id (``document`` or the reject reason), and every source."""
    corpus = pd.read_parquet(out, columns=["doc_id", "source"])
    rejects = pd.read_parquet(rejects_path(out), columns=["doc_id", "source", "reason"])
    got = dict.fromkeys(corpus.doc_id, DOCUMENT)
    got.update(zip(rejects.doc_id, rejects.reason, strict=True))
    # Read whole and de-duplicated away: the same text under other names or encodings.
    got.update((doc_id, DOCUMENT) for doc_id, why in got.items() if why == "duplicate_document")
    assert len(got) == len(corpus) + len(rejects), "a doc_id appears twice"
    return got, set(corpus.source) | set(rejects.source)


def summary_count(stderr: str, row: str) -> int:
    found = re.search(rf"{re.escape(row)}\D*([\d,]+)", stderr)
    assert found, stderr
    return int(found.group(1).replace(",", ""))


def assert_everything_accounted_for(hostile: Hostile, out: Path, stderr: str) -> None:
    got, sources = outcomes(out)
    wrong = {n: (want, got.get(n)) for n, want in hostile.expected.items() if got.get(n) != want}
    assert not wrong, wrong
    names = {n.split("#")[0] for n in hostile.expected} | hostile.unsure
    assert sources == names  # every input read is in the corpus or the rejects, nothing else
    assert summary_count(stderr, "files of other formats") == hostile.skipped
    assert summary_count(stderr, "files read") == len(names)
    assert "Traceback" not in stderr


def tidy(hostile: Hostile) -> None:
    for path in (hostile.root / "locked", hostile.root / "locked" / "folder"):
        path.chmod(0o755)
    if hostile.deep is not None:
        remove_deep(hostile.deep)  # pytest's own clean-up would overflow the stack on it


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    hostile = build_hostile(
        tmp_path_factory.mktemp("hostile") / "in", **SMALL, permissions_enforced=ENFORCED
    )
    yield hostile
    tidy(hostile)


def test_a_hostile_folder_is_cleaned_and_every_input_accounted_for(
    small: Hostile, tmp_path: Path
) -> None:
    out = tmp_path / "c.parquet"
    result = run(small, out, *SMALL_LIMITS, "-j", "2")
    assert result.returncode == 0, result.stderr
    assert_everything_accounted_for(small, out, result.stderr)
    assert len(small.kinds) >= 15


def test_strict_makes_the_same_run_exit_1(small: Hostile, tmp_path: Path) -> None:
    result = run(small, tmp_path / "c.parquet", *SMALL_LIMITS, "-j", "1", "--strict", "-q")
    assert result.returncode == 1
    (error,) = [line for line in result.stderr.splitlines() if not line.startswith("peak_rss")]
    assert error.startswith("error: ") and "rejected (--strict)" in error


def test_odd_file_names_are_stored_readably(small: Hostile, tmp_path: Path) -> None:
    out = tmp_path / "c.parquet"
    result = run(small, out, *SMALL_LIMITS)
    ids = outcomes(out)[0].keys()
    odd = {"in/names/bad\\xffbyte.txt", "in/names/latin1 caf\\xe9.txt", "in/names/new\nline.txt"}
    assert odd <= ids
    assert "in/json/feed.jsonl#\\ud800" in ids  # an id spelling a lone surrogate
    assert result.returncode == 0, result.stderr
    assert outcomes(out)[0]["in/names/skip\nme.docx"] == "unsupported"


@pytest.fixture(scope="module")
def case_outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """What became of each input of the hostile cases in tests/cases, cleaned on their own."""
    hostile = Hostile(tmp_path_factory.mktemp("cases") / "in")
    write_cases(hostile)
    out = hostile.root.parent / "c.parquet"
    cleaner.clean([str(hostile.root)], out)
    return outcomes(out)[0]


@pytest.mark.parametrize("case", cases("hostile_files.json"))
def test_a_damaged_file_ends_where_it_must(
    case: dict[str, Any], case_outcomes: dict[str, str]
) -> None:
    assert case_outcomes[f"in/{case['name']}"] == case["outcome"]


@pytest.mark.parametrize("case", cases("hostile_json_lines.json"))
def test_a_broken_json_line_ends_where_it_must(
    case: dict[str, Any], case_outcomes: dict[str, str]
) -> None:
    assert case_outcomes[f"in/{FEED}#{case['key']}"] == case["outcome"]


@pytest.mark.slow
def test_a_full_size_hostile_folder_within_bounded_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = build_hostile(tmp_path / "in", **FULL, permissions_enforced=ENFORCED)
    try:
        out = tmp_path / "c.parquet"
        result = run(hostile, out)  # default limits and workers
        assert result.returncode == 0, result.stderr
        assert_everything_accounted_for(hostile, out, result.stderr)
        peak = int(re.findall(r"peak_rss_kib=(\d+)", result.stderr)[-1])
        seconds = re.search(r"seconds\D*([\d.]+)", result.stderr)
        with capsys.disabled():
            print(
                f"\nhostile folder: {hostile.files:,} inputs tried, {len(hostile.kinds)} kinds "
                f"of damage, peak RSS of the largest process {peak / 1024:.0f} MiB, "
                f"{seconds.group(1) if seconds else '?'} s\nkinds: {'; '.join(hostile.kinds)}"
            )
        assert peak < PEAK_RSS_BOUND_KIB
    finally:
        tidy(hostile)
