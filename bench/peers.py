"""`make bench-peers`: the MinHash de-duplication pipelines of datatrove and text-dedup on
`make bench`'s folder, beside ``cleaner clean`` (corpus scope) and rensa's loop.

A user choosing a tool compares with these. Each peer is installed by the Makefile in a
virtual environment of its own under ``build/peers/NAME`` (they pin packages cleaner does
not), and runs there as ``python -m bench.peers run NAME OUT LIST`` from the repository root:
this module imports nothing of cleaner's at its top, for that. Both get the documents the
same way (:func:`bench.contenders.read_texts`) and keep one of each group of near-duplicate
documents, over word 5-grams, at cleaner's document threshold:

- datatrove: its four steps (signatures, buckets, clusters, filter) on the local executor
  with as many tasks as workers, words split by ``\\w+`` as the other contenders split them
  (its default English tokenizer needs NLTK's punkt model, downloaded at run time);
- text-dedup: ``text_dedup.minhash`` on a Hugging Face dataset of the texts, saved first,
  ``--num_proc`` the workers.

Run as ``python -m bench.peers`` (``make bench-peers``), it builds the workload, runs each
installed peer and cleaner and rensa in the same rounds, and prints MB/s and ratios with
their ranges, as :mod:`bench.speed` does.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

PEERS_DIR = Path("build/peers")
WORKERS = 2
THRESHOLD = 0.85  # cleaner's DedupOptions().document_threshold, checked by the driver
K = 5


def _documents(files: Sequence[Path]) -> Iterator[str]:
    from bench.contenders import read_texts

    for path in files:
        yield from read_texts(path)


def datatrove(files: Sequence[Path], out: Path) -> None:
    from datatrove.data import Document
    from datatrove.executor.local import LocalPipelineExecutor
    from datatrove.pipeline.dedup import (
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.pipeline.writers.jsonl import JsonlWriter
    from datatrove.utils.word_tokenizers import WordTokenizer

    word = re.compile(r"\w+")

    class Words(WordTokenizer):  # type: ignore[misc]
        def word_tokenize(self, text: str) -> list[str]:
            return word.findall(text)

        def sent_tokenize(self, text: str) -> list[str]:
            return [text]

        def span_tokenize(self, text: str) -> list[tuple[int, int]]:
            return [(0, len(text))]

    def read(data: Any, rank: int = 0, world_size: int = 1) -> Iterator[Any]:
        for n, text in enumerate(_documents(files[rank::world_size])):
            yield Document(text=text, id=f"{rank}/{n}")

    # 16 bands of 8 rows: an S-curve through 0.7 at 128 permutations, as rensa's below
    config = MinhashConfig(n_grams=K, num_buckets=16, hashes_per_bucket=8)
    work = out.with_suffix(".work")
    stages = [
        [read, MinhashDedupSignature(str(work / "sigs"), config, language=Words("en"))],
        [MinhashDedupBuckets(str(work / "sigs"), str(work / "buckets"), config=config)],
        [MinhashDedupCluster(str(work / "buckets"), str(work / "remove"), config=config)],
        [read, MinhashDedupFilter(str(work / "remove")), JsonlWriter(str(out))],
    ]
    tasks = (WORKERS, config.num_buckets, 1, WORKERS)
    for n, (pipeline, count) in enumerate(zip(stages, tasks, strict=True)):
        executor = LocalPipelineExecutor(
            pipeline, tasks=count, workers=WORKERS, logging_dir=str(work / f"logs{n}")
        )
        executor.run()


def text_dedup(files: Sequence[Path], out: Path) -> None:
    import datasets
    from text_dedup.minhash import main

    saved = out.with_suffix(".input")
    datasets.Dataset.from_dict({"text": list(_documents(files))}).save_to_disk(str(saved))
    arguments = ["--path", str(saved), "--local", "--output", str(out), "--column", "text"]
    arguments += ["--num_proc", str(WORKERS), "--ngram", str(K), "--num_perm", "128"]
    arguments += ["--threshold", str(THRESHOLD)]
    main(arguments, standalone_mode=False)


PEERS: dict[str, Callable[[Sequence[Path], Path], None]] = {
    "datatrove": datatrove,
    "text-dedup": text_dedup,
}


def installed() -> list[str]:
    """The peers the Makefile could install."""
    return [name for name in PEERS if (PEERS_DIR / name / ".installed").exists()]


def drive(argv: Sequence[str]) -> int:
    """Build the workload, run every installed peer, cleaner and rensa in rounds, print."""
    from rich.console import Console
    from rich.table import Table

    from bench import shared_data
    from bench.speed import load, median_range, run, run_cli, run_contender
    from bench.workload import add_options, news
    from cleaner import DedupOptions

    assert DedupOptions().document_threshold == THRESHOLD
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    add_options(parser, mb=60.0)
    args = parser.parse_args(argv)
    if not shared_data.available():
        print(f"make bench-peers: skipped, {shared_data.missing_message()}")
        return 0
    console = Console(width=None if sys.stdout.isatty() else 110)
    with news(args, "cleaner-peers-") as (work, shards, files):
        listing = work / "all.txt"
        listing.write_text("".join(f"{p}\n" for p in files), encoding="utf-8")
        peers = installed()
        rates: dict[str, list[float]] = {}
        mb = 0.0
        for n in range(max(1, args.rounds)):
            before = load()
            done, summary = run_cli(shards, work / "cleaner.parquet", WORKERS, "corpus")
            mb = summary["bytes_in"] / 1e6
            took = {f"cleaner --scope corpus -j {WORKERS}": done.seconds}
            took["rensa loop"] = run_contender("rensa", listing, work / "rensa.parquet")[0].seconds
            for peer in peers:
                out = work / peer
                shutil.rmtree(out, ignore_errors=True)
                python = PEERS_DIR.resolve() / peer / "bin" / "python"
                command = [str(python), "-m", "bench.peers", "run", peer, str(out), str(listing)]
                took[f"{peer} (-j {WORKERS})"] = run(command).seconds
                shutil.rmtree(out, ignore_errors=True)
                shutil.rmtree(out.with_suffix(".work"), ignore_errors=True)
                shutil.rmtree(out.with_suffix(".input"), ignore_errors=True)
            for name, seconds in took.items():
                rates.setdefault(name, []).append(mb / seconds)
            console.print(f"round {n + 1}: load average {before} -> {load()} (1/5/15 min)")
        ours = rates[f"cleaner --scope corpus -j {WORKERS}"]
        table = Table(title=f"{mb:.1f} MB, {len(files):,} files: MB/s, medians of rounds (range)")
        for column in ("run", "MB/s", "cleaner's speed / this"):
            table.add_column(column, justify="right")
        for name, each in rates.items():
            ratio = [a / b for a, b in zip(ours, each, strict=True)]
            table.add_row(name, median_range(each, 2), median_range(ratio) + "x")
        console.print(table)
        for peer in PEERS:
            if peer not in peers:
                console.print(f"{peer}: not installed (see make bench-peers' output)")
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["run"]:
        _, name, out, listing = argv
        files = [Path(line) for line in Path(listing).read_text(encoding="utf-8").splitlines()]
        PEERS[name](files, Path(out))
        return 0
    return drive(argv)


if __name__ == "__main__":
    raise SystemExit(main())
