"""The Dask engine: on a LocalCluster of real worker processes, the same output as the local
pool, byte for byte; a worker killed mid-run costs a retried task, not a different result; a
lost scheduler, Ctrl-C and SIGTERM end the run with one line and leave earlier output alone."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import dask
import pytest
from distributed import Scheduler

import cleaner
from cleaner import pieces, write
from cleaner.dask_engine import DaskEngine, dask_engine
from cleaner.deduplicate import DedupOptions
from cleaner.engine import AHEAD
from tests.conftest import FIXTURES, shared
from tests.packed import SUFFIXES, feed, pack
from tests.terminal import CLEANER, CTRL_C, SIGTERM, listing, stop_in_terminal
from tests.test_dataset import same_as_one_file
from tests.test_engine import fail_on_seven, slow_square, taken_ahead
from tests.test_interrupt import EXPECTED, LIMIT, generate_feeds


@pytest.fixture(scope="module")
def engine() -> Iterator[DaskEngine]:
    """A LocalCluster of 2 worker processes, as ``--engine dask -j 2`` starts."""
    with dask_engine(workers=2) as running:
        yield running


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated channel dumps and articles: a dozen batches, a few seconds of work."""
    return generate_feeds(
        tmp_path_factory.mktemp("news"), feeds=4, records=400, articles=300, seed=9
    )


def real_news() -> list[str]:
    """A few thousand real documents: BBC articles (small batches), Telegram dumps (large)."""
    bbc = shared("bbc_news_fulltext", "bbc")
    telegram = sorted(shared("russian_telegram_news_posts", "raw").glob("*.json"))[:3]
    return [str(bbc / "business"), str(bbc / "tech"), *map(str, telegram)]


def both(
    engine: DaskEngine, inputs: list[str], folder: Path, options: cleaner.Options
) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """What the local pool and the Dask engine write for the same run."""
    written = []
    for name, running in (("local", cleaner.LocalPool(2)), ("dask", engine)):
        (folder / name).mkdir()
        cleaner.clean(inputs, folder / name / "c.parquet", options, engine=running)
        written.append(listing(folder / name))
    return written[0], written[1]


SCOPES = [DedupOptions(scope="corpus"), DedupOptions(scope="document")]


@pytest.mark.parametrize("dedup", SCOPES, ids=["corpus", "document"])
def test_the_fixtures_come_out_byte_identical_on_dask(
    engine: DaskEngine, tmp_path: Path, dedup: DedupOptions
) -> None:
    local, on_dask = both(engine, [str(FIXTURES)], tmp_path, cleaner.Options(dedup=dedup))
    assert on_dask == local
    assert len(local) == 3


def test_compressed_dumps_cut_in_pieces_come_out_byte_identical_on_dask(
    engine: DaskEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "in").mkdir()
    for suffix in SUFFIXES:
        (tmp_path / "in" / f"feed.jsonl{suffix}").write_bytes(pack(suffix, feed(2000), 2))
    monkeypatch.setattr(pieces, "PIECE_BYTES", 10_000)
    local, on_dask = both(engine, [str(tmp_path / "in")], tmp_path, cleaner.Options())
    assert on_dask == local


@pytest.mark.parametrize(
    "dedup",
    [SCOPES[0], pytest.param(SCOPES[1], marks=pytest.mark.slow)],
    ids=["corpus", "document"],
)
def test_real_news_comes_out_byte_identical_on_dask(
    engine: DaskEngine, tmp_path: Path, dedup: DedupOptions
) -> None:
    local, on_dask = both(engine, real_news(), tmp_path, cleaner.Options(dedup=dedup))
    assert on_dask == local


@pytest.mark.parametrize("dedup", SCOPES, ids=["corpus", "document"])
def test_a_folder_written_on_dask_holds_the_local_pool_s_file_row_for_row(
    engine: DaskEngine, tmp_path: Path, dedup: DedupOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(write, "PART_ROWS", 500)  # a few parts, each from several batches
    options = cleaner.Options(dedup=dedup)
    inputs = real_news()
    cleaner.clean(inputs, tmp_path / "c.parquet", options, engine=cleaner.LocalPool(2))
    cleaner.clean(inputs, f"{tmp_path / 'dataset'}/", options, engine=engine)
    assert len(list((tmp_path / "dataset").glob("part-*.parquet"))) > 2
    same_as_one_file(tmp_path / "dataset", tmp_path / "c.parquet")


def test_against_an_earlier_corpus_comes_out_byte_identical_on_dask(
    engine: DaskEngine, tmp_path: Path
) -> None:
    inputs = real_news()
    earlier = tmp_path / "earlier.parquet"
    cleaner.clean(inputs[::2], earlier, engine=cleaner.LocalPool(2))
    options = cleaner.Options(against=(str(earlier),))
    local, on_dask = both(engine, inputs[1::2], tmp_path, options)
    assert on_dask == local


def test_corpora_cleaned_and_merged_on_dask_are_the_local_pool_s(
    engine: DaskEngine, tmp_path: Path
) -> None:
    inputs = real_news()
    merged = []
    for name, running in (("local", cleaner.LocalPool(2)), ("dask", engine)):
        halves = [tmp_path / f"{name}{n}.parquet" for n in range(2)]
        for half, part in zip(halves, (inputs[::2], inputs[1::2]), strict=True):
            cleaner.clean(part, half, engine=running)
        (tmp_path / name).mkdir()
        cleaner.merge(halves, tmp_path / name / "c.parquet", engine=running)
        merged.append(listing(tmp_path / name))
    assert merged[1] == merged[0]


def slow_cube(n: int) -> int:
    time.sleep(0.25)  # longer than a task is meant to last: one item a task
    return n**3


def test_results_come_in_input_order_and_a_bounded_number_of_tasks_per_thread_ahead(
    engine: DaskEngine,
) -> None:
    taken = 0
    items_count = AHEAD * engine.workers + 6

    def items() -> Iterator[int]:
        nonlocal taken
        for n in range(items_count):
            taken += 1
            yield n

    ahead = 0
    results = []
    for result in engine.map(slow_cube, items()):
        results.append(result)
        ahead = max(ahead, taken - len(results))
    assert results == [n**3 for n in range(items_count)]
    assert engine.workers <= ahead < AHEAD * engine.workers


def test_quick_items_go_to_the_cluster_many_to_a_task_and_come_back_in_order(
    engine: DaskEngine,
) -> None:
    before = engine.tasks
    results, _ = taken_ahead(engine, 300)
    assert results == [n * n for n in range(300)]
    assert engine.tasks - before < 300 / 4


@pytest.mark.slow
def test_workers_that_join_during_a_run_get_tasks_ahead_too() -> None:
    with dask_engine(workers=1) as engine:
        results = engine.map(slow_square, range(4000))
        assert next(results) == 0
        engine.client.cluster.scale(3)
        engine.client.wait_for_workers(3)
        time.sleep(1.5)  # the threads are counted again each second
        list(itertools.islice(results, 10))
        held = len(engine.client.run_on_scheduler(tasks_held_names))
        results.close()
    # AHEAD per thread, less the one just taken back (released by the scheduler soon after)
    assert held >= AHEAD * 3 - 1


def tasks_held_names(dask_scheduler: Scheduler) -> list[str]:
    return [str(key) for key in dask_scheduler.tasks]


def test_an_error_in_a_task_reaches_the_consumer_in_its_turn(engine: DaskEngine) -> None:
    results = []
    with pytest.raises(ValueError, match="seven"):
        results.extend(engine.map(fail_on_seven, range(20)))
    assert results == list(range(7))


def sleep_unless_zero(n: int) -> int:
    time.sleep(2 if n else 0)
    return n


def test_a_consumer_that_stops_early_has_its_tasks_cancelled(engine: DaskEngine) -> None:
    results = engine.map(sleep_unless_zero, range(6))
    assert next(results) == 0
    results.close()
    # Released on the scheduler, running or not: a task already running finishes in its
    # thread (Dask cannot stop a thread), its result dropped.
    deadline = time.monotonic() + 1
    while engine.client.run_on_scheduler(tasks_held):
        assert time.monotonic() < deadline
        time.sleep(0.01)


def tasks_held(dask_scheduler: Scheduler) -> int:
    return len(dask_scheduler.tasks)


def test_a_worker_killed_in_the_middle_of_a_run_costs_a_retried_task_not_a_result(
    engine: DaskEngine, news: Path, tmp_path: Path
) -> None:
    inputs = [str(news / "feeds"), str(news / "articles")]
    cleaner.clean(inputs, tmp_path / "local.parquet", engine=cleaner.LocalPool(2))
    pids: dict[str, int] = engine.client.run(os.getpid)
    killed: list[str] = []

    def kill_a_worker_with_a_task_in_hand() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            busy = [worker for worker, keys in engine.client.processing().items() if keys]
            if busy:
                os.kill(pids[busy[0]], signal.SIGKILL)
                killed.append(busy[0])
                return
            time.sleep(0.005)

    killer = threading.Thread(target=kill_a_worker_with_a_task_in_hand)
    killer.start()
    cleaner.clean(inputs, tmp_path / "dask.parquet", engine=engine)
    killer.join()
    local = {n.replace("local", "c"): b for n, b in listing(tmp_path).items() if "local" in n}
    on_dask = {n.replace("dask", "c"): b for n, b in listing(tmp_path).items() if "dask" in n}
    assert killed and on_dask == local
    assert pids[killed[0]] not in engine.client.run(os.getpid).values()


def die(n: int) -> int:
    os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer does
    return n


@pytest.mark.slow
def test_a_task_that_kills_every_worker_it_runs_on_is_a_worker_lost() -> None:
    # One death allowed: each costs a worker's restart, seconds on a busy machine.
    one_death = dask.config.set({"distributed.scheduler.allowed-failures": 1})
    lost = pytest.raises(cleaner.WorkerLost, match="a task killed its Dask worker 2 times")
    with one_death, dask_engine(workers=1) as engine, lost:
        list(engine.map(die, range(2)))


@pytest.fixture
def scheduler(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A scheduler and two single-thread workers started as a user starts them, apart; each
    command in a session of its own, so that the teardown kills its workers with it."""
    dask_cli = str(Path(sys.executable).parent / "dask")
    address_file = tmp_path / "scheduler.json"
    apart: dict[str, Any] = {
        "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True
    }  # fmt: skip
    started = [
        subprocess.Popen(
            [dask_cli, "scheduler", "--host", "127.0.0.1", "--port", "0",
             "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(address_file)],
            **apart,
        )
    ]  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not address_file.exists():
            assert started[0].poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.2)  # written, then filled
        started.append(
            subprocess.Popen(
                [dask_cli, "worker", "--scheduler-file", str(address_file),
                 "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
                **apart,
            )
        )  # fmt: skip
        yield json.loads(address_file.read_text())["address"], started[0]
    finally:
        for process in started:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_a_lost_scheduler_ends_the_run_with_one_line_and_no_output(
    scheduler: tuple[str, subprocess.Popen[bytes]], news: Path, tmp_path: Path
) -> None:
    address, process = scheduler
    out = tmp_path / "out"
    out.mkdir()
    run = subprocess.Popen(
        [*CLEANER, "clean", str(news), "-o", str(out / "c.parquet"), "--scheduler", address],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not any(path.name.endswith(".tmp") for path in out.iterdir()):
        assert run.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    process.kill()
    _, stderr = run.communicate(timeout=30)
    assert run.returncode == 1
    lines = stderr.decode().splitlines()
    assert lines == [f"error: lost the Dask scheduler at {address}; earlier output left as it was"]
    assert listing(out) == {}


@pytest.mark.parametrize(
    ("stop", "at"), [(CTRL_C, 0.3), pytest.param(SIGTERM, 0.6, marks=pytest.mark.slow)]
)
def test_a_run_on_a_local_cluster_stopped_from_a_terminal_exits_at_once(
    news: Path, tmp_path: Path, stop: str, at: float
) -> None:
    cleaner.clean([str(FIXTURES)], tmp_path / "c.parquet")
    before = listing(tmp_path)
    arguments = ["clean", str(news), "-o", str(tmp_path / "c.parquet"), "--engine", "dask"]
    writing = lambda: any(p.name.endswith(".tmp") for p in tmp_path.iterdir())  # noqa: E731
    result = stop_in_terminal([*arguments, "-j", "2"], writing, [(at, stop)])
    assert (result.status, result.last_line) == EXPECTED[stop], result.screen
    assert "Traceback" not in result.screen
    assert result.took is not None and result.took < LIMIT
    assert not result.group_outlived
    assert listing(tmp_path) == before


def children_of(marker: str) -> bool:
    """Whether a process running a command that names ``marker`` has a child: the first
    worker of the local cluster that the run is starting (forked or spawned)."""
    runs, parents = set(), []
    for entry in Path("/proc").iterdir():
        with suppress(OSError, ValueError, IndexError):
            if marker.encode() in (entry / "cmdline").read_bytes():
                runs.add(int(entry.name))
            stat = (entry / "stat").read_text()
            parents.append(int(stat.rpartition(")")[2].split()[1]))
    return any(parent in runs for parent in parents)


def test_a_ctrl_c_while_the_local_cluster_starts_ends_the_run(news: Path, tmp_path: Path) -> None:
    cleaner.clean([str(FIXTURES)], tmp_path / "c.parquet")
    before = listing(tmp_path)
    out = str(tmp_path / "c.parquet")
    arguments = ["clean", str(news), "-o", out, "--engine", "dask", "-j", "2"]
    result = stop_in_terminal(arguments, lambda: children_of(out), [(0.0, CTRL_C)])
    assert (result.status, result.last_line) == EXPECTED[CTRL_C], result.screen
    assert "Traceback" not in result.screen
    assert result.took is not None and result.took < LIMIT
    assert not result.group_outlived
    assert listing(tmp_path) == before
