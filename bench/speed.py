"""`make bench`: cleaner's speed and memory against the pipeline a user would write.

Builds a workload of real news (BBC, Reuters, Russian Telegram posts from ../shared/data, with
repeats and rendering defects injected as in `make eval`) in a temporary folder, then runs on
the same files, in this one invocation:

- the baseline: what a user would write from the card's packages: ``ftfy.fix_text`` on each
  paragraph, a datasketch ``MinHash(num_perm=128)`` fed shingle by shingle with ``update``,
  and ``MinHashLSH`` to find repeats, then pandas ``to_parquet``. It is slow, so it runs on a
  seeded random sample of the files and its MB/s is that sample's (printed as such);
- the fast peer for the fingerprint stage: rensa, fed shingles made in Python the usual way
  from the same paragraphs as cleaner's fingerprint stage;
- ``cleaner clean`` end to end, as a separate process, with 1 and 2 workers, doing the
  baseline's job (``--scope document``: repeats inside each document); and once more with
  2 workers and the default ``--scope corpus``, which also removes duplicate documents and
  boilerplate across the whole folder, work the baseline does not do.

It prints MB/s and paragraphs/s per stage, end-to-end MB/s, peak resident memory (of the
largest process), and the ratios against the baseline and rensa; the figures are ratios
measured in the same run, because this machine's speed drifts by tens of percent. The
headline ratios are medians of rounds (``--rounds``, 3 by default): in each round the
baseline and ``cleaner -j 2`` run back to back (and the fingerprint stage and rensa), so
that a drift of the machine falls on both sides of a ratio; the range is printed beside.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench import shared_data
from bench.workload import SEED, SHARDS, build_workload
from cleaner import DedupOptions
from cleaner.tally import STAGES

K = DedupOptions().shingle_size  # cleaner's default, used by every contender
NUM_PERM = 128


# --- The baseline ------------------------------------------------------------------------------


@dataclass
class Timing:
    seconds: dict[str, float] = field(default_factory=dict)
    paragraphs: int = 0
    bytes: int = 0

    def add(self, stage: str, started: float) -> float:
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - started
        return now


_WORD = re.compile(r"\w+")


def _shingles(paragraph: str) -> list[str]:
    tokens = _WORD.findall(paragraph.lower())
    return [" ".join(tokens[i : i + K]) for i in range(max(1, len(tokens) - K + 1))]


def _read_texts(path: Path) -> list[str]:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        text = str(from_bytes(data).best())
    if ".jsonl" in path.name:
        return [json.loads(line)["text"] for line in text.splitlines() if line.strip()]
    return [text]


def baseline(files: Sequence[Path], out: Path) -> Timing:
    """The straightforward pipeline, stage by stage."""
    import ftfy
    import pandas as pd
    from datasketch import MinHash, MinHashLSH

    timing = Timing()
    rows = []
    # One MinHashLSH per document, as the user wants repeats within it; its banding is
    # computed once (an integral in scipy), which a user would soon learn to do too.
    params = MinHashLSH(threshold=0.8, num_perm=NUM_PERM)
    bands = (params.b, params.r)
    for path in files:
        t = time.perf_counter()
        texts = _read_texts(path)
        timing.bytes += sum(len(x.encode("utf-8")) for x in texts)
        t = timing.add("read+decode", t)
        for text in texts:
            paragraphs = [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]
            t = timing.add("split", t)
            paragraphs = [ftfy.fix_text(p) for p in paragraphs]
            t = timing.add("repair", t)
            hashes = []
            for p in paragraphs:
                m = MinHash(num_perm=NUM_PERM)
                for shingle in _shingles(p):
                    m.update(shingle.encode("utf-8"))
                hashes.append(m)
            t = timing.add("fingerprint", t)
            lsh = MinHashLSH(num_perm=NUM_PERM, params=bands)
            kept = []
            for i, (p, m) in enumerate(zip(paragraphs, hashes, strict=True)):
                if not lsh.query(m):
                    lsh.insert(str(i), m)
                    kept.append(p)
            timing.add("deduplicate", t)
            timing.paragraphs += len(paragraphs)
            rows.append({"source": str(path), "text": "\n\n".join(kept), "paragraphs": kept})
    t = time.perf_counter()
    pd.DataFrame(rows).to_parquet(out)
    timing.add("write", t)
    return timing


# --- Fingerprint stage: cleaner against rensa ---------------------------------------------------


def fingerprint_race(paragraphs: list[str]) -> tuple[float, float]:
    """Seconds for cleaner's fingerprint stage and for the rensa path, on the same paragraphs."""
    from rensa import RMinHash

    from cleaner.fingerprint import fingerprint

    started = time.perf_counter()
    for i in range(0, len(paragraphs), 4096):  # cleaner's batches are about this size
        fingerprint(paragraphs[i : i + 4096], NUM_PERM, 1, K)
    ours = time.perf_counter() - started

    started = time.perf_counter()
    for paragraph in paragraphs:
        m = RMinHash(num_perm=NUM_PERM, seed=1)
        m.update(_shingles(paragraph))
        m.digest()
    theirs = time.perf_counter() - started
    return ours, theirs


# --- cleaner as a user runs it ----------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    peak_rss_mb: float
    report: dict[str, object]


def run_cleaner(inputs: Sequence[Path], out: Path, workers: int) -> Run:
    """``cleaner clean`` in a process of its own: wall time and the largest process's peak RSS."""
    report = out.with_suffix(".report.json")
    code = (
        "import json, sys, cleaner;"
        "d = cleaner.DedupOptions(scope='document');"
        "o = cleaner.Options(dedup=d);"
        "e = cleaner.LocalPool(int(sys.argv[2]));"
        "r = cleaner.clean(sys.argv[3:], sys.argv[1], o, engine=e);"
        "json.dump({'stages': r.stages, 'bytes': r.bytes_in, 'paragraphs': r.paragraphs_in,"
        " 'documents': r.documents, 'removed': dict(r.removed), 'rejected': r.rejected},"
        f" open({str(report)!r}, 'w'))"
    )
    command = [sys.executable, "-c", code, str(out), str(workers), *map(str, inputs)]
    started = time.perf_counter()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"cleaner failed with status {status}")
    return Run(seconds, usage.ru_maxrss / 1024, json.loads(report.read_text()))


def run_cli(inputs: Sequence[Path], out: Path, workers: int, scope: str = "document") -> Run:
    command = [str(Path(sys.executable).with_name("cleaner")), "clean", *map(str, inputs)]
    command += ["-o", str(out), "-j", str(workers), "-q", "--scope", scope]
    started = time.perf_counter()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"cleaner failed with status {status}")
    return Run(time.perf_counter() - started, usage.ru_maxrss / 1024, {})


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


# --- Report ------------------------------------------------------------------------------------


def _rate(amount: float, seconds: float) -> str:
    return f"{amount / seconds:,.1f}" if seconds > 0 else "-"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=200.0, help="workload size (default 200)")
    parser.add_argument("--sample", type=float, default=0.015, help="baseline's share of files")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the headline ratios")
    parser.add_argument("--keep", type=Path, help="build the workload here and keep it")
    args = parser.parse_args(argv)
    if not shared_data.available():
        print(f"make bench: skipped, {shared_data.missing_message()}")
        return 0

    from rich.console import Console
    from rich.table import Table

    console = Console()
    work = args.keep or Path(tempfile.mkdtemp(prefix="cleaner-bench-"))
    try:
        started = time.perf_counter()
        n_files, n_bytes = build_workload(work / "news", args.mb, args.seed)
        console.print(
            f"workload: {n_files:,} files, {n_bytes / 1e6:,.1f} MB in {SHARDS} shards "
            "(BBC, Reuters, Telegram; repeats injected), "
            f"built in {time.perf_counter() - started:.0f} s"
        )
        shards = sorted((work / "news").iterdir())
        files = sorted(p for p in (work / "news").rglob("*") if p.is_file())
        sample = random.Random(args.seed).sample(files, max(1, int(len(files) * args.sample)))

        single = run_cleaner(shards, work / "j1.parquet", 1)
        mb = float(single.report["bytes"]) / 1e6  # type: ignore[arg-type]
        rounds = []
        for _ in range(max(1, args.rounds)):
            timing = baseline(sample, work / "baseline.parquet")
            run = run_cli(shards, work / "cli2.parquet", 2)
            rate = timing.bytes / 1e6 / sum(timing.seconds.values())
            rounds.append((mb / run.seconds / rate, rate, timing, run))
        rounds.sort(key=lambda r: r[0])
        ratio2, base_mbs, base, cli2 = rounds[len(rounds) // 2]  # the median round
        cli1 = run_cli(shards, work / "cli1.parquet", 1)
        small = run_cli(shards[:1], work / "small.parquet", 1)
        corpus = run_cli(shards, work / "corpus.parquet", 2, "corpus")
        same_output = (work / "cli1.parquet").read_bytes() == (work / "cli2.parquet").read_bytes()

        texts = [t for path in files[:: max(1, len(files) // 3000)] for t in _read_texts(path)]
        paragraphs = [p for t in texts for p in (" ".join(b.split()) for b in t.split("\n\n")) if p]
        race_paragraphs = paragraphs * max(1, 150_000 // max(1, len(paragraphs)))
        races = sorted(
            (fingerprint_race(race_paragraphs) for _ in range(max(1, args.rounds))),
            key=lambda race: race[1] / race[0],
        )
        ours, rensa_seconds = races[len(races) // 2]
        checked_lines, repair_diffs = repair_matches_ftfy(texts[:1500])
        checked_sigs, sig_diffs = signatures_match_datasketch(paragraphs[:2000])

        stages = single.report["stages"]
        assert isinstance(stages, dict)
        n_par = float(single.report["paragraphs"])  # type: ignore[arg-type]

        table = Table(
            title="stages, one worker, --scope document (cleaner) / the sample (baseline, "
            "its median round)"
        )
        for column in ("stage", "cleaner MB/s", "cleaner paragraphs/s", "baseline MB/s", "ratio"):
            table.add_column(column, justify="right")
        base_stage = {"read": "read+decode", "decode": "read+decode"}
        for stage in STAGES:
            seconds = float(stages.get(stage, 0.0))
            b_seconds = base.seconds.get(base_stage.get(stage, stage), 0.0)
            b_rate = base.bytes / 1e6 / b_seconds if b_seconds else 0.0
            c_rate = mb / seconds if seconds else 0.0
            table.add_row(
                stage,
                _rate(mb, seconds),
                _rate(n_par, seconds),
                f"{b_rate:,.1f}" if b_rate else "-",
                f"{c_rate / b_rate:,.1f}x" if b_rate and c_rate and stage not in base_stage else "",
            )
        console.print(table)

        end = Table(title="end to end (wall clock, whole process; -j 2, baseline: median round)")
        for column in ("run", "MB/s", "peak RSS MB", "vs baseline"):
            end.add_column(column, justify="right")
        end.add_row(
            f"baseline on a {args.sample:.1%} sample ({base.bytes / 1e6:.1f} MB)",
            f"{base_mbs:.2f}",
            "",
            "1.0x",
        )
        for label, run in (
            ("cleaner -j 1 --scope document", cli1),
            ("cleaner -j 2 --scope document", cli2),
            ("cleaner -j 2 --scope corpus (more work)", corpus),
        ):
            rate = mb / run.seconds
            ratio = ratio2 if run is cli2 else rate / base_mbs
            end.add_row(label, f"{rate:.1f}", f"{run.peak_rss_mb:,.0f}", f"{ratio:.1f}x")
        end.add_row(
            f"cleaner -j 1 --scope document, one shard ({mb / SHARDS:.0f} MB)",
            f"{mb / SHARDS / small.seconds:.1f}",
            f"{small.peak_rss_mb:,.0f}",
            "",
        )
        console.print(end)
        console.print(
            f"end to end, -j 2 against the baseline run just before it, {len(rounds)} rounds: "
            f"median {ratio2:.1f}x (range {rounds[0][0]:.1f}x to {rounds[-1][0]:.1f}x; "
            f"baseline {min(r[1] for r in rounds):.2f} to {max(r[1] for r in rounds):.2f} MB/s)"
        )
        n_race = len(race_paragraphs)
        console.print(
            f"fingerprint stage on {n_race:,} paragraphs, median of {len(races)} rounds: "
            f"cleaner {n_race / ours:,.0f}/s, rensa path {n_race / rensa_seconds:,.0f}/s: "
            f"{rensa_seconds / ours:.1f}x rensa (range {races[0][1] / races[0][0]:.1f}x to "
            f"{races[-1][1] / races[-1][0]:.1f}x)"
        )
        console.print(
            f"memory: {SHARDS}x the input needs "
            f"{cli1.peak_rss_mb / small.peak_rss_mb:.2f}x the peak RSS"
        )
        console.print(
            f"identical results: -j 2 output {'==' if same_output else '!='} -j 1 output (bytes); "
            f"repair differs from ftfy.fix_text on {repair_diffs} of {checked_lines:,} lines; "
            f"datasketch reproduces {checked_sigs - sig_diffs:,} of {checked_sigs:,} signatures"
        )
        console.print(
            f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; "
            f"bench took {time.perf_counter() - started:.0f} s"
        )
        return 0 if same_output and not repair_diffs and not sig_diffs else 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
