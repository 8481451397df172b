"""Deduplicate: drop the repeated paragraphs of a document, keeping the first occurrence.

Two kinds of repeat are removed, and each removal records what it repeats and how similar:

- ``exact_duplicate``: the same comparison key (see :func:`cleaner.fingerprint.normalize`),
  i.e. the same text up to case, Unicode form, quote and dash variants and whitespace (in a
  paragraph too short for near repeats, spaces beside punctuation too: :func:`exact_keys`).
- ``near_duplicate``: MinHash LSH proposes candidate pairs (:mod:`cleaner.banding`), and a
  candidate is removed only when the *exact* Jaccard similarity of the two shingle sets
  reaches the threshold **and** the paragraphs agree on their figures (the numbers of one
  appear, in order, among the numbers of the other, and none stands where the other has
  words) and their names (:mod:`cleaner.agreement`): market reports that differ only in
  their numbers are different news. A word misspelt by one edit counts as the word
  (:func:`respelled`), and a link is not a statement (see :func:`verify`). A copy found by
  containment must be one cut of the original (:func:`one_cut`): an author's summary is not
  a scraper's copy.

An exact repeat of a short line that a list, a table or code repeats in parallel company
stays (:func:`list_structure`).

A paragraph is compared only with paragraphs already kept, so a chain A~B~C never removes C
for resembling a paragraph that was itself removed, and with at most ``MOST_CANDIDATES`` of
them, those its signature agrees with most (:func:`likeliest`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cleaner.agreement import MIN_MISSPELT, names, one_edit, paragraphs_agree
from cleaner.alignment import opcodes
from cleaner.banding import ESTIMATE_SLACK, agreement, distinct_pairs, lsh_bands, near_pairs
from cleaner.document import Removal
from cleaner.fingerprint import (
    MARKED_LATIN,
    NUM_PERM,
    SEED,
    SHINGLE_SIZE,
    Fingerprints,
    fingerprint,
    normalize,
    overlap,
    plain_letters,
    shingles,
    with_words,
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
    # Pairs whose signatures agree far less than a repeat's would are not worth verifying.
    first, second = near_pairs(
        fp.signatures[eligible], doc_of[eligible], bands, rows, floor - ESTIMATE_SLACK
    )
    plain = plain_signatures(fp, eligible, doc_of[eligible], options)
    if plain is not None:  # and the pairs found once diacritics are set aside
        more = near_pairs(plain, doc_of[eligible], bands, rows, floor - ESTIMATE_SLACK)
        n = len(eligible)
        first, second = distinct_pairs([first * n + second, more[0] * n + more[1]], n)
    candidates: dict[int, list[int]] = {}
    for a, b in zip(eligible[first].tolist(), eligible[second].tolist(), strict=True):
        candidates.setdefault(b, []).append(a)
    with_candidates = set(doc_of[eligible[second]].tolist())
    exact = exact_keys(fp.keys, eligible)

    # One pass in reading order, comparing each paragraph with the *kept* ones only.
    removals: list[list[Removal]] = [[] for _ in documents]
    removed: set[int] = set()
    for d, paragraphs in enumerate(documents):
        start = int(starts[d])
        keys = exact[start : start + len(paragraphs)]
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
            proposed = [e for e in candidates.get(start + i, ()) if e not in removed]
            if len(proposed) > MOST_CANDIDATES:
                proposed = likeliest(fp.signatures, proposed, start + i)
            for earlier in sorted(proposed):
                texts = paragraphs[earlier - start], paragraph
                found = verify(fp, earlier, start + i, texts, options)
                if found is not None and (best is None or found > best[:2]):
                    best = (*found, earlier - start)
            if best is not None and list_items(paragraphs, keys, best[2], i):
                best = None
            if best is None:
                kept_by_key[key] = i
            else:
                j = best[2]
                removals[d].append(Removal(i, paragraph, NEAR, paragraphs[j], j, best[0], best[1]))
                removed.add(start + i)
    return removals


def plain_signatures(
    fp: Fingerprints, rows: NDArray[np.int64], docs: NDArray[np.int64], options: DedupOptions
) -> NDArray[np.uint32] | None:
    """The signatures of paragraphs ``rows`` (of documents ``docs``), those whose keys have
    Latin letters with diacritics taken in plain letters
    (:func:`cleaner.fingerprint.plain_letters`) where their document has a paragraph without
    any that could be their copy or original; None when no paragraph is so taken.

    A feed or a keyboard that knows only plain letters copies "Władze miasta poinformowały"
    as "Wladze miasta poinformowaly". Where most words carry a diacritic (Polish, Czech,
    Turkish, Vietnamese) the copy shares too few shingles with its original to be proposed;
    read in plain letters the two are one text. Verification then measures the copy with its
    words respelt as the original's (:func:`cleaner.agreement.one_edit`), as for a typo.

    A copy so written has no such letter left, and between half and twice its original's
    shingles (the search for candidates is set for copies of half their original, and a
    longer paragraph is a copy only up to half as long again): a paragraph with no such
    partner in its document is spared the work.
    """
    keys = [fp.keys[i] for i in rows.tolist()]
    marked = np.array(
        [not key.isascii() and MARKED_LATIN.search(key) is not None for key in keys], dtype=bool
    )
    if not marked.any() or marked.all():
        return None
    sizes = fp.shingle_counts()[rows].astype(np.int64)
    span = 2 * int(sizes.max()) + 1
    partners = np.sort(docs[~marked] * span + sizes[~marked])  # by document, then size
    at = np.searchsorted(partners, docs * span + (sizes + 1) // 2)
    near = partners[np.minimum(at, len(partners) - 1)]
    taken = np.flatnonzero(marked & (at < len(partners)) & (near <= docs * span + 2 * sizes))
    if not len(taken):
        return None
    plain = fingerprint(
        [plain_letters(keys[n]) for n in taken.tolist()],
        options.num_perm,
        options.seed,
        options.shingle_size,
        keyed=True,
    )
    signatures: NDArray[np.uint32] = fp.signatures[rows]
    signatures[taken] = plain.signatures
    return signatures


MOST_CANDIDATES = 16  # earlier paragraphs a paragraph is verified against, at most


def likeliest(signatures: np.ndarray, earlier: Sequence[int], copy: int) -> list[int]:
    """Of the kept paragraphs ``earlier`` proposed as the original of paragraph ``copy``, the
    ``MOST_CANDIDATES`` whose MinHash signatures agree most with its own (the earlier first
    among equals), in their order.

    A paragraph has many candidates only in a list of lines made on one template (a table of
    prices, of results, of times), whose lines resemble one another about as much as any two:
    verifying each line against every one before it takes time in the square of its length.
    A repeat among such lines is a copy of one of them, whose signature agrees with its
    original's on a share of entries about their Jaccard similarity (0.9 and more, or the most
    of any line for a trimmed copy), more than with the lines it merely resembles, so it stays
    within the first few; the rest would be verified only to be refused.

    >>> sigs = np.array([[0, 0]] * 18 + [[1, 1], [1, 0], [1, 1]])  # 20 lines, then a copy
    >>> found = likeliest(sigs, list(range(20)), 20)
    >>> len(found), found[:2], found[-3:]
    (16, [0, 1], [13, 18, 19])
    """
    rows = np.asarray(earlier, dtype=np.int64)
    agree = agreement(signatures, rows, np.full(len(rows), copy))
    best = np.argsort(-agree, kind="stable")[:MOST_CANDIDATES]
    found: list[int] = rows[np.sort(best)].tolist()
    return found


# A space beside punctuation: French typography puts one (often non-breaking) before "?",
# "!", ":" and ";" and inside guillemets, other renderings of the same line none. Beside a
# digit a space may part two figures ("1, 2" from "1,2"), so it stays.
_SPACE_BY_PUNCTUATION = re.compile(r"(?<=[^\d\s]) (?=[^\w\s])|(?<=[^\w\s]) (?=[^\d\s])")


def exact_keys(keys: Sequence[str], eligible: np.ndarray) -> list[str]:
    """The keys that make exact repeats: each paragraph's comparison key, but for one too
    short to be compared as a near repeat (not ``eligible``) without its spaces beside
    punctuation, digits aside (:data:`_SPACE_BY_PUNCTUATION`). The words and the punctuation
    stay in order, so "« Pourquoi pas ? »" and «Pourquoi pas?» are one line; a longer
    paragraph so rendered has the same shingles, and goes as a near repeat of similarity 1.

    >>> exact_keys(['" pourquoi pas ? "', '"pourquoi pas?"', "le 1 , 2"], np.array([], int))
    ['"pourquoi pas?"', '"pourquoi pas?"', 'le 1 , 2']
    """
    short = np.ones(len(keys), dtype=bool)
    short[eligible] = False
    found = list(keys)
    for i in np.flatnonzero(short).tolist():
        if " " in found[i]:
            found[i] = _SPACE_BY_PUNCTUATION.sub("", found[i])
    return found


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

    The speakers of a dialogue stay too: an interview names who speaks on a line of its own
    that ends in a colon ("Anne:", "Q:"), before each turn. A copy of such a label, before
    another paragraph than its original, is a turn when the turns alternate: between the
    original and the copy another label is found that also recurs ("Q:", "A:", "Q:"). A
    scraper's copy of a line ending in a colon ("Transcript via Real Clear Politics:")
    makes no second speaker take turns with it, and goes; so do a doubled label and a
    label repeated with what follows it (a block). And so do a dialogue's short answers:
    "Yes." after one question and "Yes." after another are two answers, not a copy, when
    the paragraphs before both ask something (end in "?") and differ.

    >>> fixtures = ["a v b", "winners meet", "c v d", "winners meet", "e v f"]
    >>> list_structure(fixtures, 1, 3), list_structure(["a v b", "a v b", "c"], 0, 1)
    (True, False)
    >>> nominees = ["album", "blur", "raye", "artist", "dave", "raye", "group"]
    >>> list_structure(nominees, 2, 5)
    True
    >>> interview = ["q:", "why now?", "a:", "prices rose.", "q:", "and next?", "a:", "we wait."]
    >>> list_structure(interview, 0, 4), list_structure(interview, 2, 6)
    (True, True)
    >>> list_structure(["will it rain?", "yes.", "is it cold?", "yes."], 1, 3)
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
    if not short_line(keys[copy]) or any(len(words(keys[i])) >= LIST_LINE_WORDS for i in run):
        return False
    if after == 0 and copy + 1 < n and _takes_turns(keys, original, copy):
        return True
    if before == 0 and original > 0 and _answers(keys[original - 1], keys[copy - 1], keys[copy]):
        return True
    sides = ((original - before - 1, copy - before - 1), (original + after + 1, copy + after + 1))
    return any(i >= 0 and j < n and _parallel(keys[i], keys[j]) for i, j in sides)


def short_line(key: str) -> bool:
    """A line of a list, a table or code: some words, fewer than ``LIST_LINE_WORDS``."""
    return 0 < len(words(key)) < LIST_LINE_WORDS


def _label(key: str) -> bool:
    """A short line that ends in a colon: it announces the paragraph after it."""
    return key.endswith(":") and short_line(key)


def _answers(question: str, other_question: str, answer: str) -> bool:
    """Whether a short line repeated after ``other_question`` answers it, as its original
    answers ``question``: both paragraphs before them ask, and ask other things ("Yes." to
    two questions is two answers; the caller knows the two differ). A paragraph asks when
    it is a question, one sentence ending in "?"; one of more sentences ending in "?" asks
    too ("... was built in 1889. True or false?") when the line after it is an answer of
    a closed kind, a few words (yes, no, true, a name, a figure): prose that ends in a
    rhetorical question is followed by a heading, whose copy is a scraper's.

    >>> _answers("will it rain?", "is it cold?", "yes, it will be.")
    True
    >>> _answers("it was built in 1889. true or false?", "it is 300 m tall. true?", "true.")
    True
    >>> _answers("prices rose. how can we cope?", "it rained. why?", "how to cut your bills")
    False
    """
    if not (question.endswith("?") and other_question.endswith("?")):
        return False
    if len(words(answer)) <= SHORT_ANSWER_WORDS:
        return True
    return _SENTENCE_END.search(question) is None and _SENTENCE_END.search(other_question) is None


SHORT_ANSWER_WORDS = 3  # "yes", "true", "no, never", "Paris, France"
# The end of a sentence inside a paragraph: after a word of three letters or more, so that
# "mr." or "u.s." is not taken for one.
_SENTENCE_END = re.compile(r"\w{3}[.!?…] ")


def _takes_turns(keys: Sequence[str], original: int, copy: int) -> bool:
    """Whether label ``copy`` (a repeat of ``original``) takes turns with another label that
    recurs, found between the two: the speakers of a dialogue."""
    if not _label(keys[copy]):
        return False
    between = set(keys[original + 1 : copy]) - {keys[copy]}
    return any(_label(key) and keys.count(key) > 1 for key in between)


def _parallel(a: str, b: str) -> bool:
    """Two different lines of one pattern: two short lines (items of a list or rows of a
    table, which need share no word: "Blur", "Raye"), or longer ones sharing half their
    words (two examples' outputs)."""
    if a == b:
        return False
    return (short_line(a) and short_line(b)) or _alike(a, b)


def list_items(paragraphs: Sequence[str], keys: Sequence[str], original: int, copy: int) -> bool:
    """Whether paragraph ``copy``, a near repeat of ``original`` whose names differ from its
    only by short names a slip apart (:func:`cleaner.agreement.slip`), is an item of a list
    rather than a copy: a third paragraph has as many names, one other than both where
    those differ, and half its words or more in common with the original (:func:`_alike`).
    A timetable's lines for "Mo" and "Mi", "Di" and "Do" are a slip apart, and so are a
    table's classes or grades, but the list has other items of the same pattern; a
    misspelt copy ("Tge" for "The") stands alone, and so do copies misspelt the same way.

    >>> week = [f"{day} 18 Uhr Training der {team} in der Halle"
    ...         for day, team in [("Mo", "Jugend"), ("Di", "Senioren"), ("Mi", "Jugend")]]
    >>> news = ["The Fed said output rose.", "The EU said it fell.", "The Fecl said output rose."]
    >>> list_items(week, [w.lower() for w in week], 0, 2)
    True
    >>> list_items(news, [n.lower() for n in news], 0, 2)
    False
    """
    a, b = names(paragraphs[original]), names(paragraphs[copy])
    if len(a) != len(b):
        return False
    differ = [n for n, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if not differ or any(len(a[n]) >= MIN_MISSPELT for n in differ):
        return False
    for k, paragraph in enumerate(paragraphs):
        other = names(paragraph) if k not in (original, copy) else ()
        if (
            len(other) == len(a)
            and all(other[n] not in (a[n], b[n]) for n in differ)
            and _alike(keys[original], keys[k])
        ):
            return True
    return False


def _alike(a: str, b: str) -> bool:
    """Whether two keys share half their words or more."""
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
    # A misspelt word of the copy counts as the original's word it stands for (one edit
    # apart), in the overlap when the copy's own falls short and in the agreement of figures
    # either way: "milIion" misread by OCR states the original's "million", not other words.
    respelt = respelled(x, y)
    if not _enough(similarity, containment, len(a), len(b), options) and not word_changed(
        x, respelt
    ):
        if respelt == y:
            return None
        similarity, containment = _string_overlap(x, respelt, options.shingle_size)
        if not _enough(similarity, containment, len(a), len(b), options):
            return None
    # The copy's figures too are read with its misspelt words respelt: "0ne in five" states
    # "one", not the figure 0, and "5ony" names Sony.
    copy_key = fp.keys[second] if respelt == y else with_words(fp.keys[second], respelt)
    y = respelt
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
    if not paragraphs_agree((fp.keys[first], copy_key), (x, y), texts):
        return None
    return similarity, containment


_LINK = re.compile(r"(?:https?://|www\.|t\.me/)[^\s)\]>\"']+", re.IGNORECASE)


def _string_overlap(x: Sequence[str], y: Sequence[str], k: int) -> tuple[float, float]:
    return overlap(set(shingles(" ".join(x), k)), set(shingles(" ".join(y), k)))


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
    edits = opcodes(original, copy)
    changed = [
        max(i2 - i1, j2 - j1)
        for op, i1, i2, j1, j2 in edits[1:-1]
        if op != "equal" and "".join(original[i1:i2]) != "".join(copy[j1:j2])
    ]
    return len(changed) <= EDITS_INSIDE and all(n == 1 for n in changed)


def word_changed(original: Sequence[str], copy: Sequence[str]) -> bool:
    """Whether ``copy`` is ``original`` with one word replaced by another, in a statement
    longer than a list's line (``LIST_LINE_WORDS`` words): an editor's correction or a
    word swapped in a re-publication, which shingles count twice over (a word is in two of
    them), so that a statement of a dozen words falls below the containment threshold
    when more than nine tenths of its words are the original's, in order. In a line of a
    list, a table or a headline, that word may be all it says ("Shares rose in London",
    "Shares fell in London"), and they stay. Figures and names must still agree (see
    :func:`verify`): a changed figure or name is another statement, however long, and so
    is a word changed right after a figure, its unit or scale ("3.40 dlrs", "3.40 cts").

    >>> statement = "the council said on monday it would spend more on the new bridge".split()
    >>> word_changed(statement, [*statement[:5], "thought", *statement[6:]])
    True
    >>> word_changed(statement[:8], [*statement[:5], "thought", *statement[6:8]])
    False
    """
    if len(original) != len(copy) or len(copy) <= LIST_LINE_WORDS:
        return False
    changed = [i for i, (a, b) in enumerate(zip(original, copy, strict=True)) if a != b]
    if len(changed) != 1:
        return False
    # after a figure, a word is its unit or scale ("3.40 dlrs", "3 млн"): part of the figure
    at = changed[0]
    return at == 0 or not any(c.isdigit() for c in original[at - 1])


def _enough(similarity: float, containment: float, a: int, b: int, options: DedupOptions) -> bool:
    """Whether shingle sets of sizes ``a`` (the original) and ``b`` overlap enough to repeat."""
    return similarity >= options.threshold or (
        containment >= options.containment and min(a, b) >= CONTAINED_MIN and 2 * b <= 3 * a
    )


def respelled(original: Sequence[str], copy: Sequence[str]) -> list[str]:
    """``copy``'s words, each that is one edit (:func:`one_edit`) from the word of
    ``original`` it stands against replaced by that word, and each run of words that is the
    same letters as the run it stands against, spaced otherwise, replaced by that run: OCR
    and a hard wrap's hyphen split a word ("govern ment", "govern- ment") and a lost space
    joins two ("thegovernment"), which are the same words (figures are compared on their
    own, exactly: see :func:`verify`).

    >>> respelled(["prices", "rose", "the", "government", "said"],
    ...           ["prices", "fell", "teh", "govermnent", "said", "so"])
    ['prices', 'fell', 'the', 'government', 'said', 'so']
    >>> respelled(["the", "government", "said", "so"], ["thegovern", "ment", "said", "so"])
    ['the', 'government', 'said', 'so']
    """
    fixed: list[str] = []
    done = 0  # copy[:done] is in fixed
    for op, i1, i2, j1, j2 in opcodes(original, copy):
        if op != "replace":
            continue
        fixed.extend(copy[done:j1])
        if "".join(original[i1:i2]) == "".join(copy[j1:j2]):
            fixed.extend(original[i1:i2])
        elif i2 - i1 == j2 - j1:
            pairs = zip(original[i1:i2], copy[j1:j2], strict=True)
            fixed.extend(a if one_edit(a, b) else b for a, b in pairs)
        else:
            fixed.extend(copy[j1:j2])
        done = j2
    fixed.extend(copy[done:])
    return fixed
