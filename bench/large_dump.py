"""`make bench-large`: one big JSON Lines dump, streamed in bounded memory over workers.

Writes JSON Lines dumps of real news (BBC, Reuters, Russian Telegram posts from
../shared/data, in rounds, half of each round's articles with a repeat injected as in
`make eval`, so that no two rounds are the same text) of 0.3 GB and 1 GB, and a gzipped copy
of the big one, into ``build/large/`` (kept between runs: writing them takes minutes), then
runs ``cleaner clean`` on each file alone, as a process of its own, with 1 and 2 workers
(``--rounds`` times, alternating), at corpus scope and at document scope, and prints a
Markdown table with a row for each: wall time (the median, and the range over the rounds),
MB/s (of the JSON, decompressed), CPU seconds (the command and its workers, and of them the
command's own), the peak resident memory of the largest process, and documents found
against the records written.

Peak memory: the VmHWM (the kernel's own peak) of the command and of every process under
it, sampled from ``/proc`` while they run, the largest of them, beside the command's own
and the largest worker's; ``os.wait4``'s ``ru_maxrss`` (the largest of the command and the
workers it reaped) is folded in for a worker that ended between two samples.

The machine is shared: the load average is printed beside each run, and the ratio of 2
workers to 1 is printed both on wall time and on CPU seconds, which load changes least.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench import shared_data
from bench.workload import _with_defect

ROOT = Path(__file__).resolve().parents[1]
SEED = 20


def write_dump(path: Path, target_bytes: int, seed: int) -> int:
    """A JSON Lines dump of at least ``target_bytes``, as a scraper writes one; its records."""
    rng = random.Random(seed)
    documents = [
        (corpus, name, paragraphs)
        for corpus, load in shared_data.DOCUMENTS.items()
        for name, paragraphs in load()
    ]
    written = records = round_ = 0
    partial = path.with_name(path.name + ".tmp")
    with partial.open("wb") as out:
        while written < target_bytes:
            for corpus, name, paragraphs in documents:
                article = _with_defect(paragraphs, rng) if rng.random() < 0.5 else paragraphs
                record = {
                    "id": f"{corpus}/{name}/{round_}",
                    "url": f"https://{corpus}.example/{round_}/{name}",
                    "title": article[0][:200],
                    "text": "\n\n".join(article),
                }
                line = json.dumps(record, ensure_ascii=False).encode() + b"\n"
                out.write(line)
                written += len(line)
                records += 1
                if written >= target_bytes:
                    break
            round_ += 1
    partial.rename(path)
    return records


def gzipped(path: Path) -> Path:
    packed = path.with_name(path.name + ".gz")
    if not packed.exists():
        partial = packed.with_name(packed.name + ".tmp")
        with path.open("rb") as source, gzip.open(partial, "wb", compresslevel=6) as out:
            shutil.copyfileobj(source, out, 1 << 20)
        partial.rename(packed)
    return packed


def dump(folder: Path, megabytes: int) -> tuple[Path, int]:
    """The dump of ``megabytes`` MB in ``folder`` (written once) and its record count."""
    path = folder / f"dump_{megabytes}mb.jsonl"
    counted = path.with_name(path.name + ".records")
    if not path.exists() or not counted.exists():
        counted.write_text(str(write_dump(path, megabytes * 1_000_000, SEED)))
    return path, int(counted.read_text())


@dataclass
class Run:
    seconds: float
    cpu_seconds: float
    peak_mb: float  # the largest process: the command or one of its workers
    parent_peak_mb: float  # the command's own process
    worker_peak_mb: float  # the largest of its workers
    parent_cpu_seconds: float  # of which the run's own process (reading, cutting, writing)
    documents: int
    rejected: int
    load: float
    bytes_in: int  # read, decompressed


def _sample(pid: int, peaks: dict[int, int], cpu: list[float]) -> None:
    """Record the VmHWM (the kernel's own peak, kB) of ``pid`` and of each process under it
    (its workers, and theirs) until ``pid`` ends (a zombie keeps them until it is reaped),
    and ``pid``'s own CPU seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    while True:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            cpu.append((int(fields[11]) + int(fields[12])) / ticks)  # utime, stime
        except (OSError, IndexError, ValueError):  # gone
            return
        for process in _tree(pid):
            try:
                for line in Path(f"/proc/{process}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks[process] = max(peaks.get(process, 0), int(line.split()[1]))
            except (OSError, IndexError, ValueError):  # gone meanwhile
                pass
        time.sleep(0.2)


def _tree(pid: int) -> list[int]:
    """``pid`` and every process under it."""
    found, todo = [], [pid]
    while todo:
        process = todo.pop()
        found.append(process)
        for task in Path(f"/proc/{process}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(child) for child in (task / "children").read_text().split()]
    return found


def run(path: Path, out: Path, workers: int, scope: str) -> Run:
    command = [str(Path(sys.executable).with_name("cleaner")), "clean", str(path), "-o", str(out)]
    command += ["-j", str(workers), "--scope", scope, "--json"]
    # The gzipped dump expands to more than the default limit, which stops gzip bombs.
    command += ["--max-decompressed-bytes", str(4 * path.stat().st_size + (1 << 30))]
    load = os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE)
    peaks: dict[int, int] = {}
    cpu: list[float] = []
    sampler = threading.Thread(target=_sample, args=(process.pid, peaks, cpu), daemon=True)
    sampler.start()
    assert process.stdout is not None
    summary = process.stdout.read()
    time.sleep(0.5)  # the last samples, of the process ended but not yet reaped
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        code = os.waitstatus_to_exitcode(status)
        raise SystemExit(f"cleaner failed with exit status {code}: {' '.join(command)}")
    report = json.loads(summary)
    workers_peak = max((kb for pid, kb in peaks.items() if pid != process.pid), default=0)
    return Run(
        seconds,
        usage.ru_utime + usage.ru_stime,
        max(usage.ru_maxrss, *peaks.values()) / 1024,
        peaks.get(process.pid, 0) / 1024,
        workers_peak / 1024,
        max(cpu, default=0.0),
        report["documents"]["in"],
        report["documents"]["rejected"],
        load,
        report["bytes_in"],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folder", type=Path, default=ROOT / "build" / "large")
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 1000], help="MB")
    parser.add_argument("--scope", nargs="+", default=["corpus", "document"])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=1, help="runs of each, alternating")
    parser.add_argument("--only", choices=["plain", "gzip"], nargs="+", default=["plain", "gzip"])
    args = parser.parse_args()
    if not shared_data.available():
        print(f"bench-large skipped: {shared_data.missing_message()}")
        return 0
    args.folder.mkdir(parents=True, exist_ok=True)
    inputs = []
    for megabytes in args.sizes:
        path, records = dump(args.folder, megabytes)
        if "plain" in args.only:
            inputs.append((path, records))
        if "gzip" in args.only and megabytes == max(args.sizes):
            inputs.append((gzipped(path), records))
    out = args.folder / "out"
    out.mkdir(exist_ok=True)
    print(
        "| file | scope | workers | load | seconds | MB/s | CPU s (the command's own) "
        "| peak MB, largest process (the command / largest worker) | documents / records |"
    )
    print("|---|---|---|---|---|---|---|---|---|", flush=True)
    for scope in args.scope:
        for path, records in inputs:
            runs: dict[int, list[Run]] = {workers: [] for workers in args.workers}
            for round_ in range(1, args.rounds + 1):
                for workers in args.workers:
                    target = out / f"{path.name}.{scope}.j{workers}.parquet"
                    runs[workers].append(run(path, target, workers, scope))
                    if round_ == args.rounds:  # printed as soon as it is known: runs are long
                        print(_row(path, records, scope, workers, runs[workers]), flush=True)
            if 1 in runs and 2 in runs:
                one, two = _median(runs[1]), _median(runs[2])
                print(
                    f"|  | {scope} | 2 vs 1 |  | {one.seconds / two.seconds:.2f}x wall, "
                    f"CPU s {one.cpu_seconds:.1f} vs {two.cpu_seconds:.1f} |  |  |  |  |",
                    flush=True,
                )
    return 0


def _median(runs: list[Run]) -> Run:
    """The run of median wall time (the lower middle one of an even number)."""
    return sorted(runs, key=lambda r: r.seconds)[(len(runs) - 1) // 2]


def _row(path: Path, records: int, scope: str, workers: int, runs: list[Run]) -> str:
    """A line of the table: the median run, the range of wall times, the highest peak."""
    middle = _median(runs)
    times = sorted(r.seconds for r in runs)
    spread = f" ({times[0]:.1f}-{times[-1]:.1f})" if len(runs) > 1 else ""
    loads = sorted(r.load for r in runs)
    load = f"{loads[0]:.2f}" + (f"-{loads[-1]:.2f}" if len(runs) > 1 else "")
    peak = max(runs, key=lambda r: r.peak_mb)
    found = {r.documents for r in runs}
    lost = "" if found == {records} else " RECORDS LOST"
    return (
        f"| `{path.name}` ({path.stat().st_size / 1e6:,.0f} MB) | {scope} | {workers} "
        f"| {load} | {middle.seconds:.1f}{spread} "
        f"| {middle.bytes_in / 1e6 / middle.seconds:.2f} "
        f"| {middle.cpu_seconds:.1f} ({middle.parent_cpu_seconds:.1f}) "
        f"| {peak.peak_mb:,.0f} ({peak.parent_peak_mb:,.0f} / {peak.worker_peak_mb:,.0f}) "
        f"| {min(found):,} / {records:,}{lost} |"
    )


if __name__ == "__main__":
    raise SystemExit(main())
