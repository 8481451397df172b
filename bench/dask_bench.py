"""`make bench-dask`: the same workload on the local pool and on Dask, same output, how fast.

Builds bench/speed.py's workload of real news (``--mb``; by default 40 MB, one round of its
corpora) and cleans it with ``cleaner clean`` (``--scope corpus``), each run a process of its
own:

- ``-j 2``: the local pool, the reference output;
- ``--engine dask -j 2``: a LocalCluster of 2 worker processes started by the run, as a user
  runs it (its start-up counts);
- ``--scheduler`` on a LocalCluster already running, of 1 worker and of 2 (started by this
  script, fresh for each): the speed-up from 1 to 2 Dask workers, the client's peak memory
  (the run's process holds no worker there) and each worker's, asked of the workers after
  the run; once more on 2 workers with ``--scope document``, where the client holds no
  corpus-wide index, only the batches in flight, and on the fixtures, where it holds next to
  nothing (its fixed cost: Python, Arrow, Dask). Peaks are VmHWM, each process's own.

Every run's three files must be byte for byte the local pool's; it prints wall times, the
Dask/local ratio and the speed-up. This machine's speed drifts between runs: a ratio within
one invocation says more than any single figure.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import corpora
from bench.speed import build_workload
from cleaner.dask_engine import dask_engine
from cleaner.write import output_paths

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


def on_cluster(
    workers: int, shards: Sequence[Path], out: Path, *options: str
) -> tuple[Run, list[float]]:
    """A run through ``--scheduler`` on a fresh LocalCluster; the workers' peak RSS after."""
    with dask_engine(workers=workers) as engine:
        done = run(shards, out, "--scheduler", engine.address, *options)
        peaks: dict[str, float] = engine.client.run(own_peak_mb)
    return done, sorted(peaks.values())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=40.0, help="workload size (default 40)")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)
    if not corpora.available():
        print(f"make bench-dask: skipped, {corpora.missing_message()}")
        return 0
    work = Path(tempfile.mkdtemp(prefix="cleaner-dask-bench-"))
    try:
        n_files, n_bytes = build_workload(work / "news", args.mb, args.seed)
        shards = sorted((work / "news").iterdir())
        print(f"workload: {n_files:,} files, {n_bytes / 1e6:.1f} MB; load {os.getloadavg()[0]:.1f}")
        local = run(shards, work / "local.parquet", "-j", "2")
        started = run(shards, work / "dask.parquet", "--engine", "dask", "-j", "2")
        one, one_peaks = on_cluster(1, shards, work / "one.parquet")
        two, two_peaks = on_cluster(2, shards, work / "two.parquet")
        batches, batch_peaks = on_cluster(2, shards, work / "doc.parquet", "--scope", "document")
        idle, _ = on_cluster(2, [FIXTURES], work / "fixtures.parquet", "--scope", "document")
        local_doc = run(shards, work / "local-doc.parquet", "-j", "2", "--scope", "document")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    same = all(r.files == local.files for r in (started, one, two))
    same_doc = batches.files == local_doc.files
    documents = local.summary["documents"]["in"]
    index = two.summary["index_bytes"]
    rows = [
        ("local pool, -j 2", local, "writer"),
        ("--engine dask -j 2 (starts its cluster)", started, "client"),
        ("--scheduler, 1 Dask worker", one, "client"),
        ("--scheduler, 2 Dask workers", two, "client"),
        ("--scheduler, 2 workers, --scope document", batches, "client"),
        ("the same on fixtures/news (26 documents)", idle, "client"),
    ]
    print(f"{'run':<44} {'seconds':>8} {'MB/s':>6} {'peak RSS':>10}")
    for name, done, whose in rows:
        rate = done.summary["bytes_in"] / 1e6 / done.seconds
        print(f"{name:<44} {done.seconds:8.1f} {rate:6.2f} {done.peak_mb:7.0f} MB ({whose})")
    ratio, running = started.seconds / local.seconds, two.seconds / local.seconds
    print(f"workers' peak RSS: 1 worker {one_peaks[0]:.0f} MB; 2 workers "
          f"{' and '.join(f'{p:.0f}' for p in two_peaks)} MB; --scope document "
          f"{' and '.join(f'{p:.0f}' for p in batch_peaks)} MB")  # fmt: skip
    print(f"Dask/local wall time: {ratio:.2f}x with the cluster's start-up, "
          f"{running:.2f}x on a running cluster (target <= 1.3x)")  # fmt: skip
    print(f"speed-up from 1 to 2 Dask workers: {one.seconds / two.seconds:.2f}x")
    print(f"client: corpus-wide index {index / documents:.0f} bytes per document "
          f"({documents:,} documents, {index / MiB:.1f} MiB)")  # fmt: skip
    # Stage seconds are summed over workers: the per-batch work is the same whatever their
    # number, and --scope corpus adds the corpus-wide pass, run in the client, to deduplicate.
    stages = dict(one.summary["seconds_by_stage"])
    corpus_pass = stages["deduplicate"] - batches.summary["seconds_by_stage"]["deduplicate"]
    stages["deduplicate"] -= corpus_pass
    per_document = sum(t for stage, t in stages.items() if stage != "write")
    rates = ", ".join(f"{stage} {n_bytes / 1e6 / t:.1f}" for stage, t in stages.items() if t)
    print(f"one worker, per-document stages: {n_bytes / 1e6 / per_document:.2f} MB/s, "
          f"{documents / per_document:,.0f} documents/s (by stage, MB/s: {rates})")  # fmt: skip
    print(f"corpus-wide pass in the client: about {corpus_pass:.1f} s, "
          f"{documents / corpus_pass:,.0f} documents/s")  # fmt: skip
    print(f"identical output, --scope corpus: {same}; --scope document: {same_doc}")
    return 0 if same and same_doc else 1


if __name__ == "__main__":
    sys.exit(main())
