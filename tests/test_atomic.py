"""A stop that lands while a run makes its temporary files leaves none of them behind."""

from __future__ import annotations

import os
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cleaner import atomic
from cleaner.write import CorpusWriter


def stopping_at(call: int, make: Callable[..., Any]) -> Callable[..., Any]:
    """``make`` that sends this process a SIGINT just after its ``call``-th call made its file:
    the Ctrl-C of a terminal landing at that moment."""
    calls = 0

    def made(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        result = make(*args, **kwargs)
        calls += 1
        if calls == call:
            os.kill(os.getpid(), signal.SIGINT)
        return result

    return made


def with_corpus_writer(target: Path) -> None:
    with CorpusWriter(target, {"options": {}}):
        pass


def with_staging(target: Path) -> None:
    with atomic.Staging(target):
        pass


def locked_temp(target: Path) -> None:
    atomic.LockedTemp(target).release()


@pytest.mark.parametrize(
    ("run", "maker", "call", "output"),
    [
        (locked_temp, "mkstemp", 1, "c.parquet"),
        (with_staging, "mkdtemp", 1, "c.parquet"),
        (with_corpus_writer, "mkstemp", 1, "c.parquet"),  # the rejects
        (with_corpus_writer, "mkstemp", 3, "c.parquet"),  # the corpus, the last of the three
        (with_corpus_writer, "mkstemp", 3, "new/folder/c.parquet"),  # the folders it made go
    ],
)
def test_a_stop_while_a_temporary_file_is_made_leaves_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    run: Callable[[Path], None],
    maker: str,
    call: int,
    output: str,
) -> None:
    monkeypatch.setattr(tempfile, maker, stopping_at(call, getattr(tempfile, maker)))
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / output)
    assert list(tmp_path.iterdir()) == []


def test_without_a_stop_the_same_calls_leave_the_outputs(tmp_path: Path) -> None:
    with_corpus_writer(tmp_path / "c.parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "c.index.parquet",
        "c.parquet",
        "c.rejects.parquet",
    ]


def test_the_staging_folder_goes_although_a_worker_writes_into_it_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Dask task cancelled by a stop still runs to its end: its last file can land in the
    staging folder after the removal listed it, and the folder stayed (a slow test's SIGTERM
    during a LocalCluster run left one). Here a file arrives just before each of the first
    two times the folder itself is removed."""
    real_rmdir = os.rmdir
    arrivals = []

    def rmdir(path: Any, *args: Any, **kwargs: Any) -> None:
        if str(path).endswith(".staging.tmp") and len(arrivals) < 2:
            arrivals.append(path)
            (Path(path) / f"rows-{len(arrivals)}.arrow").write_bytes(b"late")
        real_rmdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "rmdir", rmdir)
    with atomic.Staging(tmp_path / "c.parquet") as staging:
        (staging.path / "rows-0.arrow").write_bytes(b"rows")
    assert len(arrivals) == 2
    assert list(tmp_path.iterdir()) == []
