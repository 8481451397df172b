"""Verification's vectorised reading back and comparing against the reference: the same sets,
signatures and verdicts as fingerprinting and comparing each document and paragraph alone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from cleaner.agreement import documents_agree, names
from cleaner.deduplicate import CONTAINED_MIN, DedupOptions
from cleaner.fingerprint import distinct_runs, fingerprint, numbers, overlap, shared
from cleaner.verification import NOTE_SHARE, _by_documents, read_back

Shingles = np.ndarray[Any, np.dtype[np.uint64]]
# A paragraph: (its set, key, text, whether it is a boilerplate candidate)
Paragraph = tuple[Shingles, str, str, bool]

# Paragraphs that share words, figures and names, so that drawn documents repeat each other
# in part, with and without notes at their ends and inside.
_STORY = "Acme shares rose 5 pct in Moscow on Monday after the Board said nine new mines"
_WORDS = _STORY.split(" ")
POOL = [" ".join(_WORDS[i:] + _WORDS[:i][: 3 + i % 5]) for i in range(len(_WORDS))]
POOL += ["Updated 10:42 GMT", "Read more", "Acme shares fell 6 pct in Moscow on Monday"]


def _union(parts: Sequence[Paragraph]) -> Shingles:
    return np.unique(np.concatenate([np.empty(0, dtype=np.uint64), *(p[0] for p in parts)]))


def _held(shingles: Shingles, other: Shingles) -> bool:
    return len(shingles) == 0 or 2 * int(np.isin(shingles, other).sum()) >= len(shingles)


def _agreeing(
    x: Shingles,
    y: Shingles,
    px: Sequence[Paragraph],
    py: Sequence[Paragraph],
    threshold: float,
    contained: bool = False,
) -> float | None:
    if min(len(x), len(y)) < CONTAINED_MIN:
        return None
    similarity, containment = overlap(x, y)
    share = containment * min(len(x), len(y)) / max(len(x), len(y))
    if (share if contained else similarity) < threshold:
        return None
    figures = [f for p in px for f in numbers(p[1])], [f for p in py for f in numbers(p[1])]
    named = [n for p in px for n in names(p[2])], [n for p in py for n in names(p[2])]
    return similarity if documents_agree(figures, named) >= threshold else None


def _without_notes(
    parts: Sequence[Paragraph], other: Shingles
) -> tuple[list[Paragraph] | None, list[Paragraph] | None, bool] | None:
    """The paragraphs ``other`` holds, those from the first of them to the last, each when
    what it leaves out is short beside it, and whether one it lacks lies inside."""
    held = [_held(p[0], other) for p in parts]
    if not any(held):
        return None
    first, last = held.index(True), len(held) - held[::-1].index(True)

    def short(kept: list[bool]) -> list[Paragraph] | None:
        body = [p for p, k in zip(parts, kept, strict=True) if k]
        notes = sum(len(p[0]) for p, k in zip(parts, kept, strict=True) if not k)
        return body if notes <= NOTE_SHARE * len(_union(body)) else None

    span = [first <= n < last for n in range(len(parts))]
    return short(held), short(span), not all(held[first:last])


def reference_similarity(
    documents: Sequence[Sequence[Paragraph]], a: int, b: int, threshold: float
) -> float | None:
    """:meth:`ReadBack.similarity` as its docstring says it, a paragraph at a time."""
    kept = [[p for p in d if not p[3]] for d in documents]
    stripped = bool(_union(kept[a]).size and _union(kept[b]).size)
    pa, pb = (kept[a], kept[b]) if stripped else (documents[a], documents[b])
    x, y = _union(pa), _union(pb)
    if np.array_equal(x, y) and len(x):
        return 1.0
    similarity = _agreeing(x, y, pa, pb, threshold)
    if similarity is not None or not stripped:
        return similarity
    story_a, story_b = _without_notes(pa, y), _without_notes(pb, x)
    if story_a is None or story_b is None:
        return None
    inside_a, inside_b = story_a[2], story_b[2]
    tries = [] if inside_a and inside_b else [(story_a[0], story_b[0])]
    tries += [(story_a[1], story_b[1])] if inside_a or inside_b else []
    for body_a, body_b in tries:
        if body_a is None or body_b is None or (len(body_a), len(body_b)) == (len(pa), len(pb)):
            continue
        found = _agreeing(_union(body_a), _union(body_b), body_a, body_b, threshold, True)
        if found is not None:
            return found
    return None


@given(
    st.lists(st.lists(st.integers(0, len(POOL) - 1), max_size=8), min_size=2, max_size=6),
    st.sets(st.integers(0, len(POOL) - 1), max_size=4),
    st.sampled_from([0.5, 0.7, 0.85]),
)
def test_read_back_and_similarity_are_the_reference(
    drawn: list[list[int]], boilerplate: set[int], threshold: float
) -> None:
    """Sets, signatures and verdicts of documents read back together are those of each
    document fingerprinted alone and compared a paragraph at a time."""
    options = DedupOptions()
    texts = [[POOL[i] for i in d] for d in drawn]
    pool = fingerprint(POOL, options.num_perm, options.seed, options.shingle_size)
    candidates = np.sort(pool.sequence_hashes()[sorted(boilerplate)])
    found = read_back(np.arange(len(texts)), candidates, options, lambda d: [texts[n] for n in d])
    documents = []
    for n, text in enumerate(texts):
        fp = fingerprint(text, options.num_perm, options.seed, options.shingle_size)
        candidate = np.isin(fp.sequence_hashes(), candidates)
        rows, kept = np.arange(len(text)), np.flatnonzero(~candidate)
        assert np.array_equal(found.whole[n], fp.shingle_union(rows))
        assert np.array_equal(found.stripped[n], fp.shingle_union(kept))
        least = fp.signatures[kept].min(axis=0, initial=0xFFFFFFFF)
        assert np.array_equal(found.stripped_signatures[n], least)
        least = fp.signatures.min(axis=0, initial=0xFFFFFFFF)
        assert np.array_equal(found.whole_signatures[n], least)
        sets = fp.paragraph_sets(rows)
        documents.append([(s, fp.keys[i], text[i], bool(candidate[i])) for i, s in enumerate(sets)])
    for a in range(len(texts)):
        for b in range(len(texts)):
            expected = reference_similarity(documents, a, b, threshold)
            assert found.similarity(a, b, threshold) == expected


@given(st.lists(st.lists(st.integers(0, 9), max_size=6), max_size=5))
def test_distinct_runs_are_each_runs_unique(runs: list[list[int]]) -> None:
    values = np.array([v for run in runs for v in run], dtype=np.uint64)
    distinct, counts = distinct_runs(values, np.array([len(r) for r in runs], dtype=np.int64))
    expected = [np.unique(np.array(run, dtype=np.uint64)) for run in runs]
    assert counts.tolist() == [len(e) for e in expected]
    assert np.array_equal(distinct, np.concatenate([np.empty(0, dtype=np.uint64), *expected]))


@given(st.sets(st.integers(0, 30)), st.sets(st.integers(0, 30)))
def test_shared_is_the_intersection_size(a: set[int], b: set[int]) -> None:
    x, y = (np.array(sorted(s), dtype=np.uint64) for s in (a, b))
    assert shared(x, y) == len(np.intersect1d(x, y)) == len(a & b)


def _cut_pair_by_pair(root: list[int], other: list[int], limit: int) -> list[slice]:
    """The reference of _by_documents: the pairs in order, a cut before each pair that would
    name more than ``limit`` documents since the last cut."""
    cuts, seen = [0], set[int]()
    for k, (r, o) in enumerate(zip(root, other, strict=True)):
        seen.update((r, o))
        if len(seen) > limit:
            cuts.append(k)
            seen = {r, o}
    return [slice(a, b) for a, b in zip(cuts, [*cuts[1:], len(root)], strict=True)]


@given(
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 400)), max_size=2000),
    st.integers(2, 80),
    st.integers(1, 40),
)
def test_pairs_are_cut_by_documents_as_pair_by_pair(
    pairs: list[tuple[int, int]], limit: int, step: int
) -> None:
    root, other = (np.array([p[i] for p in pairs], dtype=np.int64) for i in (0, 1))
    found = _by_documents(root, other, limit, step)
    assert found == _cut_pair_by_pair(root.tolist(), other.tolist(), limit)
