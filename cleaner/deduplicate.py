"""Deduplicate: drop the repeated paragraphs of a document, keeping the first occurrence.

Two kinds of repeat are removed, and each removal records what it repeats and how similar:

- ``exact_duplicate``: the same comparison key (see :func:`cleaner.fingerprint.normalize`),
  i.e. the same text up to case, Unicode form, quote and dash variants and whitespace.
- ``near_duplicate``: MinHash LSH proposes candidate pairs (banding the signatures), and a
  candidate is removed only when the *exact* Jaccard similarity of the two shingle sets
  reaches the threshold **and** the paragraphs agree on their figures (the numbers of one
  appear, in order, among the numbers of the other, and none stands where the other has
  words) and their names: market reports that differ only in their numbers are different
  news. A word misspelt by one edit counts as the word (:func:`respelled`), and a link is
  not a statement (see :func:`verify`). A copy found by containment must be one cut of the
  original (:func:`one_cut`): an author's summary is not a scraper's copy.

An exact repeat of a short line that a list, a table or code repeats in parallel company
stays (:func:`list_structure`).

A paragraph is compared only with paragraphs already kept, so a chain A~B~C never removes C
for resembling a paragraph that was itself removed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from cleaner.compiled import compiled
from cleaner.document import Removal
from cleaner.fingerprint import (
    NUM_PERM,
    SEED,
    SHINGLE_SIZE,
    Fingerprints,
    normalize,
    numbers,
    overlap,
    shingles,
    words,
)

CONTAINED_MIN = 8  # shingles a copy needs before containment alone can make it a repeat
EXACT = "exact_duplicate"
NEAR = "near_duplicate"


@dataclass(frozen=True)
class DedupOptions:
    threshold: float = 0.9  # exact Jaccard similarity that makes a near repeat
    shingle_size: int = SHINGLE_SIZE
    num_perm: int = NUM_PERM
    seed: int = SEED
    # A copy trimmed (a sentence dropped) or extended (a dateline added) has a low Jaccard
    # similarity but lies almost wholly inside the other: containment catches it.
    containment: float = 0.85
    min_words: int = 5  # shorter paragraphs are only ever exact repeats
    # Across documents (see cleaner.deduplicate_corpus): "document" leaves documents alone.
    scope: str = "corpus"
    # Of a cluster of duplicate documents: "first", "longest" or "newest" (published, then
    # the file's modification time).
    keep: str = "first"
    document_threshold: float = 0.85  # exact Jaccard similarity of two duplicate documents
    boilerplate_min_docs: int = 10  # documents a paragraph must recur in to be boilerplate

    def __post_init__(self) -> None:
        if self.scope not in ("document", "corpus"):
            raise ValueError(f"scope must be 'document' or 'corpus', not {self.scope!r}")
        if self.keep not in ("first", "longest", "newest"):
            raise ValueError(f"keep must be 'first', 'longest' or 'newest', not {self.keep!r}")


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


# Odd multipliers that fold a band's rows into one 64-bit key (collisions only add candidates).
_BAND_MIX = np.random.RandomState(0x5EED).randint(1, 1 << 62, 1024, dtype=np.uint64) * np.uint64(
    2
) + np.uint64(1)


def band_keys(signatures: NDArray[np.uint32], band: int, rows: int) -> NDArray[np.uint64]:
    """One 64-bit key per signature for its rows of ``band``: equal rows, equal keys."""
    block = signatures[:, band * rows : (band + 1) * rows].astype(np.uint64)
    keys: NDArray[np.uint64] = (block * _BAND_MIX[:rows]).sum(axis=1) ^ block[:, 0]
    return keys


def candidate_pairs(
    signatures: NDArray[np.uint32],
    bands: int,
    rows: int,
    groups: NDArray[np.int64] | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Pairs ``(i, j)``, ``i < j``, whose signatures agree on all rows of at least one band.

    With ``groups``, only pairs within the same group (e.g. the same document) are proposed.
    Returned as two arrays, sorted by ``i`` then ``j``, each pair once.
    """
    n = len(signatures)
    salt = np.zeros(n, dtype=np.uint64)
    if groups is not None:
        salt = groups.astype(np.uint64) * _BAND_MIX[-1]
    found: list[NDArray[np.int64]] = []
    for band in range(bands if n > 1 else 0):
        # The group folded into the key: a collision only adds a candidate, never loses one.
        keys = band_keys(signatures, band, rows) ^ salt
        order = np.argsort(keys)
        k = keys[order]
        run = np.cumsum(np.concatenate([[0], k[1:] != k[:-1]]))
        # Members of a run of equal keys, `distance` apart in sorted order, all pair up.
        distance = 1
        while distance < n:
            same = np.flatnonzero(run[distance:] == run[:-distance])
            if not len(same):
                break
            a, b = order[same], order[same + distance]
            found.append(np.minimum(a, b) * n + np.maximum(a, b))
            distance += 1
    codes = np.unique(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)
    return codes // max(n, 1), codes % max(n, 1)


_NEAR_PAIRS: Callable[[bytes, bytes, int, int, int, int], bytes] | None = compiled("near_pairs")


def near_pairs(
    signatures: NDArray[np.uint32],
    groups: NDArray[np.int64],
    bands: int,
    rows: int,
    min_estimate: float,
    use_kernel: bool = True,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The pairs worth verifying: :func:`candidate_pairs` within ``groups`` (which must come
    in runs, a document's rows together) whose signatures agree on a share ``min_estimate``
    or more of their entries, as two arrays sorted by ``i`` then ``j``.

    The C kernel compares every pair of a group instead of banding (documents are small);
    without it, or with ``use_kernel=False``, bands are hashed with numpy. Both give the same
    pairs (banding can add a pair on a 64-bit key collision, which verification then drops).
    """
    m = signatures.shape[1]
    # The least number of agreeing entries whose share c / m reaches the estimate, computed
    # as numpy's mean computes the share, so that both paths draw the line at the same pair.
    need = next((c for c in range(m + 1) if c / m >= min_estimate), m + 1)
    if use_kernel and _NEAR_PAIRS is not None:
        sigs = np.ascontiguousarray(signatures, dtype=np.uint32)
        found = _NEAR_PAIRS(
            sigs.tobytes(),
            np.ascontiguousarray(groups, dtype=np.int64).tobytes(),
            m,
            bands,
            rows,
            need,
        )
        pairs = np.frombuffer(found, dtype=np.int64).reshape(-1, 2)
        return pairs[:, 0], pairs[:, 1]
    first, second = candidate_pairs(signatures, bands, rows, groups)
    agree = (signatures[first] == signatures[second]).sum(axis=1) if len(first) else first
    keep = agree >= need
    return first[keep], second[keep]


def deduplicate(
    documents: Sequence[Sequence[str]], fp: Fingerprints, options: DedupOptions
) -> list[list[Removal]]:
    """The removals in each document of a batch whose paragraphs, in order, ``fp`` describes.

    Indices in the removals are positions in the document's paragraph list.
    """
    starts = np.cumsum([0, *map(len, documents)])
    doc_of = np.repeat(np.arange(len(documents)), [len(d) for d in documents])
    if options.min_words > options.shingle_size:
        # n >= k words make n - k + 1 shingles: counting them spares tokenising again
        enough = options.min_words - options.shingle_size + 1
        eligible = np.flatnonzero(fp.shingle_counts() >= enough).astype(np.int64)
    else:
        long_enough = [len(words(key)) >= options.min_words for key in fp.keys]
        eligible = np.flatnonzero(long_enough).astype(np.int64)
    floor = _candidate_threshold(options)
    bands, rows = lsh_bands(floor, options.num_perm)
    # Pairs whose signatures agree far less than a repeat's would are not worth verifying:
    # 0.15 under the floor is over three standard errors of the estimate at 128 permutations.
    first, second = near_pairs(fp.signatures[eligible], doc_of[eligible], bands, rows, floor - 0.15)
    candidates: dict[int, list[int]] = {}
    for a, b in zip(eligible[first].tolist(), eligible[second].tolist(), strict=True):
        candidates.setdefault(b, []).append(a)
    with_candidates = set(doc_of[eligible[second]].tolist())

    # One pass in reading order, comparing each paragraph with the *kept* ones only.
    removals: list[list[Removal]] = [[] for _ in documents]
    removed: set[int] = set()
    for d, paragraphs in enumerate(documents):
        start = int(starts[d])
        keys = fp.keys[start : start + len(paragraphs)]
        if d not in with_candidates and len(set(keys)) == len(keys):
            continue  # nothing to remove: most documents
        kept_by_key: dict[str, int] = {}
        for i, paragraph in enumerate(paragraphs):
            key = keys[i]
            if key in kept_by_key:
                j = kept_by_key[key]
                if not list_structure(keys, j, i):
                    removals[d].append(Removal(i, paragraph, EXACT, paragraphs[j], j, 1.0))
                    removed.add(start + i)
                continue
            best: tuple[float, float, int] | None = None
            for earlier in sorted(candidates.get(start + i, ())):
                if earlier in removed:
                    continue
                texts = paragraphs[earlier - start], paragraph
                found = verify(fp, earlier, start + i, texts, options)
                if found is not None and (best is None or found > best[:2]):
                    best = (*found, earlier - start)
            if best is None:
                kept_by_key[key] = i
            else:
                j = best[2]
                removals[d].append(Removal(i, paragraph, NEAR, paragraphs[j], j, best[0], best[1]))
                removed.add(start + i)
    return removals


LIST_LINE_WORDS = 10  # a list item, a table row, a line of code or a fixture is shorter


def list_structure(keys: Sequence[str], original: int, copy: int) -> bool:
    """Whether paragraph ``copy``, with the same key as ``original``, is a line a list repeats
    rather than a scraper's repeat.

    A scraper doubles a paragraph or a block of them in place, or drops a copy among
    unrelated paragraphs. A list, a table, a fixture list, a quiz or code repeats short lines
    in parallel company: "Winners meet in final match" after each pair of fixtures ("A v B",
    then "C v D"), ``s = "cat"`` and ``t = "dog"`` in each example of a puzzle, between other
    inputs and other outputs; a nominee under each award category it is up for, between
    other nominees; a reader's town under each letter, after another reader's name. So: the
    run of short lines repeated with the copy does not touch its original run, and on one
    side at least the lines around the two runs are parallel (:func:`_parallel`).

    Why this holds beyond the cases seen: parallel company needs the original *and* the copy
    to stand beside a line of the same kind, on the same side, and that line to differ
    between the two places. A line lifted from prose has prose around its original, so its
    copy goes wherever it lands (a copy of a list's own line dropped elsewhere in the list
    cannot be told from the list's repeats, and stays). A doubled line or block touches its
    original; a block copied later carries its company with it (the run grows over every
    line repeated alongside), so what surrounds it is what surrounds any paragraph: prose,
    which is parallel only when it shares half its words. Nothing here applies to a line of
    ``LIST_LINE_WORDS`` words or more, which is a statement, not an item, nor to a wordless
    one (a separator), though one may be repeated alongside an item ("Corona del Mar", "::"
    under each reader's letter).

    >>> fixtures = ["a v b", "winners meet", "c v d", "winners meet", "e v f"]
    >>> list_structure(fixtures, 1, 3), list_structure(["a v b", "a v b", "c"], 0, 1)
    (True, False)
    >>> nominees = ["album", "blur", "raye", "artist", "dave", "raye", "group"]
    >>> list_structure(nominees, 2, 5)
    True
    """
    n = len(keys)
    before = 0  # lines repeated with it, before and after
    while original - before > 0 and keys[original - before - 1] == keys[copy - before - 1]:
        before += 1
    after = 0
    while copy + after + 1 < n and keys[original + after + 1] == keys[copy + after + 1]:
        after += 1
    if original + after + 1 >= copy - before:
        return False  # a doubled run
    run = range(copy - before, copy + after + 1)
    # A wordless line repeated alongside (a separator, a rule) is layout, not a statement.
    if not _short(keys[copy]) or any(len(words(keys[i])) >= LIST_LINE_WORDS for i in run):
        return False
    sides = ((original - before - 1, copy - before - 1), (original + after + 1, copy + after + 1))
    return any(i >= 0 and j < n and _parallel(keys[i], keys[j]) for i, j in sides)


def _short(key: str) -> bool:
    return 0 < len(words(key)) < LIST_LINE_WORDS


def _parallel(a: str, b: str) -> bool:
    """Two different lines of one pattern: two short lines (items of a list or rows of a
    table, which need share no word: "Blur", "Raye"), or longer ones sharing half their
    words (two examples' outputs)."""
    if a == b:
        return False
    if _short(a) and _short(b):
        return True
    x, y = set(words(a)), set(words(b))
    return bool(x & y) and 2 * len(x & y) >= len(x | y)


def _candidate_threshold(options: DedupOptions) -> float:
    """The lowest Jaccard similarity a verified repeat can have, for LSH to propose it.

    A trimmed copy with containment ``c`` of a paragraph twice its size has Jaccard
    ``c / (3 - c)``; still shorter copies are rarely worth the extra candidates.
    """
    c = options.containment
    return min(options.threshold, c / (3 - c))


def verify(
    fp: Fingerprints, first: int, second: int, texts: tuple[str, str], options: DedupOptions
) -> tuple[float, float] | None:
    """``(jaccard, containment)`` when paragraph ``second`` repeats ``first``, else None.

    A repeat shares enough shingles, states the same figures and names the same names (each
    list found, in order, within the other). Enough shingles means a Jaccard similarity at
    the threshold, or a containment at its threshold for a copy of ``CONTAINED_MIN``
    shingles or more that is not longer than the original (a sentence dropped) or at most
    half as long again (a dateline added): a longer paragraph that merely contains the
    first says more than it, and stays. A copy found by containment alone must also be one
    cut of the first (:func:`one_cut`), links aside.
    """
    a, b = fp.shingle_set(first), fp.shingle_set(second)
    similarity, containment = overlap(a, b)
    x, y = words(fp.keys[first]), words(fp.keys[second])
    if not _enough(similarity, containment, len(a), len(b), options):
        # A misspelt copy: its words that one edit makes the original's count as theirs.
        respelt = respelled(x, y)
        if respelt == y:
            return None
        y = respelt
        if not _enough(*_string_overlap(x, y, options.shingle_size), len(a), len(b), options):
            return None
        similarity, containment = _string_overlap(x, y, options.shingle_size)
    statements = x, y
    if _LINK.search(texts[0]) or _LINK.search(texts[1]):
        # A link is an address, not a statement: items of a digest that link the same page
        # are repeats only when the words of one, links aside, are found in the other too.
        u = words(normalize(_LINK.sub(" ", texts[0])))
        statements = u, respelled(u, words(normalize(_LINK.sub(" ", texts[1]))))
        if _string_overlap(*statements, options.shingle_size)[1] < options.containment:
            return None
    if similarity < options.threshold and not one_cut(*statements):
        return None
    if not _in_order_either_way(numbers(fp.keys[first]), numbers(fp.keys[second])):
        return None
    if _figure_replaced(x, y):
        return None
    if not _in_order_either_way(names(texts[0]), names(texts[1]), same_name):
        return None
    return similarity, containment


_LINK = re.compile(r"(?:https?://|www\.|t\.me/)[^\s)\]>\"']+", re.IGNORECASE)


def _string_overlap(x: Sequence[str], y: Sequence[str], k: int) -> tuple[float, float]:
    return overlap(set(shingles(" ".join(x), k)), set(shingles(" ".join(y), k)))


def _figure_replaced(original: Sequence[str], copy: Sequence[str]) -> bool:
    """Whether words of one stand where the other states a figure: "... in 'dog': 3" and
    "... in 'dog': impossible" give different answers, although the figures of one (none)
    are found among those of the other. A figure only added or dropped (a dateline, a
    trimmed sentence) is not replaced.

    >>> _figure_replaced("steps from cat to dog 3".split(), "steps from cat to dog none".split())
    True
    >>> _figure_replaced("rose 3 pct".split(), "london march 3 rose 3 pct".split())
    False
    """
    matcher = SequenceMatcher(None, original, copy, autojunk=False)
    return any(
        op == "replace" and numbers(" ".join([*original[i1:i2], *copy[j1:j2]]))
        for op, i1, i2, j1, j2 in matcher.get_opcodes()
    )


EDITS_INSIDE = 2  # one-word edits (a correction, a misspelling) a copy may carry inside


def one_cut(original: Sequence[str], copy: Sequence[str]) -> bool:
    """Whether ``copy`` is what a scraper makes of ``original``: a contiguous run of its
    words, or a run that holds all of them, with at most ``EDITS_INSIDE`` words changed,
    added or dropped inside, each on its own (a word split or joined by a space is the same
    letters, not a change).

    A scraper cuts text where a block ends and adds a dateline or a "read more" at an end,
    so what it drops or adds lies at an end of the copy; a misspelling or an editor's
    correction touches a single word. An author restating a paragraph keeps its opening and
    its figures and rewrites what lies between, and code calling another function changes
    a name of several words: a run of changed words inside the copy.

    >>> one_cut("the fine is up to 10 years".split(), "rome - the fine is up to".split())
    True
    >>> one_cut("the fine applies if a gang did it and is up to 10 years".split(),
    ...         "the fine is up to 10 years".split())
    False
    """
    edits = SequenceMatcher(None, original, copy, autojunk=False).get_opcodes()
    changed = [
        max(i2 - i1, j2 - j1)
        for op, i1, i2, j1, j2 in edits[1:-1]
        if op != "equal" and "".join(original[i1:i2]) != "".join(copy[j1:j2])
    ]
    return len(changed) <= EDITS_INSIDE and all(n == 1 for n in changed)


def _enough(similarity: float, containment: float, a: int, b: int, options: DedupOptions) -> bool:
    """Whether shingle sets of sizes ``a`` (the original) and ``b`` overlap enough to repeat."""
    return similarity >= options.threshold or (
        containment >= options.containment and min(a, b) >= CONTAINED_MIN and 2 * b <= 3 * a
    )


# Misreadings of OCR that turn two letters into one: "rn" read as "m", "cl" as "d", "vv" as "w".
_OCR_PAIRS = {("rn", "m"), ("cl", "d"), ("vv", "w"), ("ii", "u"), ("li", "h")}
MIN_MISSPELT = 5  # letters a word needs before one edit is a misspelling, not another word


def one_edit(a: str, b: str) -> bool:
    """Whether two different words of ``MIN_MISSPELT`` letters or more are one misspelling
    apart: a letter changed, added or dropped, two adjacent letters swapped, or two letters
    read as one by OCR. Shorter words have neighbours that are other words ("rose", "rise").

    >>> one_edit("government", "govermnent"), one_edit("Modern", "Modem")
    (True, True)
    >>> one_edit("gain", "grin"), one_edit("Smith", "Smiths"), one_edit("Kerry", "Berra")
    (False, True, False)
    """
    if a == b or min(len(a), len(b)) < MIN_MISSPELT or abs(len(a) - len(b)) > 1:
        return False
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    x, y = a[start : len(a) - end], b[start : len(b) - end]
    if len(x) <= 1 and len(y) <= 1:
        return True  # one letter changed, added or dropped
    if len(x) == len(y) == 2 and x == y[::-1]:
        return True  # two adjacent letters swapped
    return (x, y) in _OCR_PAIRS or (y, x) in _OCR_PAIRS


def respelled(original: Sequence[str], copy: Sequence[str]) -> list[str]:
    """``copy``'s words, each that is one edit (:func:`one_edit`) from the word of
    ``original`` it stands against replaced by that word (figures are compared on their own,
    exactly: see :func:`verify`).

    >>> respelled(["the", "government", "said"], ["teh", "govermnent", "said", "so"])
    ['teh', 'government', 'said', 'so']
    """
    fixed = list(copy)
    matcher = SequenceMatcher(None, original, copy, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "replace" and i2 - i1 == j2 - j1:
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                if one_edit(original[i], copy[j]):
                    fixed[j] = original[i]
    return fixed


def same_name(a: str, b: str) -> bool:
    """The same name, or one misspelt by one edit (:func:`one_edit`)."""
    return a == b or one_edit(a, b)


_NAME = re.compile(r"\b[^\W\d_a-zа-яё][^\W_]*(?:[-'’][^\W_]+)*")


def names(paragraph: str) -> tuple[str, ...]:
    """The capitalised words of a paragraph, in order: names, mostly.

    >>> names("Wheat stocks in Chicago rose, CFTC said; rating B-minus.")
    ('Wheat', 'Chicago', 'CFTC', 'B-minus')
    """
    return tuple(w for w in _NAME.findall(paragraph) if w[0].isupper())


def _in_order_either_way(
    a: tuple[str, ...], b: tuple[str, ...], same: Callable[[str, str], bool] = str.__eq__
) -> bool:
    """True when the items of one list appear, in order, among those of the other (each the
    ``same`` as one of them)."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    rest = iter(long)
    return all(any(same(item, other) for other in rest) for item in short)
