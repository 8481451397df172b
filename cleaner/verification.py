"""Verification: candidate document pairs read back and compared exactly.

LSH proposes pairs from signatures, which estimate similarity and still include boilerplate.
The documents of the candidate pairs, and only those, are read back and fingerprinted again,
whole and without their boilerplate candidates (:func:`read_back`), and each pair is judged
on its exact shingle sets and on the figures and names its documents state
(:meth:`ReadBack.similarity`; :mod:`cleaner.agreement`). :func:`verify` does it for a list
of pairs, which may be any slice of all of them: a pair's verdict depends on it alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from cleaner.agreement import documents_agree
from cleaner.agreement import names as paragraph_names
from cleaner.banding import ESTIMATE_SLACK, agreement
from cleaner.corpus_index import Reader, read_chunks
from cleaner.deduplicate import CONTAINED_MIN, DedupOptions
from cleaner.fingerprint import (
    distinct,
    distinct_runs,
    fingerprint,
    found_in,
    isin,
    numbers,
    overlap_of,
    reduce_runs,
    shared,
)

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
class Runs:
    """Sorted, distinct shingle sets laid end to end: set ``i`` is
    ``values[starts[i] : starts[i + 1]]``, a view."""

    values: NDArray[np.uint64]
    starts: list[int]  # a list: each pair compared looks up a few, which numpy would box
    sizes: NDArray[np.int64]

    @classmethod
    def of(cls, values: NDArray[np.uint64], sizes: NDArray[np.int64]) -> Runs:
        """The runs of ``sizes[i]`` values each."""
        return cls(values, [0, *np.cumsum(sizes).tolist()], sizes)

    def __getitem__(self, i: int) -> NDArray[np.uint64]:
        return self.values[self.starts[i] : self.starts[i + 1]]

    def size(self, i: int) -> int:
        return self.starts[i + 1] - self.starts[i]


@dataclass(frozen=True)
class Parts:
    """The paragraphs of documents read back, all of them or only those that are not
    boilerplate candidates: each one's shingle set, in reading order."""

    sets: Runs
    first: list[int]  # document n's paragraphs are first[n] to first[n + 1]
    rows: list[int]  # each paragraph's number among all those read back (its text's)

    def of(self, document: int) -> range:
        return range(self.first[document], self.first[document + 1])

    def shingles(self, paragraphs: range) -> tuple[NDArray[np.uint64], NDArray[np.int64]]:
        """The sets of some consecutive paragraphs end to end, and each one's size."""
        start, stop = self.sets.starts[paragraphs.start], self.sets.starts[paragraphs.stop]
        return self.sets.values[start:stop], self.sets.sizes[paragraphs.start : paragraphs.stop]

    def union(self, paragraphs: Sequence[int]) -> NDArray[np.uint64]:
        """The union of the sets of some paragraphs."""
        union: NDArray[np.uint64] = distinct(
            np.concatenate([self.sets.values[:0], *(self.sets[n] for n in paragraphs)])
        )
        return union


@dataclass
class ReadBack:
    """Documents read back for verification: shingle sets and signatures, whole and without
    their boilerplate candidates (``stripped``), and their paragraphs (``paragraphs``, and
    ``kept`` those that are not candidates) with the text of each."""

    whole: Runs
    stripped: Runs
    whole_signatures: NDArray[np.uint32]
    stripped_signatures: NDArray[np.uint32]
    paragraphs: Parts
    kept: Parts
    keys: list[str]  # each paragraph as fingerprinted (its figures are read from it)
    texts: list[str]
    # Each paragraph's figures (by its key) and names (by its text), read for the pairs whose
    # words agree, a few of them; those are mostly copies, whose paragraphs repeat.
    _figures: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _names: dict[str, tuple[str, ...]] = field(default_factory=dict)

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

        A story scraped again after an update carries a note the first scrape lacks (an
        update or a correction with its time, "read more", at either end, under the headline
        or between two paragraphs), a paragraph added or taken out, and a few words the
        editor changed: when the words fall short, the two are compared again without the
        paragraphs of each that the other does not hold (:func:`_without_notes`), provided
        those are short next to what is left. Those inside the stories go when they are on
        one side only (added or taken out). A paragraph that the other replaces by its own
        there (a lead rewritten as the story develops, or a templated report's line of other
        figures) goes from the words compared but not from the figures and names: the
        facts one says in the place of the other must agree as much as the words do, which
        a template's other figures do not (at the ends, a note may replace a note, and goes
        from both). What is left is one story when the share of the larger found in the
        other reaches the threshold (a changed word costs it half what it costs the Jaccard
        similarity) and the figures and names agree; the similarity returned is then the
        Jaccard of the stories.
        """
        stripped = self.stripped.size(a) > 0 and self.stripped.size(b) > 0
        sets, parts = (self.stripped, self.kept) if stripped else (self.whole, self.paragraphs)
        x, y = sets[a], sets[b]
        if len(x) == len(y) and np.array_equal(x, y) and len(x):
            return 1.0
        if min(len(x), len(y)) < CONTAINED_MIN:
            return None  # and so are their stories without notes, which are parts of them
        pa, pb = parts.of(a), parts.of(b)
        common = shared(x, y)
        similarity = _agreeing(
            len(x), len(y), common, threshold, lambda: self._agree(stripped, pa, pb)
        )
        if similarity is not None:
            return similarity
        if not stripped:
            return None  # a text that is all boilerplate but for a note is no story
        # Stories without notes are parts of these sets, each at least 1 / (1 + NOTE_SHARE)
        # of its own: when even that cannot make the share asked for, they are not compared
        # (less a margin for rounding, that this never drops a pair the comparison would keep).
        if (1 + NOTE_SHARE) * common < (threshold - 1e-9) * max(len(x), len(y)):
            return None
        story_a = _without_notes(*parts.shingles(pa), y)
        story_b = _without_notes(*parts.shingles(pb), x) if story_a is not None else None
        if story_a is None or story_b is None:
            return None
        # Without every paragraph the other lacks, unless both lack some inside; then, and
        # when that falls short, without those at their ends only; and last, where each
        # replaced one inside by its own, without those in the words but with them in the
        # figures and names.
        both_inside = story_a.inside and story_b.inside
        tries: list[tuple[Sequence[int] | None, ...]] = []
        if not both_inside:
            tries.append((story_a.held, story_b.held) * 2)
        if story_a.inside or story_b.inside:  # else the same paragraphs again
            tries.append((story_a.span, story_b.span) * 2)
        if both_inside:
            tries.append((story_a.held, story_b.held, story_a.span, story_b.span))
        for some_a, some_b, said_a, said_b in tries:
            if some_a is None or some_b is None or said_a is None or said_b is None:
                continue
            if (len(some_a), len(some_b)) == (len(pa), len(pb)):
                continue
            body_a, body_b = _within(pa, some_a), _within(pb, some_b)
            x, y = parts.union(body_a), parts.union(body_b)
            similarity = _agreeing(
                len(x),
                len(y),
                shared(x, y),
                threshold,
                partial(self._agree, stripped, _within(pa, said_a), _within(pb, said_b)),
                True,
            )
            if similarity is not None:
                return similarity
        return None

    def _agree(self, stripped: bool, a: Sequence[int], b: Sequence[int]) -> float:
        """How far the figures and the names of two documents' paragraphs (some of them, in
        order) agree (:func:`cleaner.agreement.documents_agree`)."""
        rows = (self.kept if stripped else self.paragraphs).rows
        ra, rb = [rows[i] for i in a], [rows[i] for i in b]
        keys, texts = self.keys, self.texts
        return documents_agree(
            (
                _read_once(self._figures, numbers, [keys[i] for i in ra]),
                _read_once(self._figures, numbers, [keys[i] for i in rb]),
            ),
            (
                _read_once(self._names, paragraph_names, [texts[i] for i in ra]),
                _read_once(self._names, paragraph_names, [texts[i] for i in rb]),
            ),
        )


def _read_once(
    known: dict[str, tuple[str, ...]], read: Callable[[str], tuple[str, ...]], texts: list[str]
) -> list[str]:
    """What ``read`` finds in some texts, end to end, each text read once (``known``)."""
    found: list[str] = []
    for text in texts:
        said = known.get(text)
        if said is None:
            said = known[text] = read(text)
        found += said
    return found


def _within(paragraphs: range, some: Sequence[int]) -> list[int]:
    """The paragraphs ``some`` of a run of them, counted as the run's are."""
    return [paragraphs.start + n for n in some]


def _agreeing(
    x: int,
    y: int,
    common: int,
    threshold: float,
    agree: Callable[[], float],
    contained: bool = False,
) -> float | None:
    """The Jaccard similarity of two shingle sets (of ``x`` and ``y`` shingles, ``common``
    of them in both) when it (or with ``contained``, the share of the larger set found in
    the other) reaches ``threshold``, both have ``CONTAINED_MIN`` shingles, and the figures
    and the names of their paragraphs agree as much (``agree()``, asked only then:
    :func:`cleaner.agreement.documents_agree`); else None."""
    if min(x, y) < CONTAINED_MIN:
        return None
    similarity, containment = overlap_of(common, x, y)
    # the share of the larger set found in the other
    if (containment * min(x, y) / max(x, y) if contained else similarity) < threshold:
        return None
    return similarity if agree() >= threshold else None


@dataclass(frozen=True)
class Story:
    """A document's paragraphs that another holds, left without those it lacks: all of them
    (``held``), or only those at either end (``span``, from the first paragraph held to the
    last); either None when what it leaves out is more than ``NOTE_SHARE`` of what it keeps,
    which is then another story, not a revision of it. ``inside``: a paragraph it lacks lies
    between two it holds."""

    held: list[int] | None
    span: range | None
    inside: bool


def _without_notes(
    shingles: NDArray[np.uint64], sizes: NDArray[np.int64], other: NDArray[np.uint64]
) -> Story | None:
    """Of some paragraphs (their shingle sets end to end, and each one's size), the story
    that ``other`` (a shingle set) holds, a paragraph held when at least half of its shingles
    are; None when it holds none."""
    is_held = _held(shingles, sizes, other)
    held = np.flatnonzero(is_held)
    if not len(held):
        return None
    first, last = int(held[0]), int(held[-1]) + 1
    ends = np.cumsum(sizes)
    inside = len(held) < last - first
    held_short = _short(shingles, sizes, ends, held)
    # without a paragraph lacking inside, the span is the paragraphs held
    span_short = _short(shingles, sizes, ends, np.arange(first, last)) if inside else held_short
    return Story(
        held.tolist() if held_short else None, range(first, last) if span_short else None, inside
    )


def _short(
    shingles: NDArray[np.uint64],
    sizes: NDArray[np.int64],
    ends: NDArray[np.int64],
    kept: NDArray[np.int64],
) -> bool:
    """Whether the paragraphs left out of ``kept`` (their shingles) are at most
    ``NOTE_SHARE`` of what it keeps: of its paragraphs' sets together, and of their union,
    which is no larger (most notes too long are told without it)."""
    notes = int(sizes.sum() - sizes[kept].sum())
    if not notes:
        return True
    pieces = (shingles[end - size : end] for end, size in zip(ends[kept], sizes[kept], strict=True))
    body = np.concatenate([shingles[:0], *pieces])
    return notes <= NOTE_SHARE * len(body) and notes <= NOTE_SHARE * len(distinct(body))


def _held(
    shingles: NDArray[np.uint64], sizes: NDArray[np.int64], other: NDArray[np.uint64]
) -> NDArray[np.bool_]:
    """Whether the sorted, distinct set ``other`` holds at least half of each paragraph's
    shingles (their sets end to end, ``sizes`` of them each; an empty paragraph is held): a
    binary search of each shingle, not ``np.isin``'s sort of both.

    >>> other = np.array([2, 3, 5, 7], dtype=np.uint64)
    >>> _held(np.array([3, 4, 4, 9, 7], dtype=np.uint64), np.array([2, 0, 3]), other)
    array([ True,  True, False])
    """
    held: NDArray[np.bool_] = 2 * _sums(found_in(other, shingles), sizes) >= sizes
    return held


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
    not compared, unless the two share a canonical URL: the signatures of the texts without
    boilerplate where both keep some, as :meth:`ReadBack.similarity` compares those.

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
        involved = distinct(np.concatenate([root[part], other[part]]))
        documents = read_back(involved, candidates, options, read)
        root_at = np.searchsorted(involved, root[part])
        other_at = np.searchsorted(involved, other[part])
        # The estimate of what ReadBack.similarity compares: the texts without boilerplate
        # where both keep some. Posts of a channel share a long footer, so that each whole
        # agrees with many others, but their own texts do not.
        sizes = documents.stripped.sizes
        stripped = (sizes[root_at] > 0) & (sizes[other_at] > 0)
        agree = np.empty(len(root_at))
        for which in (True, False):
            at = stripped == which
            agree[at] = documents.agreement(root_at[at], other_at[at], which)
        worth = (agree >= lowest_similarity(options) - ESTIMATE_SLACK) | same_url[part]
        roots, others = root[part].tolist(), other[part].tolist()
        at_root, at_other = root_at.tolist(), other_at.tolist()
        for k in np.flatnonzero(worth & (other[part] >= read_only)).tolist():
            if first and (removed[roots[k]] or removed[others[k]]):
                continue
            threshold = options.document_threshold
            found = documents.similarity(at_root[k], at_other[k], threshold)
            if found is not None:
                similarity[part.start + k] = found
                removed[others[k]] = 1
    return similarity


def _by_documents(
    root: NDArray[np.int64], other: NDArray[np.int64], limit: int, step: int = 1 << 12
) -> list[slice]:
    """The pairs in consecutive slices, each naming at most ``limit`` documents: a slice's
    documents are read back together, so a process holds that many, not all those of the
    pairs (a document of pairs in two slices is read twice)."""
    cuts, seen = [0], set[int]()
    for start in range(0, len(root), step):  # a chunk of pairs at a time
        chunk = root[start : start + step], other[start : start + step]
        named = distinct(np.concatenate(chunk)).tolist()
        if len(seen) + len(named) <= limit:  # no pair of the chunk can bring a cut
            seen.update(named)
            continue
        for k, (r, o) in enumerate(zip(*(c.tolist() for c in chunk), strict=True), start):
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
    """Exact shingle sets and signatures of documents, whole and without boilerplate, and
    their paragraphs' sets: each kind from one sort of them all (:func:`distinct_runs`), not
    one per document or paragraph."""
    whole_signatures = _unseen(len(documents), options.num_perm)
    stripped_signatures = _unseen(len(documents), options.num_perm)
    keys: list[str] = []
    texts: list[str] = []
    shingles, sizes = [np.empty(0, dtype=np.uint64)], [np.empty(0, dtype=np.int64)]
    wanted, counts = [np.empty(0, dtype=bool)], [np.empty(0, dtype=np.int64)]
    start = 0
    for _, chunk in read_chunks(read, documents):
        paragraphs = [p for document in chunk for p in document]
        fp = fingerprint(paragraphs, options.num_perm, options.seed, options.shingle_size)
        kept = ~isin(fp.sequence_hashes(), candidates)
        per_document = np.array([len(document) for document in chunk], dtype=np.int64)
        stop = start + len(chunk)
        whole_signatures[start:stop] = _least(fp.signatures, per_document)
        stripped_signatures[start:stop] = _least(fp.signatures[kept], _sums(kept, per_document))
        values, distinct = distinct_runs(*fp.paragraph_shingles(np.arange(len(paragraphs))))
        shingles.append(values)
        sizes.append(distinct)
        wanted.append(kept)
        counts.append(per_document)
        keys += fp.keys
        texts += paragraphs
        start = stop
    every = _parts(np.concatenate(shingles), np.concatenate(sizes), np.concatenate(counts))
    kept = np.concatenate(wanted)
    stripped = _parts(
        every.sets.values[np.repeat(kept, every.sets.sizes)],
        every.sets.sizes[kept],
        _sums(kept, np.concatenate(counts)),
        np.flatnonzero(kept),
    )
    return ReadBack(
        _union_of_each(every),
        _union_of_each(stripped),
        whole_signatures,
        stripped_signatures,
        every,
        stripped,
        keys,
        texts,
    )


def _parts(
    shingles: NDArray[np.uint64],
    sizes: NDArray[np.int64],
    per_document: NDArray[np.int64],
    rows: NDArray[np.int64] | None = None,
) -> Parts:
    """Paragraphs' sets (end to end, ``sizes`` of each), ``per_document`` of them a document."""
    return Parts(
        Runs.of(shingles, sizes),
        [0, *np.cumsum(per_document).tolist()],
        (np.arange(len(sizes)) if rows is None else rows).tolist(),
    )


def _union_of_each(parts: Parts) -> Runs:
    """Each document's set: the union of its paragraphs'."""
    return Runs.of(*distinct_runs(parts.sets.values, _sums(parts.sets.sizes, np.diff(parts.first))))


def _sums(
    values: NDArray[np.bool_] | NDArray[np.int64], counts: NDArray[np.int64]
) -> NDArray[np.int64]:
    """The sum of each run of ``counts[i]`` values (0 for none)."""
    sums: NDArray[np.int64] = reduce_runs(np.add, values.astype(np.int64), counts, 0)
    return sums


def _least(signatures: NDArray[np.uint32], counts: NDArray[np.int64]) -> NDArray[np.uint32]:
    """The elementwise minimum of each run of ``counts[i]`` signatures (the MinHash of the
    union of their sets; all 0xFFFFFFFF for none)."""
    least: NDArray[np.uint32] = reduce_runs(np.minimum, signatures, counts, 0xFFFFFFFF)
    return least


def _unseen(documents: int, num_perm: int) -> NDArray[np.uint32]:
    return np.full((documents, num_perm), 0xFFFFFFFF, dtype=np.uint32)
