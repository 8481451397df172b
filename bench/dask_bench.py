"""`make bench-dask`: the same workload on the local pool and on Dask, same output, how fast.

Builds bench/workload.py's workload of real news (``--mb``; by default 40 MB, one round of its
corpora) and cleans it with ``cleaner clean`` (``--scope corpus``), each run a process of its
own:

- ``-j 2``: the local pool, the reference output;
- ``--engine dask -j 2``: a LocalCluster of 2 worker processes started by the run, as a user
  runs it (its start-up counts);
- ``--scheduler`` on a LocalCluster already running, of 1 worker and of 2 (started by this
  script): the speed-up from 1 to 2 Dask workers, the client's peak memory
  (the run's process holds no worker there) and each worker's, asked of the workers after
  the run; once more on 2 workers with ``--scope document``, where there is no corpus-wide
  pass, and on the fixtures, where the client holds next to nothing (its fixed cost: Python,
  Arrow, Dask). Peaks are VmHWM, each process's own.

These four run ``--rounds`` times (3 by default), back to back in each round, and the figures
are medians of rounds, because this machine's speed drifts between runs. Every run's three
files must be byte for byte the local pool's; it prints wall times, the Dask/local ratios,
the speed-up and the memory figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import shared_data
from bench.workload import SEED, build_workload
from cleaner.dask_engine import DaskEngine, dask_engine
from cleaner.formats import output_paths

MiB = 1024 * 1024
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "news"


@dataclass
class Run:
    seconds: float
    peak_mb: float  # the run's own process: the client, or the writer beside a local pool
    summary: dict[str, Any]
    files: dict[str, str]  # output file -> its SHA-256


# ``cleaner clean`` that leaves its /proc/self/status in a file as it exits: its VmHWM is its
# own peak. (ru_maxrss is no use here: Linux keeps it across exec, so a process spawned from
# this one would report this one's size, and waiting for workers folds theirs in.)
_REPORTING = (
    "import atexit, sys; status = sys.argv.pop(1); sys.argv[0] = 'cleaner';"
    "atexit.register(lambda: open(status, 'w').write(open('/proc/self/status').read()));"
    "from cleaner.cli import main; main()"
)


def run(shards: Sequence[Path], out: Path, *options: str) -> Run:
    """``cleaner clean SHARDS -o OUT OPTIONS --json``: wall time, peak RSS, summary, output."""
    status = out.with_suffix(".status")
    command = [sys.executable, "-c", _REPORTING, str(status), "clean", *map(str, shards)]
    command += ["-o", str(out), "--json", *options]
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed with status {done.returncode}")
    files = {
        path.name.replace(out.stem, "c"): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in output_paths(out)
    }
    return Run(seconds, peak_mb(status.read_text()), json.loads(done.stdout), files)


def peak_mb(status: str) -> float:
    """VmHWM, a process's peak resident memory, from the text of its /proc/PID/status."""
    return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1)) / 1024  # type: ignore[union-attr]


def own_peak_mb() -> float:
    return peak_mb(Path("/proc/self/status").read_text())


def worker_peaks(engine: DaskEngine) -> list[float]:
    """Each worker's peak RSS so far, in MB."""
    peaks: dict[str, float] = engine.client.run(own_peak_mb)
    return sorted(peaks.values())


def against(runs: Sequence[Run], others: Sequence[Run]) -> list[float]:
    """Each round's wall time of ``runs`` over that of ``others``."""
    return [run.seconds / other.seconds for run, other in zip(runs, others, strict=True)]


def median(values: Sequence[float]) -> float:
    return sorted(values)[len(values) // 2]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=40.0, help="workload size (default 40)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the timed runs")
    args = parser.parse_args(argv)
    if not shared_data.available():
        print(f"make bench-dask: skipped, {shared_data.missing_message()}")
        return 0
    work = Path(tempfile.mkdtemp(prefix="cleaner-dask-bench-"))
    timed: dict[str, list[Run]] = {name: [] for name in ("local", "started", "one", "two")}
    try:
        n_files, n_bytes = build_workload(work / "news", args.mb, args.seed)
        shards = sorted((work / "news").iterdir())
        print(f"workload: {n_files:,} files, {n_bytes / 1e6:.1f} MB; load {os.getloadavg()[0]:.1f}")
        with dask_engine(workers=1) as one, dask_engine(workers=2) as two:
            # Each round runs every contender back to back, so that the machine's drift
            # falls on all of them; the ratios are medians of rounds.
            for _ in range(max(1, args.rounds)):
                timed["local"].append(run(shards, work / "local.parquet", "-j", "2"))
                started = run(shards, work / "dask.parquet", "--engine", "dask", "-j", "2")
                timed["started"].append(started)
                for name, engine in (("one", one), ("two", two)):
                    out = work / f"{name}.parquet"
                    timed[name].append(run(shards, out, "--scheduler", engine.address))
            one_peaks, two_peaks = worker_peaks(one), worker_peaks(two)
        with dask_engine(workers=2) as fresh:
            batches = run(shards, work / "doc.parquet", "--scheduler", fresh.address,
                          "--scope", "document")  # fmt: skip
            batch_peaks = worker_peaks(fresh)
            idle = run([FIXTURES], work / "fixtures.parquet", "--scheduler", fresh.address)
        local_doc = run(shards, work / "local-doc.parquet", "-j", "2", "--scope", "document")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    reference = timed["local"][0].files
    same = all(r.files == reference for runs in timed.values() for r in runs)
    same_doc = batches.files == local_doc.files
    seconds = {name: median([r.seconds for r in runs]) for name, runs in timed.items()}
    ratios = {name: against(timed[name], timed["local"]) for name in ("started", "two")}
    one_run, two_run = timed["one"][0], timed["two"][0]
    documents = one_run.summary["documents"]["in"]
    index = one_run.summary["index_bytes"]
    rows = [
        ("local pool, -j 2", seconds["local"], timed["local"][0], "writer"),
        ("--engine dask -j 2 (starts its cluster)", seconds["started"], timed["started"][0],
         "client"),
        ("--scheduler, 1 Dask worker", seconds["one"], one_run, "client"),
        ("--scheduler, 2 Dask workers", seconds["two"], two_run, "client"),
        ("--scheduler, 2 workers, --scope document", batches.seconds, batches, "client"),
        ("the same on fixtures/news (26 documents)", idle.seconds, idle, "client"),
    ]  # fmt: skip
    print(f"{'run (median of rounds)':<44} {'seconds':>8} {'MB/s':>6} {'peak RSS':>10}")
    for name, wall, done, whose in rows:
        rate = done.summary["bytes_in"] / 1e6 / wall
        print(f"{name:<44} {wall:8.1f} {rate:6.2f} {done.peak_mb:7.0f} MB ({whose})")
    print(f"workers' peak RSS: 1 worker {one_peaks[0]:.0f} MB; 2 workers "
          f"{' and '.join(f'{p:.0f}' for p in two_peaks)} MB; --scope document "
          f"{' and '.join(f'{p:.0f}' for p in batch_peaks)} MB")  # fmt: skip
    for name, what in (("started", "with the cluster's start-up"), ("two", "on a running cluster")):
        spread = f"{min(ratios[name]):.2f}x to {max(ratios[name]):.2f}x"
        print(
            f"Dask/local wall time {what}: {median(ratios[name]):.2f}x ({spread}; target <= 1.3x)"
        )
    speedups = against(timed["one"], timed["two"])
    print(f"speed-up from 1 to 2 Dask workers: {median(speedups):.2f}x "
          f"({min(speedups):.2f}x to {max(speedups):.2f}x)")  # fmt: skip
    print(f"index (on disk while the pass runs): {index / documents:.0f} bytes per document "
          f"({documents:,} documents, {index / MiB:.1f} MiB)")  # fmt: skip
    # Stage seconds are summed over workers: the per-batch work is the same whatever their
    # number, and --scope corpus adds the corpus-wide pass's steps to deduplicate.
    stages = dict(one_run.summary["seconds_by_stage"])
    corpus_pass = stages["deduplicate"] - batches.summary["seconds_by_stage"]["deduplicate"]
    stages["deduplicate"] -= corpus_pass
    per_document = sum(t for stage, t in stages.items() if stage != "write")
    rates = ", ".join(f"{stage} {n_bytes / 1e6 / t:.1f}" for stage, t in stages.items() if t)
    print(f"one worker, per-document stages: {n_bytes / 1e6 / per_document:.2f} MB/s, "
          f"{documents / per_document:,.0f} documents/s (by stage, MB/s: {rates})")  # fmt: skip
    print(f"corpus-wide pass (its steps): about {corpus_pass:.1f} s, "
          f"{documents / corpus_pass:,.0f} documents/s")  # fmt: skip
    print(f"identical output, --scope corpus: {same}; --scope document: {same_doc}; "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    return 0 if same and same_doc else 1


if __name__ == "__main__":
    sys.exit(main())
