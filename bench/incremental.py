"""Incremental cleaning against redoing everything (part of ``make bench``).

Writes the BBC articles and the Reuters records with a body (about 21,000 documents, 28 MB)
as one ``.txt`` file each into a temporary folder, sets a seeded random 10% of them aside as
the new scrape, cleans the other 90% into a corpus, then times, as separate processes with
the same number of workers:

- ``cleaner clean new/ --against old.parquet``: the increment against the corpus;
- ``cleaner clean everything/``: the whole folder again.

and prints both and their ratio, and how many documents each way keeps. The counts may
differ by a few: old documents win over new ones wherever the new ones fall in input order,
while the whole run keeps the first copy, and which copy stays decides which near copies of
it go (the tests check that an increment that comes after the corpus in input order gives
exactly the whole run). Exits cleanly when ../shared/data is absent.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from bench import shared_data
from cleaner.corpora import ExistingCorpus

CLEAN = [sys.executable, "-m", "cleaner", "clean", "-q"]


def write_documents(root: Path, share: float, seed: int) -> tuple[int, int]:
    """Every document under ``root/everything``; also under ``root/old`` or, for a random
    ``share`` of them, ``root/new``. Returns (documents, new documents)."""
    rng = random.Random(seed)
    total = new = 0
    documents = [("bbc/" + name, p) for name, p in shared_data.bbc_documents()]
    documents += [(f"reuters/{name}.txt", p) for name, p in shared_data.reuters_documents()]
    for name, paragraphs in documents:
        text = "\n\n".join(paragraphs) + "\n"
        part = "new" if rng.random() < share else "old"
        new += part == "new"
        total += 1
        for folder in ("everything", part):
            path = root / folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return total, new


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--share", type=float, default=0.1, help="share of new documents")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("-j", "--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if not shared_data.available():
        print(f"incremental bench skipped: {shared_data.missing_message()}")
        return 0
    with tempfile.TemporaryDirectory(prefix="cleaner-incremental-") as tmp:
        root = Path(tmp)
        total, new = write_documents(root, args.share, args.seed)
        workers = ["-j", str(args.workers)]
        old = root / "old.parquet"
        base = timed([*CLEAN, str(root / "old"), "-o", str(old), *workers])
        against = ["--against", str(old), "-o", str(root / "new.parquet"), *workers]
        increment = timed([*CLEAN, str(root / "new"), *against])
        everything = timed(
            [*CLEAN, str(root / "everything"), "-o", str(root / "all.parquet"), *workers]
        )
        index = ExistingCorpus.open(old).index
        index_cost = (index.nbytes, index.documents, len(index.paragraph_hash))
        kept = [
            len(pd.read_parquet(root / name, columns=["doc_id"]))
            for name in ("all.parquet", "old.parquet", "new.parquet")
        ]
    print(f"incremental cleaning, BBC + Reuters, {total:,} documents, -j {args.workers}:")
    print(f"  corpus of the other {total - new:,}: {base:.1f} s (once)")
    print(f"  {new:,} new documents (--share {args.share}) --against it: {increment:.1f} s")
    print(f"  everything again: {everything:.1f} s")
    size, docs, paragraphs = index_cost
    print(
        f"  the corpus's index in memory: {size / 1e6:.1f} MB for {docs:,} documents and "
        f"{paragraphs:,} paragraphs ({size / paragraphs:.0f} B per paragraph, texts not loaded)"
    )
    print(f"  the increment takes {increment / everything:.2f}x the time of redoing everything")
    print(
        f"  documents kept: {kept[1]:,} old + {kept[2]:,} new = {kept[1] + kept[2]:,}; "
        f"the whole run keeps {kept[0]:,}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
