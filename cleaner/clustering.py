"""Clustering: which document of each group of duplicates stays (``--keep``).

Documents are ranked by preference (:func:`preference`): input order (``first``), kept text
(``longest``) or publication date (``newest``), documents of corpora already written first.
Documents with the same words in the same order need no verification: each text's preferred
copy stands for the others (:func:`same_text`). Verified pairs are then taken from the
preferred side (:func:`oriented`), in order of preference, and each document not yet removed
keeps its cluster: every partner not yet removed that repeats *it* is removed in its favour
(:func:`keep_decision`). So A~B and B~C never put C with A unless C~A holds, and the outcome
depends on the pairs and the ranks alone, not on how the pairs were found.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cleaner.corpus_index import CorpusIndex, in_chunks

PAIRS_CHUNK = 1 << 16  # pairs the decision takes into Python lists at a time


def preference(index: CorpusIndex, keep: str, read_only: int = 0) -> NDArray[np.int64]:
    """Each document's rank: the lower, the likelier it is kept; the first ``read_only``
    documents (corpora already written) come first.

    ``newest``: the latest published first; a document that gives no date comes after those
    that do (a dated copy says more); equal or unknown dates go by the file's modification
    time, latest first, then by input order.
    """
    position = np.arange(index.documents)
    if keep == "first":
        return position
    if keep == "newest":
        published, modified = index.published, index.modified
        keys: tuple[NDArray[Any], ...] = (
            position,
            np.where(np.isnan(modified), np.inf, -modified),
            np.where(np.isnan(published), np.inf, -published),
        )
    else:
        keys = (position, -index.chars)
    read_only_first = tuple(np.where(position < read_only, -1, key) for key in keys[1:])
    order = np.lexsort((position, *read_only_first, position >= read_only))
    rank = np.empty_like(position)
    rank[order] = position
    return rank


def same_text(
    text_hash: NDArray[np.uint64], rank: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Documents with words (``texts``), the preferred one of each text (``heads``, which
    stand for the others in the decision), and for each document its head (a head is its
    own)."""
    texts = np.flatnonzero(text_hash != 0)
    texts = texts[np.lexsort((rank[texts], text_hash[texts]))]
    new_text = np.r_[True, text_hash[texts[1:]] != text_hash[texts[:-1]]]
    heads = texts[new_text] if len(texts) else texts
    head_of = np.repeat(heads, np.diff(np.r_[np.flatnonzero(new_text), len(texts)]))
    return texts, heads, head_of


def oriented(
    a: NDArray[np.int64], b: NDArray[np.int64], rank: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Pairs taken from their preferred side, ``(root, other)``, and the order in which the
    decision takes them: by the root's rank, then the other's."""
    swap = rank[a] > rank[b]
    root, other = np.where(swap, b, a), np.where(swap, a, b)
    return root, other, np.lexsort((rank[other], rank[root]))


@dataclass
class Duplicates:
    """The documents removed as duplicates: for each document of the index, the one kept
    instead (``kept_as``, -1 for a document that stays) and their similarity (NaN for one that
    stays). Two numbers a document, not an object a duplicate: in a corpus that repeats its
    documents, the duplicates are most of them."""

    kept_as: NDArray[np.int64]
    similarity: NDArray[np.float64]

    @property
    def removed(self) -> NDArray[np.int64]:
        """The documents removed, ascending."""
        return np.flatnonzero(self.kept_as >= 0)

    def as_dict(self) -> dict[int, tuple[int, float]]:
        """Each document removed, with the one kept instead and their similarity."""
        removed = self.removed
        pairs = zip(self.kept_as[removed].tolist(), self.similarity[removed].tolist(), strict=True)
        return dict(zip(removed.tolist(), pairs, strict=True))


def keep_decision(
    root: NDArray[np.int64],
    other: NDArray[np.int64],
    similarity: NDArray[np.float64],
    texts: NDArray[np.int64],
    head_of: NDArray[np.int64],
    documents: int,
    read_only: int = 0,
) -> Duplicates:
    """The documents removed (of ``documents``), each with the one kept instead and their
    similarity.

    ``root``/``other`` are oriented pairs in the order to take them (:func:`oriented`);
    ``similarity`` is each pair's when its other document repeats its root, NaN when not.
    ``texts`` and ``head_of`` are :func:`same_text`'s: a copy goes wherever its head goes.
    The first ``read_only`` documents are never removed.
    """
    found = Duplicates(np.full(documents, -1, dtype=np.int64), np.full(documents, np.nan))
    gone = bytearray(documents)  # read a pair at a time: a byte is quicker than an array's
    # Pairs go to Python lists a chunk at a time (a list takes about five times the memory
    # of its array), the pages of pairs on disk released after each.
    for part in in_chunks([root, other], len(root), PAIRS_CHUNK):
        pairs = (root[part].tolist(), other[part].tolist(), similarity[part].tolist())
        removed: list[tuple[int, int, float]] = []
        for r, o, s in zip(*pairs, strict=True):
            if not math.isnan(s) and not gone[r] and not gone[o] and o >= read_only:
                gone[o] = 1
                removed.append((o, r, s))
        if removed:
            o, r, s = (list(column) for column in zip(*removed, strict=True))
            found.kept_as[o], found.similarity[o] = r, s
    # Heads are never copies, and copies are in no pair: each copy follows its head as the
    # pairs left it.
    copies = (texts != head_of) & (texts >= read_only)
    copy, head = texts[copies], head_of[copies]
    head_gone = found.kept_as[head] >= 0
    found.kept_as[copy] = np.where(head_gone, found.kept_as[head], head)
    found.similarity[copy] = np.where(head_gone, found.similarity[head], 1.0)
    return found
