"""Deduplicate: drop the repeated paragraphs of a document, keeping the first occurrence.

Two kinds of repeat are removed, and each removal records what it repeats and how similar:

- ``exact_duplicate``: the same comparison key (see :func:`cleaner.fingerprint.normalize`),
  i.e. the same text up to case, Unicode form, quote and dash variants and whitespace.
- ``near_duplicate``: MinHash LSH proposes candidate pairs (banding the signatures), and a
  candidate is removed only when the *exact* Jaccard similarity of the two shingle sets
  reaches the threshold **and** the paragraphs agree on their figures (the numbers of one
  appear, in order, among the numbers of the other): market reports that differ only in
  their numbers are different news.

A paragraph is compared only with paragraphs already kept, so a chain A~B~C never removes C
for resembling a paragraph that was itself removed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from cleaner.document import Removal
from cleaner.fingerprint import Fingerprints, jaccard

EXACT = "exact_duplicate"
NEAR = "near_duplicate"


@dataclass(frozen=True)
class DedupOptions:
    threshold: float = 0.8
    shingle_size: int = 3
    num_perm: int = 128
    seed: int = 1


@lru_cache(maxsize=32)
def lsh_bands(threshold: float, num_perm: int, recall: float = 0.99) -> tuple[int, int]:
    """Bands ``b`` and rows ``r`` (``b * r <= num_perm``) for a similarity threshold.

    A pair with Jaccard similarity ``s`` shares a band with probability
    ``1 - (1 - s**r)**b``. Every candidate is verified exactly, so a false candidate costs
    one comparison while a missed one leaves a duplicate in the corpus: among the settings
    that propose a pair *at* the threshold with probability ``recall`` or more, take the
    one with the fewest candidates below it (datasketch's ``MinHashLSH`` instead weighs
    both errors equally).
    """
    s = np.linspace(0.0, threshold, 201)
    best, best_area = (num_perm, 1), float("inf")
    for r in range(1, num_perm + 1):
        b = num_perm // r
        if 1.0 - (1.0 - threshold**r) ** b < recall:
            continue
        area = float(np.trapezoid(1.0 - (1.0 - s**r) ** b, s))
        if area < best_area:
            best, best_area = (b, r), area
    return best


def candidate_pairs(signatures: NDArray[np.uint32], bands: int, rows: int) -> set[tuple[int, int]]:
    """Pairs ``(i, j)``, ``i < j``, whose signatures agree on all rows of at least one band."""
    pairs: set[tuple[int, int]] = set()
    n = len(signatures)
    if n < 2:
        return pairs
    for band in range(bands):
        block = np.ascontiguousarray(signatures[:, band * rows : (band + 1) * rows])
        keys = block.view(np.dtype((np.void, block.dtype.itemsize * rows))).ravel()
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        same = np.flatnonzero(sorted_keys[1:] == sorted_keys[:-1])
        if not len(same):
            continue
        for group in _runs(same):
            members = sorted(int(m) for m in order[group[0] : group[-1] + 2])
            pairs.update((a, b) for x, a in enumerate(members) for b in members[x + 1 :])
    return pairs


def _runs(positions: NDArray[np.intp]) -> Iterator[list[int]]:
    """Group consecutive integers: [1, 2, 5] -> [1, 2], [5]."""
    run = [int(positions[0])]
    for p in positions[1:]:
        if p == run[-1] + 1:
            run.append(int(p))
        else:
            yield run
            run = [int(p)]
    yield run


def deduplicate(
    paragraphs: Sequence[str], fp: Fingerprints, start: int, options: DedupOptions
) -> list[Removal]:
    """The removals among a document's ``paragraphs``, fingerprinted from ``start`` of ``fp``.

    Indices in the returned removals are positions in ``paragraphs``.
    """
    stop = start + len(paragraphs)
    removals: list[Removal] = []
    removed: set[int] = set()
    first_by_key: dict[str, int] = {}
    for i in range(stop - start):
        key = fp.keys[start + i]
        if key in first_by_key:
            removals.append(Removal(i, paragraphs[i], EXACT, first_by_key[key], 1.0))
            removed.add(i)
        else:
            first_by_key[key] = i

    unique = [i for i in range(stop - start) if i not in removed and len(fp.shingles[start + i])]
    bands, rows = lsh_bands(options.threshold, options.num_perm)
    candidates: dict[int, list[int]] = {}
    for a, b in candidate_pairs(fp.signatures[[start + i for i in unique]], bands, rows):
        candidates.setdefault(unique[b], []).append(unique[a])

    for later in sorted(candidates):
        best: tuple[float, int] | None = None
        for earlier in sorted(candidates[later]):
            if earlier in removed:
                continue
            similarity = jaccard(fp.shingles[start + earlier], fp.shingles[start + later])
            if similarity < options.threshold:
                continue
            if not _figures_agree(fp.numbers[start + earlier], fp.numbers[start + later]):
                continue
            if best is None or similarity > best[0]:
                best = (similarity, earlier)
        if best is not None:
            removals.append(Removal(later, paragraphs[later], NEAR, best[1], best[0]))
            removed.add(later)
    return sorted(removals, key=lambda r: r.index)


def _figures_agree(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """True when the figures of one paragraph appear, in order, among those of the other."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    rest = iter(long)
    return all(figure in rest for figure in short)
