"""`make bench`: cleaner's speed and memory against the pipelines a user would write instead.

Builds a workload of real news (BBC, Reuters, Russian Telegram posts from ../shared/data, with
repeats and rendering defects injected as in `make eval`) in a temporary folder, then runs on
the same files, in this one invocation, each run a process of its own
(:mod:`bench.contenders` says what each peer does):

- the lean baseline, the headline: ``ftfy.fix_text`` per paragraph, datasketch ``MinHash``
  over word 5-grams fed with ``update_batch``, each paragraph compared with the document's
  kept ones, pyarrow's Parquet writer. It is slow, so it runs on a seeded random sample of
  the files and its MB/s is that sample's (printed as such); the heavier first baseline (a
  ``MinHashLSH`` per document, pandas) beside it, on the same sample;
- ``cleaner clean --scope document`` (the baselines' job: repeats inside each document) and
  the default ``--scope corpus`` (also duplicate documents and boilerplate across the folder),
  each with ``-j 1`` and ``-j 2``;
- rensa's document-level loop: ``RMinHash`` and ``RMinHashLSH`` over word 5-grams, one
  Python loop over the documents (duplicate documents only: no repair, no paragraphs);
- the floor: reading and decoding the files, CLD2 on each document and one Parquet write,
  nothing else, in one process: what bounds the document scope's speed from above.

It prints MB/s per run and per stage, peak resident memory (of the largest process of a run)
and the ratios between runs, and how much two processes at once gain over one on this
machine (:func:`two_at_once`), which bounds what ``-j 2`` can gain over ``-j 1``. The
machine's speed drifts by tens of percent, so every figure is a median of rounds
(``--rounds``, 3 by default), each round running every contender once, one after the other,
and each ratio is taken within a round; the range is printed beside, and the load average
(``os.getloadavg``) at the start and end of each round.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import shared_data
from bench.contenders import paragraphs_of, read_texts
from bench.workload import SHARDS, add_options, news
from cleaner import DedupOptions
from cleaner.tally import STAGES

K = DedupOptions().shingle_size  # cleaner's own shingles, for the signature check
NUM_PERM = 128


@dataclass
class Run:
    seconds: float
    peak_rss_mb: float
    output: str  # what the process printed: a JSON summary


def run(command: Sequence[str]) -> Run:
    """Run ``command`` to its end: wall time, the peak RSS of its largest process, its output."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    output = process.stdout.read().decode("utf-8")
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{' '.join(command[:4])} ... failed with status {status}")
    return Run(seconds, usage.ru_maxrss / 1024, output)


def run_contender(name: str, listing: Path, out: Path) -> tuple[Run, int]:
    """A peer of :mod:`bench.contenders` on the files ``listing`` names, and its bytes read."""
    done = run([sys.executable, "-m", "bench.contenders", name, str(out), str(listing)])
    return done, int(json.loads(done.output)["bytes"])


def run_cli(inputs: Sequence[Path], out: Path, workers: int, scope: str) -> tuple[Run, Any]:
    """``cleaner clean`` as a user runs it, and the summary it prints with ``--json``."""
    command = [str(Path(sys.executable).with_name("cleaner")), "clean", *map(str, inputs)]
    command += ["-o", str(out), "-j", str(workers), "--scope", scope, "--json"]
    done = run(command)
    return done, json.loads(done.output)


def two_at_once(inputs: Sequence[Path], work: Path) -> float:
    """How much more work two processes do at once than one alone, on this machine: the
    same ``cleaner clean --scope document -j 1`` run alone, then twice side by side; twice
    the time alone over the time of the pair. Two cores that do not slow each other give
    2.0; it is the most ``-j 2`` can gain over ``-j 1``, whatever cleaner does."""
    command = [str(Path(sys.executable).with_name("cleaner")), "clean", *map(str, inputs)]
    command += ["--scope", "document", "-j", "1", "--json", "-o"]
    alone = run([*command, str(work / "alone.parquet")]).seconds
    started = time.perf_counter()
    pair = [
        subprocess.Popen([*command, str(work / f"pair{n}.parquet")], stdout=subprocess.DEVNULL)
        for n in range(2)
    ]
    if any(process.wait() for process in pair):
        raise SystemExit("cleaner clean ... failed while two ran at once")
    return 2 * alone / (time.perf_counter() - started)


# --- Checks that the speed did not change the results -----------------------------------------


def repair_matches_ftfy(texts: Sequence[str]) -> tuple[int, int]:
    """(lines checked, lines where cleaner's repair differs from ``ftfy.fix_text``)."""
    import ftfy

    from cleaner.repair import repair_line

    lines = [line for text in texts for line in text.split("\n")]
    return len(lines), sum(repair_line(line) != ftfy.fix_text(line) for line in lines)


def signatures_match_datasketch(paragraphs: Sequence[str]) -> tuple[int, int]:
    """(paragraphs checked, paragraphs whose signature datasketch does not reproduce)."""
    import numpy as np
    from datasketch import MinHash

    from cleaner.fingerprint import fingerprint, normalize, shingle_hash32, shingles

    sigs = fingerprint(paragraphs, NUM_PERM, 1, K).signatures
    bad = 0
    for paragraph, sig in zip(paragraphs, sigs, strict=True):
        m = MinHash(num_perm=NUM_PERM, seed=1, hashfunc=shingle_hash32)
        for shingle in shingles(normalize(paragraph), K):
            m.update(shingle)
        bad += not np.array_equal(m.hashvalues, sig)
    return len(paragraphs), bad


def same_outputs(a: Path, b: Path) -> bool:
    """Whether two runs wrote the same bytes: corpus, rejects and index."""
    from cleaner.formats import index_path, rejects_path

    return all(
        one(a).read_bytes() == one(b).read_bytes()
        for one in (lambda p: p, rejects_path, index_path)
    )


# --- Report ------------------------------------------------------------------------------------


def median_range(values: Sequence[float], digits: int = 1) -> str:
    """A median with the range beside it.

    >>> median_range([3.0, 1.0, 2.0])
    '2.0 (1.0 to 3.0)'
    """
    return (
        f"{statistics.median(values):.{digits}f} "
        f"({min(values):.{digits}f} to {max(values):.{digits}f})"
    )


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


# The runs of a round, in the order they run; the sample's runs first.
SAMPLE_RUNS = ("lean", "heavy")
CLEANER_RUNS = {
    "cleaner --scope document -j 1": ("document", 1),
    "cleaner --scope document -j 2": ("document", 2),
    "cleaner --scope corpus -j 1": ("corpus", 1),
    "cleaner --scope corpus -j 2": ("corpus", 2),
}
RATIOS = (
    ("document -j 2 / lean", "cleaner --scope document -j 2", "lean"),
    ("document -j 1 / lean", "cleaner --scope document -j 1", "lean"),
    ("corpus -j 2 / lean", "cleaner --scope corpus -j 2", "lean"),
    ("corpus -j 1 / lean", "cleaner --scope corpus -j 1", "lean"),
    ("corpus -j 2 / rensa", "cleaner --scope corpus -j 2", "rensa"),
    ("corpus -j 1 / rensa", "cleaner --scope corpus -j 1", "rensa"),
    ("corpus -j 2 / corpus -j 1", "cleaner --scope corpus -j 2", "cleaner --scope corpus -j 1"),
    ("floor / lean", "floor", "lean"),
    ("document -j 1 / floor", "cleaner --scope document -j 1", "floor"),
    (
        "document -j 2 / document -j 1",
        "cleaner --scope document -j 2",
        "cleaner --scope document -j 1",
    ),
    ("document -j 2 / heavy", "cleaner --scope document -j 2", "heavy"),
)
LABELS = {
    "lean": "lean baseline (ftfy, MinHash update_batch, pyarrow)",
    "heavy": "heavy baseline (MinHashLSH per document, pandas)",
    "rensa": "rensa loop (documents only, no repair)",
    "floor": "floor: read, decode, CLD2, Parquet (one process)",
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_options(parser, mb=60.0)
    parser.add_argument("--sample", type=float, default=0.1, help="baselines' share of files")
    args = parser.parse_args(argv)
    if not shared_data.available():
        print(f"make bench: skipped, {shared_data.missing_message()}")
        return 0

    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 110)
    started = time.perf_counter()
    with news(args, "cleaner-bench-") as (work, shards, files):
        sample = random.Random(args.seed).sample(files, max(1, int(len(files) * args.sample)))
        listings = {"sample": work / "sample.txt", "all": work / "all.txt"}
        listings["sample"].write_text("".join(f"{p}\n" for p in sample), encoding="utf-8")
        listings["all"].write_text("".join(f"{p}\n" for p in files), encoding="utf-8")

        rates: dict[str, list[float]] = {}
        peaks: dict[str, list[float]] = {}
        loads, summaries = [], []
        pairs: list[float] = []  # two_at_once, each round
        sample_mb = mb = 0.0
        for n in range(max(1, args.rounds)):
            loads.append(load())
            seconds: dict[str, float] = {}
            for name in SAMPLE_RUNS:
                done, size = run_contender(name, listings["sample"], work / f"{name}.parquet")
                sample_mb = size / 1e6
                seconds[name] = done.seconds
                peaks.setdefault(name, []).append(done.peak_rss_mb)
            for label, (scope, workers) in CLEANER_RUNS.items():
                out = work / f"{scope}-j{workers}.parquet"
                done, summary = run_cli(shards, out, workers, scope)
                mb = summary["bytes_in"] / 1e6
                seconds[label] = done.seconds
                peaks.setdefault(label, []).append(done.peak_rss_mb)
                if label == "cleaner --scope document -j 1":
                    summaries.append(summary)
            for name in ("rensa", "floor"):
                done, _ = run_contender(name, listings["all"], work / f"{name}.parquet")
                seconds[name] = done.seconds
                peaks.setdefault(name, []).append(done.peak_rss_mb)
            pairs.append(two_at_once(shards[:2], work))
            loads[-1] += f" -> {load()}"
            for name, took in seconds.items():
                rates.setdefault(name, []).append((sample_mb if name in SAMPLE_RUNS else mb) / took)
            if n == 0:
                console.print(
                    f"workload: {len(files):,} files, {mb:,.1f} MB in {SHARDS} shards "
                    "(BBC, Reuters, Telegram; repeats injected); baselines on a "
                    f"{args.sample:.0%} sample, {len(sample):,} files, {sample_mb:.1f} MB"
                )
            console.print(f"round {n + 1}: load average {loads[-1]} (1/5/15 min)")
        same = {
            scope: same_outputs(work / f"{scope}-j1.parquet", work / f"{scope}-j2.parquet")
            for scope in ("document", "corpus")
        }
        one_shard, _ = run_cli(shards[:1], work / "shard.parquet", 1, "corpus")

        texts = [t for path in files[:: max(1, len(files) // 3000)] for t in read_texts(path)]
        paragraphs = [p for text in texts for p in paragraphs_of(text)]
        checked_lines, repair_diffs = repair_matches_ftfy(texts[:1500])
        checked_sigs, sig_diffs = signatures_match_datasketch(paragraphs[:2000])

        rounds = len(loads)
        end = Table(title=f"end to end, wall clock, medians of {rounds} rounds (range)")
        for column in ("run", "MB/s", "peak RSS MB (largest)"):
            end.add_column(column, justify="right")
        for name in rates:
            digits = 2 if name in SAMPLE_RUNS else 1
            label = LABELS.get(name, name)
            end.add_row(label, median_range(rates[name], digits), f"{max(peaks[name]):,.0f}")
        console.print(end)

        ratios = Table(title="ratios of speeds, each within a round: median (range)")
        for column in ("ratio", f"median of {rounds} rounds (range)"):
            ratios.add_column(column, justify="right")
        within: dict[str, list[float]] = {}
        for label, a, b in RATIOS:
            within[label] = [x / y for x, y in zip(rates[a], rates[b], strict=True)]
            ratios.add_row(label, median_range(within[label]) + "x")
        console.print(ratios)

        summary = sorted(summaries, key=lambda s: float(s["seconds"]))[len(summaries) // 2]
        stage_seconds = summary["seconds_by_stage"]
        n_par = float(summary["paragraphs"]["in"])
        stages = Table(title="stages, cleaner --scope document -j 1 (its median round)")
        for column in ("stage", "MB/s", "paragraphs/s"):
            stages.add_column(column, justify="right")
        for stage in STAGES:
            took = float(stage_seconds.get(stage, 0.0))
            if took:
                stages.add_row(stage, f"{mb / took:,.1f}", f"{n_par / took:,.0f}")
        console.print(stages)

        corpus_peak = max(peaks["cleaner --scope corpus -j 1"])
        console.print(
            f"memory: {SHARDS}x the input needs {corpus_peak / one_shard.peak_rss_mb:.2f}x the "
            "peak RSS (--scope corpus -j 1, one shard against all)"
        )
        console.print(
            "identical results: -j 2 output "
            + ", ".join(f"{'==' if ok else '!='} -j 1's at {s} scope" for s, ok in same.items())
            + f" (bytes); repair differs from ftfy.fix_text on {repair_diffs} of "
            f"{checked_lines:,} lines; datasketch reproduces {checked_sigs - sig_diffs:,} of "
            f"{checked_sigs:,} signatures"
        )
        console.print(
            f"two processes at once do {median_range(pairs)}x the work of one on this machine"
            " (cleaner --scope document -j 1 on two shards, alone and twice side by side):"
            " the most -j 2 can gain over -j 1 here"
        )
        over_lean = within["floor / lean"]
        most = [ratio * pair for ratio, pair in zip(over_lean, pairs, strict=True)]
        console.print(
            "the floor (reading and decoding the files, CLD2 on each document, one Parquet"
            f" write, in one process) is {median_range(over_lean)}x the lean baseline; with two"
            f" processes at once doing {median_range(pairs)}x one, the document scope, which"
            f" does all of that and more, can reach at most {median_range(most)}x it here"
        )
        console.print(
            f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
            f"load average {load()}; bench took {time.perf_counter() - started:.0f} s"
        )
        return 0 if all(same.values()) and not repair_diffs and not sig_diffs else 1


if __name__ == "__main__":
    raise SystemExit(main())
