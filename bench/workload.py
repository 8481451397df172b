"""The ``make bench`` workload: rounds of the real corpora, repeats injected, in shards.

Built by ``bench/speed.py`` (``make bench``) and ``bench/identical.py`` (``make identical``).
It imports nothing from ``cleaner``, so the same seed and size give the same files whichever
version of the cleaner is installed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import shared_data
from bench.defects import DEFECTS

SHARDS = 10
SEED = 5


def _with_defect(paragraphs: list[str], rng: random.Random) -> list[str]:
    """A copy of an article with one repeated paragraph, as scrapers produce them."""
    defect = rng.choice(DEFECTS)
    source = 0 if defect.source == "lead" else rng.randrange(len(paragraphs))
    copy = defect.transform(paragraphs[source], paragraphs, rng)
    if copy is None:
        return paragraphs
    where = source + 1 if defect.placement == "next" else rng.randint(source + 1, len(paragraphs))
    return [*paragraphs[:where], copy, *paragraphs[where:]]


def add_options(parser: argparse.ArgumentParser, mb: float) -> None:
    """The options of a benchmark over this workload: its size and seed, the rounds of
    every run, and a folder to build it in (or reuse it from) and keep."""
    parser.add_argument("--mb", type=float, default=mb, help=f"workload size (default {mb:g})")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every run")
    parser.add_argument(
        "--keep", type=Path, help="build the workload here (or use the one there) and keep it"
    )


@contextmanager
def news(args: argparse.Namespace, prefix: str) -> Iterator[tuple[Path, list[Path], list[Path]]]:
    """The workload of :func:`add_options`' ``args`` in ``WORK/news``: the folder ``--keep``
    names (built unless it is there, and kept), or a temporary one removed at the end; WORK,
    the shards and the files."""
    work = args.keep or Path(tempfile.mkdtemp(prefix=prefix))
    try:
        if not (work / "news").is_dir():
            build_workload(work / "news", args.mb, args.seed)
        shards = sorted((work / "news").iterdir())
        yield work, shards, sorted(p for p in (work / "news").rglob("*") if p.is_file())
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def build_workload(folder: Path, target_mb: float, seed: int = SEED) -> tuple[int, int]:
    """Write rounds of the three corpora into SHARDS sub-folders until ``target_mb`` is reached.

    Articles become ``.txt`` files (a tenth of the Telegram posts in cp1251, the rest UTF-8),
    and Telegram channels also become ``.jsonl.gz`` feeds. A target smaller than one round
    (about 40 MB) takes every n-th document instead. Returns (files, bytes).
    """
    rng = random.Random(seed)
    documents = [
        (name, paragraphs)
        for name, load in shared_data.DOCUMENTS.items()
        for _, paragraphs in load()
    ]
    one_round = sum(len("\n\n".join(paragraphs)) + 1 for _, paragraphs in documents)
    documents = documents[:: max(1, math.ceil(one_round / (target_mb * 1e6)))]
    files = written = 0
    round_ = 0
    while written < target_mb * 1e6:
        feeds: dict[int, list[str]] = {}
        for n, (corpus, paragraphs) in enumerate(documents):
            article = _with_defect(paragraphs, rng) if rng.random() < 0.5 else paragraphs
            text = "\n\n".join(article) + "\n"
            shard = folder / f"shard{(n + round_) % SHARDS}" / f"r{round_}" / corpus
            if corpus == "telegram" and rng.random() < 0.5:
                feeds.setdefault(n % 24, []).append(
                    json.dumps({"id": n, "text": text}, ensure_ascii=False)
                )
                continue
            shard.mkdir(parents=True, exist_ok=True)
            encoding = "cp1251" if corpus == "telegram" and rng.random() < 0.2 else "utf-8"
            data = text.encode(encoding, errors="replace")
            (shard / f"{n:06d}.txt").write_bytes(data)
            files += 1
            written += len(data)
        for channel, lines in feeds.items():
            shard = folder / f"shard{channel % SHARDS}" / f"r{round_}"
            shard.mkdir(parents=True, exist_ok=True)
            data = ("\n".join(lines) + "\n").encode("utf-8")
            (shard / f"channel{channel:02d}.jsonl.gz").write_bytes(gzip.compress(data, 1, mtime=0))
            files += 1
            written += len(data)
        round_ += 1
    return files, written
