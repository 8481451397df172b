"""The corpus-wide index's memory for a million paragraphs (part of ``make bench``).

Builds the index of 100,000 made-up documents of 10 paragraphs each (1,000,000 paragraphs,
every tenth document a copy of the one before it, a footer on a third of them) the way the
workers build it, then runs the corpus-wide decision on it, and prints the index's size and
the peak memory Python allocated (``tracemalloc``, which sees numpy's arrays) from building
to deciding, per document and per paragraph. No data from ../shared is needed.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from collections.abc import Iterator, Sequence
from random import Random

import numpy as np
from numpy.typing import NDArray

from cleaner import DedupOptions
from cleaner.deduplicate_corpus import CorpusIndex, decide, summarise
from cleaner.document import Document
from cleaner.fingerprint import fingerprint

FOOTER = "Subscribe to our channel for the morning briefing and the evening digest."
VOCABULARY = [f"w{n}" for n in range(50_000)]


def paragraphs(doc: int, per_doc: int) -> list[str]:
    """Document ``doc``'s paragraphs, the same every time they are asked for."""
    source = doc - 1 if doc % 10 == 9 else doc  # every tenth a copy of the one before
    rng = Random(source)
    texts = [" ".join(rng.choices(VOCABULARY, k=20)) + "." for _ in range(per_doc)]
    if doc % 3 == 0:
        texts[-1] = FOOTER
    return texts


def build(documents: int, per_doc: int, options: DedupOptions) -> CorpusIndex:
    parts = []
    for start in range(0, documents, 1000):
        docs = [
            Document(str(n), "", "utf-8", False, paragraphs(n, per_doc))
            for n in range(start, min(start + 1000, documents))
        ]
        fp = fingerprint(
            [p for d in docs for p in d.paragraphs_in],
            options.num_perm,
            options.seed,
            options.shingle_size,
        )
        parts.append(summarise(docs, fp))
    return CorpusIndex.concat(parts, options.num_perm)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--paragraphs-per-document", type=int, default=10)
    args = parser.parse_args(argv)
    options = DedupOptions()
    per_doc = args.paragraphs_per_document

    def read(docs: NDArray[np.int64]) -> Iterator[list[str]]:
        return (paragraphs(int(d), per_doc) for d in docs)

    started = time.perf_counter()
    tracemalloc.start()
    index = build(args.documents, per_doc, options)
    built = time.perf_counter()
    size = index.nbytes
    decisions = decide(index, options, read)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n_paragraphs = args.documents * per_doc
    print(f"corpus-wide index, {args.documents:,} documents, {n_paragraphs:,} paragraphs:")
    print(f"  index: {size / 1e6:.1f} MB ({size / n_paragraphs:.0f} B per paragraph overall)")
    print(f"  peak Python memory from building to deciding: {peak / 1e6:.1f} MB")
    print(
        f"  decided: {len(decisions.duplicate_of):,} duplicate documents, "
        f"{sum(map(len, decisions.boilerplate.values())):,} boilerplate paragraphs "
        f"(expected {args.documents // 10:,} and about {args.documents * 9 // 30:,})"
    )
    print(f"  seconds: build {built - started:.1f}, decide {time.perf_counter() - built:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
