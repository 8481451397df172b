"""Verification: candidate document pairs read back and compared exactly.

LSH proposes pairs from signatures, which estimate similarity and still include boilerplate.
The documents of the candidate pairs, and only those, are read back and fingerprinted again,
whole and without their boilerplate candidates (:func:`read_back`), and each pair is judged
on its exact shingle sets and on the figures and names its documents state
(:meth:`ReadBack.similarity`; :mod:`cleaner.agreement`). :func:`verify` does it for a list
of pairs, which may be any slice of all of them: a pair's verdict depends on it alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from cleaner.agreement import documents_agree
from cleaner.agreement import names as paragraph_names
from cleaner.banding import ESTIMATE_SLACK, agreement
from cleaner.corpus_index import Reader, read_chunks
from cleaner.deduplicate import CONTAINED_MIN, DedupOptions
from cleaner.fingerprint import fingerprint, numbers, overlap

# Documents read back at a time to verify pairs: some 10 KB each, their shingles and paragraphs.
READ_BACK_DOCUMENTS = 4096
# A note added to a story is short beside it: at most this share of the story's shingles.
NOTE_SHARE = 0.25


def lowest_similarity(options: DedupOptions) -> float:
    """The lowest Jaccard similarity of two whole documents that can be duplicates: two
    copies of a story, each holding a share ``t`` (the threshold) of the other, have a
    Jaccard similarity of ``t / (2 - t)``, and notes of ``NOTE_SHARE`` of it on each side
    (see :func:`_without_notes`) keep ``1 / (1 + 2 * NOTE_SHARE)`` of that."""
    t = options.document_threshold
    return t / (2 - t) / (1 + 2 * NOTE_SHARE)


@dataclass(frozen=True)
class ReadParagraph:
    """One paragraph of a document read back: what verifying a pair compares."""

    shingles: NDArray[np.uint64]  # sorted, distinct
    key: str  # the paragraph as fingerprinted (its figures are read from it)
    text: str
    candidate: bool  # a boilerplate candidate

    # Figures and names are read only for the pairs whose words agree, a few of them.
    @cached_property
    def figures(self) -> tuple[str, ...]:
        return numbers(self.key)

    @cached_property
    def names(self) -> tuple[str, ...]:
        return paragraph_names(self.text)


@dataclass
class ReadBack:
    """Documents read back for verification: shingle sets and signatures, whole and without
    their boilerplate candidates (``stripped``), and their paragraphs."""

    whole: list[NDArray[np.uint64]]
    stripped: list[NDArray[np.uint64]]
    whole_signatures: NDArray[np.uint32]
    stripped_signatures: NDArray[np.uint32]
    paragraphs: list[list[ReadParagraph]] = field(default_factory=list)

    def agreement(
        self, a: NDArray[np.int64], b: NDArray[np.int64], stripped: bool = False
    ) -> NDArray[np.float64]:
        """The signature estimate of each pair's similarity."""
        return agreement(self.stripped_signatures if stripped else self.whole_signatures, a, b)

    def similarity(self, a: int, b: int, threshold: float) -> float | None:
        """Exact Jaccard similarity of two documents, boilerplate aside, when one repeats the
        other at ``threshold``; else None.

        Without their boilerplate candidates when both keep some text: copies of a story
        with different footers are copies, and posts that share only a footer are not. When
        one is all candidates (a story scraped three times makes its own paragraphs look like
        boilerplate) the whole texts are compared. The same words, footers aside, make a
        copy whatever its size; otherwise each side needs ``CONTAINED_MIN`` shingles, and
        the figures and the names of one must be found, in order, in the other as much as
        their words agree: templated reports differ in little else.

        A story scraped again after an update carries a note the first scrape lacks, before
        or after it (an update or a correction with its time, "read more"), and a few words
        the editor changed: when the words fall short, the two are compared again without
        the paragraphs at either end of each that the other does not hold
        (:func:`_without_notes`), provided those are short next to what is left. What is
        left is one story when the share of the larger found in the other reaches the
        threshold (a changed word costs it half what it costs the Jaccard similarity) and
        the figures and names agree; the similarity returned is then the Jaccard of the
        stories.
        """
        stripped = len(self.stripped[a]) > 0 and len(self.stripped[b]) > 0
        sets = self.stripped if stripped else self.whole
        if np.array_equal(sets[a], sets[b]) and len(sets[a]):
            return 1.0
        pa = [p for p in self.paragraphs[a] if not (stripped and p.candidate)]
        pb = [p for p in self.paragraphs[b] if not (stripped and p.candidate)]
        similarity = _agreeing(sets[a], sets[b], pa, pb, threshold)
        if similarity is not None:
            return similarity
        if not stripped:
            return None  # a text that is all boilerplate but for a note is no story
        body_a, body_b = _without_notes(pa, sets[b]), _without_notes(pb, sets[a])
        if body_a is None or body_b is None or (len(body_a) == len(pa) and len(body_b) == len(pb)):
            return None
        return _agreeing(_union(body_a), _union(body_b), body_a, body_b, threshold, True)


def _agreeing(
    x: NDArray[np.uint64],
    y: NDArray[np.uint64],
    px: Sequence[ReadParagraph],
    py: Sequence[ReadParagraph],
    threshold: float,
    contained: bool = False,
) -> float | None:
    """The Jaccard similarity of two shingle sets when it (or with ``contained``, the share
    of the larger set found in the other) reaches ``threshold``, both have
    ``CONTAINED_MIN`` shingles, and the figures and the names of their paragraphs agree as
    much (:func:`cleaner.agreement.documents_agree`); else None."""
    if min(len(x), len(y)) < CONTAINED_MIN:
        return None
    similarity, containment = overlap(x, y)
    # the share of the larger set found in the other
    if (
        containment * min(len(x), len(y)) / max(len(x), len(y)) if contained else similarity
    ) < threshold:
        return None
    figures = [f for p in px for f in p.figures], [f for p in py for f in p.figures]
    named = [n for p in px for n in p.names], [n for p in py for n in p.names]
    return similarity if documents_agree(figures, named) >= threshold else None


def _without_notes(
    parts: Sequence[ReadParagraph], other: NDArray[np.uint64]
) -> list[ReadParagraph] | None:
    """``parts`` without the paragraphs at either end that ``other`` (a shingle set) does not
    hold (less than half of their shingles in it); None when those make more than
    ``NOTE_SHARE`` of what is left, which is then another story, not a note."""
    # Only the paragraphs up to the first held one from each end are looked at: the body
    # starts and ends there whatever the others hold.
    first = next((i for i, p in enumerate(parts) if _held(p.shingles, other)), len(parts))
    if first == len(parts):
        return None
    last = len(parts) - next(i for i, p in enumerate(reversed(parts)) if _held(p.shingles, other))
    body = list(parts[first:last])
    notes = sum(len(p.shingles) for p in (*parts[:first], *parts[last:]))
    return body if body and notes <= NOTE_SHARE * len(_union(body)) else None


def _held(shingles: NDArray[np.uint64], other: NDArray[np.uint64]) -> bool:
    """Whether the sorted, distinct set ``other`` holds at least half of ``shingles`` (an
    empty paragraph is held): a binary search of each, not ``np.isin``'s sort of both.

    >>> other = np.array([2, 3, 5, 7], dtype=np.uint64)
    >>> _held(np.array([3, 4], dtype=np.uint64), other)
    True
    >>> _held(np.array([4, 9, 7], dtype=np.uint64), other)
    False
    """
    if not len(other):
        return not len(shingles)
    at = np.minimum(np.searchsorted(other, shingles), len(other) - 1)
    return 2 * int(np.count_nonzero(other[at] == shingles)) >= len(shingles)


def _union(parts: Sequence[ReadParagraph]) -> NDArray[np.uint64]:
    union: NDArray[np.uint64] = np.unique(
        np.concatenate([np.empty(0, dtype=np.uint64), *(p.shingles for p in parts)])
    )
    return union


def verify(
    root: NDArray[np.int64],
    other: NDArray[np.int64],
    same_url: NDArray[np.bool_],
    candidates: NDArray[np.uint64],
    options: DedupOptions,
    read: Reader,
    read_only: int = 0,
    first: bool = True,
) -> NDArray[np.float64]:
    """Each pair's exact similarity when ``other`` repeats ``root`` at the document threshold
    (:meth:`ReadBack.similarity`), NaN when not or when the decision cannot ask for it. Only
    the pairs' documents are read back (``candidates``: the boilerplate candidates, left out);
    pairs whose signatures agree far less than the lowest similarity a duplicate can have are
    not compared, unless the two share a canonical URL.

    The decision (:func:`cleaner.clustering.keep_decision`) takes the pairs in order and asks
    only for those whose two documents are both still there, and never removes one of the
    first ``read_only``. With ``first`` (these pairs are the first ones, in order), a pair
    whose document an earlier pair removed is not compared either: comparing costs most of
    the decision, and a slice of later pairs cannot know which documents went before it.
    """
    similarity = np.full(len(root), np.nan)
    # a byte a document up to the last one named, not a set of the removed (most, in a
    # corpus that repeats its documents)
    removed = bytearray(int(max(root.max(), other.max())) + 1 if len(root) else 0)
    for part in _by_documents(root, other, READ_BACK_DOCUMENTS):
        involved = np.unique(np.concatenate([root[part], other[part]]))
        documents = read_back(involved, candidates, options, read)
        root_at = np.searchsorted(involved, root[part])
        other_at = np.searchsorted(involved, other[part])
        agree = np.maximum(
            documents.agreement(root_at, other_at, True), documents.agreement(root_at, other_at)
        )
        worth = (agree >= lowest_similarity(options) - ESTIMATE_SLACK) | same_url[part]
        for k in np.flatnonzero(worth & (other[part] >= read_only)).tolist():
            r, o = int(root[part.start + k]), int(other[part.start + k])
            if first and (removed[r] or removed[o]):
                continue
            threshold = options.document_threshold
            found = documents.similarity(int(root_at[k]), int(other_at[k]), threshold)
            if found is not None:
                similarity[part.start + k] = found
                removed[o] = 1
    return similarity


def _by_documents(root: NDArray[np.int64], other: NDArray[np.int64], limit: int) -> list[slice]:
    """The pairs in consecutive slices, each naming at most ``limit`` documents: a slice's
    documents are read back together, so a process holds that many, not all those of the
    pairs (a document of pairs in two slices is read twice)."""
    cuts, seen = [0], set[int]()
    step = 1 << 16
    for start in range(0, len(root), step):
        chunk = (root[start : start + step].tolist(), other[start : start + step].tolist())
        for k, (r, o) in enumerate(zip(*chunk, strict=True), start):
            seen.update((r, o))
            if len(seen) > limit:
                cuts.append(k)
                seen = {r, o}
    return [slice(a, b) for a, b in pairwise([*cuts, len(root)])]


def read_back(
    documents: NDArray[np.int64],
    candidates: NDArray[np.uint64],
    options: DedupOptions,
    read: Reader,
) -> ReadBack:
    """Exact shingle sets and signatures of documents, whole and without boilerplate."""
    count, m = len(documents), options.num_perm
    found = ReadBack([], [], _unseen(count, m), _unseen(count, m))
    start = 0
    for _, texts in read_chunks(read, documents):
        paragraphs_read = [p for paragraphs in texts for p in paragraphs]
        fp = fingerprint(paragraphs_read, options.num_perm, options.seed, options.shingle_size)
        wanted = ~np.isin(fp.sequence_hashes(), candidates)
        first = 0
        for n, paragraphs in enumerate(texts, start):
            rows = np.arange(first, first + len(paragraphs))
            first += len(paragraphs)
            kept = rows[wanted[rows]]
            found.whole.append(fp.shingle_union(rows))
            found.stripped.append(fp.shingle_union(kept))
            found.paragraphs.append(
                [
                    ReadParagraph(shingles, fp.keys[i], paragraphs_read[i], not wanted[i])
                    for i, shingles in zip(rows.tolist(), fp.paragraph_sets(rows), strict=True)
                ]
            )
            found.whole_signatures[n] = fp.signatures[rows].min(axis=0, initial=0xFFFFFFFF)
            found.stripped_signatures[n] = fp.signatures[kept].min(axis=0, initial=0xFFFFFFFF)
        start += len(texts)
    return found


def _unseen(documents: int, num_perm: int) -> NDArray[np.uint32]:
    return np.full((documents, num_perm), 0xFFFFFFFF, dtype=np.uint32)
