"""Crash safety: a run that is killed, interrupted or terminated never damages earlier output.

Every test here runs ``python -m cleaner clean`` as a real process, over an output path that
already holds a corpus from an earlier run, and stops it while it works.
"""

from __future__ import annotations

import fcntl
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

import cleaner
from cleaner.formats import rejects_path
from tests.conftest import FIXTURES
from tests.hostile import build_news
from tests.terminal import group_ends

CLEAN = [sys.executable, "-m", "cleaner", "clean"]


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def outputs(out: Path) -> tuple[bytes, bytes]:
    return out.read_bytes(), rejects_path(out).read_bytes()


def wait_for_temp_files(process: subprocess.Popen[bytes], folder: Path) -> None:
    """Return once the run has opened its output (its temporary files exist)."""
    deadline = time.monotonic() + 60
    while not temp_files(folder):
        assert process.poll() is None, "the run ended before it started writing"
        assert time.monotonic() < deadline
        time.sleep(0.01)


# --- Ctrl-C and SIGTERM ------------------------------------------------------------------------


def _ctrl_c_as_in_a_terminal() -> None:
    # A shell starts background jobs with SIGINT ignored, and children inherit that (Python
    # then installs no KeyboardInterrupt handler): a suite started with "&" would test
    # nothing. In a terminal's foreground job SIGINT has its default action.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="module")
def heavy_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Articles, after two documents that keep a worker busy for many seconds each."""
    return build_news(tmp_path_factory.mktemp("heavy"), files=300, seed=3, heavy_documents=2)


@pytest.mark.parametrize(
    ("workers", "whole_group", "sent", "status"),
    [
        pytest.param("1", False, signal.SIGINT, 130, id="one-worker-sigint"),
        pytest.param("2", False, signal.SIGINT, 130, id="pool-sigint-to-the-parent"),
        pytest.param("2", True, signal.SIGINT, 130, id="pool-ctrl-c-to-the-process-group"),
        pytest.param("2", True, signal.SIGTERM, 143, id="pool-sigterm-to-the-process-group"),
    ],
)
def test_an_interrupted_run_stops_at_once_and_leaves_everything_as_it_was(
    tmp_path: Path,
    heavy_input: Path,
    workers: str,
    whole_group: bool,
    sent: signal.Signals,
    status: int,
) -> None:
    out = tmp_path / "c.parquet"
    cleaner.clean([str(FIXTURES)], out)
    before = outputs(out)
    process = subprocess.Popen(
        [*CLEAN, str(heavy_input), "-o", str(out), "-j", workers],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal gives a foreground job
        preexec_fn=_ctrl_c_as_in_a_terminal,
    )
    with killed_if_left(process):
        wait_for_temp_files(process, tmp_path)
        time.sleep(1.0)  # into the heavy documents, which take many seconds more
        sent_at = time.monotonic()
        if whole_group:
            os.killpg(process.pid, sent)
        else:
            process.send_signal(sent)
        _, stderr = process.communicate(timeout=120)
        took = time.monotonic() - sent_at
        assert group_ends(process.pid), "a worker outlived the run"
    assert process.returncode == status, stderr.decode()
    assert took < 10, f"took {took:.1f} s to stop"  # waiting for the workers: 30 s or more
    message = stderr.decode().strip()
    assert message.count("\n") == 0 and message.startswith("error: "), message
    assert "earlier output left as it was" in message
    assert temp_files(tmp_path) == []
    assert outputs(out) == before


@contextmanager
def killed_if_left(process: subprocess.Popen[bytes]) -> Iterator[None]:
    """Whatever the test finds, leave no process of the run behind."""
    try:
        yield
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


# --- SIGKILL ----------------------------------------------------------------------------------


def test_workers_of_a_killed_run_exit_by_themselves(tmp_path: Path, heavy_input: Path) -> None:
    process = subprocess.Popen(
        [*CLEAN, str(heavy_input), "-o", str(tmp_path / "c.parquet"), "-j", "2"],
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    with killed_if_left(process):
        wait_for_temp_files(process, tmp_path)
        time.sleep(0.5)
        process.kill()  # the parent only, as the out-of-memory killer would
        process.wait()
        assert group_ends(process.pid), "orphaned workers are still running"


def test_a_worker_killed_outright_fails_the_run_in_one_line(
    tmp_path: Path, heavy_input: Path
) -> None:
    out = tmp_path / "c.parquet"
    cleaner.clean([str(FIXTURES)], out)
    before = outputs(out)
    process = subprocess.Popen(
        [*CLEAN, str(heavy_input), "-o", str(out), "-j", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    with killed_if_left(process):
        wait_for_temp_files(process, tmp_path)
        os.kill(workers_of(process.pid)[0], signal.SIGKILL)  # as the out-of-memory killer would
        _, stderr = process.communicate(timeout=60)
        assert group_ends(process.pid), "a worker outlived the run"
    assert process.returncode == 1
    message = stderr.decode().strip()
    assert message.count("\n") == 0 and message.startswith("error: "), message
    assert "a worker process died (killed by SIGKILL" in message
    assert temp_files(tmp_path) == []
    assert outputs(out) == before


def workers_of(pid: int) -> list[int]:
    """The child processes of a run, once it has started them."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    deadline = time.monotonic() + 30
    while not children.read_text().split():
        assert time.monotonic() < deadline, "the run started no worker"
        time.sleep(0.01)
    return [int(child) for child in children.read_text().split()]


@dataclass
class Expected:
    """An input folder and the exact output a complete run over it gives."""

    folder: Path
    corpus: bytes
    rejects: bytes


@pytest.fixture(scope="module")
def two_inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Expected, Expected, float]:
    """Two different inputs, their outputs, and how long a complete run takes."""
    made = []
    took = 0.0
    for seed in (1, 2):
        folder = build_news(tmp_path_factory.mktemp(f"news{seed}"), files=2500, seed=seed)
        out = tmp_path_factory.mktemp(f"reference{seed}") / "c.parquet"
        started = time.monotonic()
        subprocess.run([*CLEAN, str(folder), "-o", str(out), "-q", "-j", "2"], check=True)
        took = max(took, time.monotonic() - started)
        made.append(Expected(folder, *outputs(out)))
    return made[0], made[1], took


def kill_at_random_points(
    out: Path, inputs: tuple[Expected, Expected], run_seconds: float, kills: int, seed: int
) -> Iterator[str]:
    """SIGKILL runs over ``out`` at seeded random moments; after each, check and re-run.

    Yields, per kill, when it landed: ``before`` the new corpus was in place (the previous one
    must be intact) or ``after`` it (the new one must be complete). The first kill lands while
    the run is writing (its temporary files exist), whatever the machine's speed, so that at
    least one kill is known to land before the rename.
    """
    rng = random.Random(seed)
    current, other = inputs
    for n in range(kills):
        # Every other kill aims at the end of the run, where the files are renamed into place.
        moment = rng.uniform(0.0, 1.0) if n % 2 == 0 else rng.uniform(0.7, 1.1)
        process = subprocess.Popen(
            [*CLEAN, str(other.folder), "-o", str(out), "-q", "-j", "2"],
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        if n == 0:
            deadline = time.monotonic() + 10 * run_seconds
            while not temp_files(out.parent) and time.monotonic() < deadline:
                time.sleep(0.01)
        else:
            time.sleep(moment * run_seconds)
        if process.poll() is not None:
            # Runs go faster than the reference when the machine is less busy than it was:
            # aim the next kills within the time this one took at most.
            run_seconds = min(run_seconds, moment * run_seconds)
            yield "finished"
        else:
            os.killpg(process.pid, signal.SIGKILL)  # the workers too, as the OOM killer might
            process.wait()
            corpus, rejects = outputs(out)
            assert corpus in (current.corpus, other.corpus)
            if corpus == other.corpus:
                assert rejects == other.rejects  # renamed first
                yield "after"
            else:
                assert rejects in (current.rejects, other.rejects)  # the rename in between
                yield "before"
            assert len(pd.read_parquet(out)) > 0
            # this kill's (corpus, rejects, index, staging folder); earlier ones were swept
            assert len(temp_files(out.parent)) <= 4
        rerun = subprocess.run([*CLEAN, str(other.folder), "-o", str(out), "-q", "-j", "2"])
        assert rerun.returncode == 0
        assert outputs(out) == (other.corpus, other.rejects)
        assert temp_files(out.parent) == []
        current, other = other, current


def _killed_runs(
    tmp_path: Path, two_inputs: tuple[Expected, Expected, float], kills: int, seed: int
) -> dict[str, int]:
    first, second, run_seconds = two_inputs
    out = tmp_path / "c.parquet"
    subprocess.run([*CLEAN, str(first.folder), "-o", str(out), "-q"], check=True)
    landed = {"before": 0, "after": 0, "finished": 0}
    for outcome in kill_at_random_points(out, (first, second), run_seconds, kills, seed):
        landed[outcome] += 1
    return landed


def test_a_few_kills_never_damage_the_previous_corpus(
    tmp_path: Path, two_inputs: tuple[Expected, Expected, float]
) -> None:
    landed = _killed_runs(tmp_path, two_inputs, kills=2, seed=11)
    assert landed["before"] >= 1


@pytest.mark.slow
def test_many_kills_never_damage_the_previous_corpus(
    tmp_path: Path,
    two_inputs: tuple[Expected, Expected, float],
    capsys: pytest.CaptureFixture[str],
) -> None:
    landed = _killed_runs(tmp_path, two_inputs, kills=40, seed=2024)
    with capsys.disabled():
        print(f"\nSIGKILL: {sum(landed.values())} runs, {landed}")
    assert landed["before"] >= 10


# --- Temporary files left by killed runs -------------------------------------------------------


def test_a_run_removes_temporary_files_that_killed_runs_left_and_no_others(
    tmp_path: Path,
) -> None:
    out = tmp_path / "c.parquet"
    stale = [tmp_path / ".c.parquet.k1ll3d00.tmp", tmp_path / ".c.rejects.parquet.k1ll3d00.tmp"]
    live = tmp_path / ".c.parquet.l1ve0000.tmp"
    fresh = tmp_path / ".c.parquet.fr35h000.tmp"
    unrelated = tmp_path / ".other.parquet.k1ll3d00.tmp"
    long_ago = time.time() - 3600
    for path in [*stale, live, unrelated]:
        path.write_bytes(b"PAR1 half a file")
        os.utime(path, (long_ago, long_ago))
    fresh.write_bytes(b"")
    os.utime(fresh, (time.time() + 3600, time.time() + 3600))  # created after the run began
    with live.open("rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as a run that is still writing holds it
        cleaner.clean([str(FIXTURES)], out)
        left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [
        ".c.parquet.fr35h000.tmp",
        ".c.parquet.l1ve0000.tmp",
        ".other.parquet.k1ll3d00.tmp",
        "c.index.parquet",
        "c.parquet",
        "c.rejects.parquet",
    ]
