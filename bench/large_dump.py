"""`make bench-large`: one big JSON Lines dump, streamed in bounded memory over workers.

Writes JSON Lines dumps of real news (BBC, Reuters, Russian Telegram posts from
../shared/data, in rounds, half of each round's articles with a repeat injected as in
`make eval`, so that no two rounds are the same text) of 0.3 GB and 1 GB, and a gzipped copy
of the big one, into ``build/large/`` (kept between runs: writing them takes minutes), then
runs ``cleaner clean`` on each file alone, as a process of its own, with 1 and 2 workers, and
prints for each: wall time, MB/s (of the JSON, decompressed), CPU seconds (the process and
its workers), the peak resident memory of the largest process, and documents found against
the records written.

Peak memory: ``os.wait4`` on the run reports the largest of the process and the workers it
reaped (Linux folds a reaped child's peak into its parent's ``ru_maxrss`` for children);
the parent's own peak is also sampled from ``/proc`` while it runs, to tell the two apart.

The machine is shared: the load average is printed before each run, and the ratio of 2
workers to 1 is printed both on wall time and on CPU seconds, which load changes least.
"""

from __future__ import annotations

import argparse
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
    peak_mb: float  # the largest process: the run or one of its workers
    parent_peak_mb: float  # the run's own process, sampled from /proc
    parent_cpu_seconds: float  # of which the run's own process (reading, cutting, writing)
    documents: int
    rejected: int
    load: float
    bytes_in: int  # read, decompressed


def _sample(pid: int, peaks: list[int], cpu: list[float]) -> None:
    """Record the VmHWM of ``pid`` (the kernel's own peak) and its own CPU seconds until it
    ends (a zombie keeps them until it is reaped)."""
    status, stat = Path(f"/proc/{pid}/status"), Path(f"/proc/{pid}/stat")
    ticks = os.sysconf("SC_CLK_TCK")
    while True:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]))
            fields = stat.read_text().rpartition(")")[2].split()
            cpu.append((int(fields[11]) + int(fields[12])) / ticks)  # utime, stime
        except (OSError, IndexError, ValueError):  # gone
            return
        time.sleep(0.2)


def run(path: Path, out: Path, workers: int, scope: str) -> Run:
    command = [str(Path(sys.executable).with_name("cleaner")), "clean", str(path), "-o", str(out)]
    command += ["-j", str(workers), "--scope", scope, "--json"]
    # The gzipped dump expands to more than the default limit, which stops gzip bombs.
    command += ["--max-decompressed-bytes", str(4 * path.stat().st_size + (1 << 30))]
    load = os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE)
    peaks: list[int] = []
    cpu: list[float] = []
    sampler = threading.Thread(target=_sample, args=(process.pid, peaks, cpu), daemon=True)
    sampler.start()
    assert process.stdout is not None
    summary = process.stdout.read()
    time.sleep(0.5)  # the last samples, of the process ended but not yet reaped
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"cleaner failed with status {status}: {' '.join(command)}")
    report = json.loads(summary)
    return Run(
        seconds,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        max(peaks, default=0) / 1024,
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
    parser.add_argument("--scope", nargs="+", default=["document", "corpus"])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
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
    print("file  scope  workers  load  seconds  MB/s  CPU s (parent)  peak MB (parent)  documents")
    for path, records in inputs:
        size = path.stat().st_size
        for scope in args.scope:
            runs = {}
            for workers in args.workers:
                done = run(path, out / f"{path.name}.{scope}.j{workers}.parquet", workers, scope)
                runs[workers] = done
                lost = "" if done.documents == records else "  RECORDS LOST"
                print(
                    f"{path.name} ({size / 1e6:,.0f} MB)  {scope}  -j {workers}  "
                    f"{done.load:.2f}  {done.seconds:.1f}  "
                    f"{done.bytes_in / 1e6 / done.seconds:.2f}  "
                    f"{done.cpu_seconds:.1f} ({done.parent_cpu_seconds:.1f})  "
                    f"{done.peak_mb:,.0f} ({done.parent_peak_mb:,.0f})  "
                    f"{done.documents:,}/{records:,}{lost}",
                    flush=True,
                )
            if 1 in runs and 2 in runs:
                one, two = runs[1], runs[2]
                print(
                    f"  -j 2 vs -j 1: {one.seconds / two.seconds:.2f}x wall, "
                    f"CPU seconds {one.cpu_seconds:.1f} vs {two.cpu_seconds:.1f}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
