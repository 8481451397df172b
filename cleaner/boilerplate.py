"""Boilerplate: paragraphs that recur, word for word, in many documents of a corpus.

A paragraph whose words, in order, appear in at least ``min_docs`` documents, its dates and
times aside (a footer, a "Reporting by" line, an "Updated 10:42 GMT, 14 March 2024" of any
date: :func:`cleaner.fingerprint.line_key`), is boilerplate, and goes from each of them,
naming the earliest other document that has it (:func:`boilerplate`). Not every recurring
paragraph is boilerplate: a lone word is data ("Year" heading a table), and so is a line
stating figures that is a line of a template ("Record March 31" in dozens of dividend
notices), told apart from a fixed text stuck to unrelated documents (a copyright line with
its year) by how alike the documents carrying it are (:func:`exempt`). A recurring line is
counted only in the documents it is stuck to, not in those whose list, table or code it is
a line of ("func main() {" in programming posts: :func:`_in_lists`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cleaner.corpus_index import (
    ArrayFiles,
    CorpusIndex,
    Reader,
    in_chunks,
    paragraph_lines,
    read_chunks,
    release,
)
from cleaner.deduplicate import short_line
from cleaner.fingerprint import (
    distinct,
    found_in,
    isin,
    masked_figures,
    normalize,
    states_figures,
    string_hashes,
)


def _lone_word(key: str) -> bool:
    """A lone word (a table's "Year", an XML feed's "<item>") is data, however often it recurs,
    unless a link, a handle or a hashtag."""
    return " " not in key and not _links_or_tags(key)


def _links_or_tags(key: str) -> bool:
    """Whether a line may hold a link, a handle or a hashtag: a publisher's way out of the
    text, wherever it stands."""
    return any(mark in key for mark in "/@#")


@dataclass
class Boilerplate:
    """Paragraphs to remove as boilerplate, each with the other document that has it."""

    doc: NDArray[np.int64]
    index: NDArray[np.int32]
    other_doc: NDArray[np.int64]
    other_index: NDArray[np.int32]
    hashes: NDArray[np.uint64]  # distinct paragraph hashes that are boilerplate
    row: NDArray[np.int64]  # each removal's row in the index


def exempt(
    index: CorpusIndex, hashes: NDArray[np.uint64], read: Reader, folder: Path | None = None
) -> NDArray[np.uint64]:
    """Those of some recurring paragraph hashes whose paragraphs are data, not boilerplate:
    lone words (:func:`_lone_word`), and paragraphs stating figures that are lines of a
    template (:func:`_templated`, which keeps its work in ``folder``, a temporary folder by
    default). Judged on one paragraph of each, read back."""
    rows = _first_rows(index, hashes)
    docs = index.paragraph_doc[rows]
    position = rows - np.searchsorted(index.paragraph_doc, docs)
    release(index)
    lone = np.zeros(len(hashes), dtype=bool)
    figured = np.zeros(len(hashes), dtype=bool)
    for chunk, paragraphs in read_chunks(read, distinct(docs)):
        texts = dict(zip(chunk, paragraphs, strict=True))
        for n in np.flatnonzero(isin(docs, np.asarray(chunk, dtype=np.int64))).tolist():
            key = normalize(texts[int(docs[n])][int(position[n])])
            lone[n], figured[n] = _lone_word(key), states_figures(key)
    figured &= ~lone
    plain = hashes[~figured & ~lone]
    with _workspace(folder) as where:
        templated = _templated(index, hashes[figured], plain, read, where)
    found: NDArray[np.uint64] = np.sort(np.concatenate([hashes[lone], templated]))
    return found


@contextmanager
def _workspace(folder: Path | None) -> Iterator[Path]:
    """``folder``, or a temporary folder when none is given."""
    if folder is not None:
        yield folder
        return
    with tempfile.TemporaryDirectory() as temporary:
        yield Path(temporary)


def _carriers(index: CorpusIndex, hashes: NDArray[np.uint64]) -> NDArray[np.int64]:
    """The documents that have a paragraph whose hash is one of ``hashes``, ascending."""
    found = [np.empty(0, dtype=np.int64)]
    for part in in_chunks(index, len(index.paragraph_hash)):
        rows = isin(paragraph_lines(index, part), hashes)
        found.append(distinct(index.paragraph_doc[part][rows]))
    return distinct(np.concatenate(found))


def _first_rows(index: CorpusIndex, hashes: NDArray[np.uint64]) -> NDArray[np.int64]:
    """The first paragraph (row of the index) of each of ``hashes`` (distinct, sorted, each
    in the index)."""
    first = np.full(len(hashes), -1, dtype=np.int64)
    for part in in_chunks(index, len(index.paragraph_hash)):
        h = paragraph_lines(index, part)
        at = np.flatnonzero(isin(h, hashes))
        found, where = np.unique(h[at], return_index=True)
        slot = np.searchsorted(hashes, found)
        new = first[slot] < 0
        first[slot[new]] = at[where[new]] + part.start
    return first


def _templated(
    index: CorpusIndex,
    hashes: NDArray[np.uint64],
    boiler: NDArray[np.uint64],
    read: Reader,
    folder: Path,
) -> NDArray[np.uint64]:
    """Those of some recurring paragraphs stating figures that are lines of a template.

    A line with figures that recurs is the news of templated reports ("Qtly div 10 cts vs 10
    cts prior", "Record March 31", a results table's "Nine mths"), or a fixed text stuck to
    unrelated documents (a copyright line with its year, "Updated 10:42 GMT", a contact line
    with a phone number). What tells them apart is how alike the documents carrying it are:
    the other lines of a dividend notice recur in the other notices carrying the line with
    other figures ("Pay April 15", "Pay April 30"), while the paragraphs of articles sharing
    a footer are their own, or other footers that never change. A line is templated when, in
    the median document carrying it, at least half of the other paragraphs (boilerplate
    without figures, ``boiler``, aside) recur with other figures among the documents that
    carry such lines.

    The carriers' paragraphs are as many as the corpus's in a corpus that repeats its
    documents, so what is known of each goes to files in ``folder`` (:class:`ArrayFiles`), a
    chunk of carriers at a time, and is read back a range of hash values (:func:`_ranges`) or
    a chunk of carriers at a time: a process holds a chunk's or a range's, not the corpus's.
    """
    carriers = _carriers(index, hashes)
    if not len(carriers):
        return hashes
    u64, i64, f64 = np.empty(0, np.uint64), np.empty(0, np.int64), np.empty(0, np.float64)
    carried = ArrayFiles(folder, "carried", {"doc": i64, "own": u64, "line": u64, "key": u64})
    carried.create()
    varied = ArrayFiles(folder, "varied", {"key": u64}).create()
    shares = ArrayFiles(folder, "shares", {"line": u64, "share": f64}).create()
    try:
        ends = _describe(index, carriers, boiler, read, carried)
        # A key recurs with other figures when two different paragraphs have it.
        for key, own in _ranges(carried.open(), "key", "own"):
            pairs = np.unique(np.stack([key, own]), axis=1)
            values, variants = np.unique(pairs[0], return_counts=True)
            varied.append({"key": values[variants >= 2]})
        columns, varying = carried.open(), varied.open()["key"]
        for start, end in pairwise(ends):
            doc, line, key = (columns[name][start:end] for name in ("doc", "line", "key"))
            at = np.searchsorted(varying, key).clip(max=len(varying) - 1)
            varies = varying[at] == key if len(varying) else np.zeros(len(key), dtype=bool)
            shares.append(_shares(doc, line, varies, hashes))
            release(*columns.values(), varying)
        templated = []
        for line, share in _ranges(shares.open(), "line", "share"):
            order = np.argsort(line, kind="stable")
            line, share = line[order], share[order]
            new = np.ones(len(line), dtype=bool)  # none in a range without lines
            new[1:] = line[1:] != line[:-1]
            starts = np.flatnonzero(new)
            templated += [
                int(line[start])
                for start, end in pairwise([*starts.tolist(), len(line)])
                if float(np.median(share[start:end])) >= 0.5
            ]
    finally:
        for files in (carried, varied, shares):
            files.remove()
    return np.array(templated, dtype=np.uint64)


def _describe(
    index: CorpusIndex,
    carriers: NDArray[np.int64],
    boiler: NDArray[np.uint64],
    read: Reader,
    carried: ArrayFiles,
) -> list[int]:
    """Each paragraph of some documents (boilerplate without figures, ``boiler``, aside) as
    numbers, added to ``carried``: its document, its hash, its line (dates and times masked:
    :func:`cleaner.corpus_index.paragraph_lines`) and a hash of its key with every figure
    masked (64 bits, as paragraphs are told apart everywhere), not the keys' text. Where each
    chunk of documents read back ends among the rows written."""
    ends = [0]
    for chunk, texts in read_chunks(read, carriers):
        sizes = np.array([len(paragraphs) for paragraphs in texts], dtype=np.int64)
        # read() gives the paragraphs the index holds: the rows from each document's first
        firsts = np.searchsorted(index.paragraph_doc, chunk)
        at = np.repeat(firsts - (np.cumsum(sizes) - sizes), sizes) + np.arange(sizes.sum())
        mine, line = index.paragraph_hash[at], paragraph_lines(index, at)
        kept = np.flatnonzero((mine != 0) & ~isin(line, boiler))
        flat = [p for paragraphs in texts for p in paragraphs]
        masked = [masked_figures(normalize(flat[i])) for i in kept.tolist()]
        carried.append(
            {
                "doc": np.repeat(np.asarray(chunk, dtype=np.int64), sizes)[kept],
                "own": mine[kept],
                "line": line[kept],
                "key": string_hashes(masked).view(np.uint64),
            }
        )
        ends.append(ends[-1] + len(kept))
        release(index)
    return ends


def _shares(
    doc: NDArray[np.int64],
    line_of: NDArray[np.uint64],
    varied: NDArray[np.bool_],
    lines: NDArray[np.uint64],
) -> dict[str, NDArray[Any]]:
    """Each figure line (one of ``lines``) in each distinct document carrying it, of some
    whole documents' paragraphs (document ascending, line, whether its key varies): the share
    of the document's other paragraphs whose key varies (1.0 when it has none)."""
    per_doc, doc_at = np.unique(doc, return_inverse=True)
    doc_total = np.bincount(doc_at, minlength=len(per_doc))
    doc_varied = np.bincount(doc_at, weights=varied, minlength=len(per_doc))
    # Per (document, line): its paragraphs, and those whose key varies.
    order = np.lexsort((line_of, doc))
    doc, line_of, varied = doc[order], line_of[order], varied[order]
    starts = np.flatnonzero(np.r_[True, (doc[1:] != doc[:-1]) | (line_of[1:] != line_of[:-1])])
    own_total = np.diff(np.r_[starts, len(doc)])
    own_varied = np.add.reduceat(varied.astype(np.float64), starts)
    # The lines are among the paragraphs counted: neither boilerplate nor without words.
    line = np.flatnonzero(isin(line_of[starts], lines))
    at_doc = np.searchsorted(per_doc, doc[starts[line]])
    total = doc_total[at_doc] - own_total[line]
    varying = doc_varied[at_doc] - own_varied[line]
    share = np.where(total > 0, varying / np.maximum(total, 1), 1.0)
    return {"line": line_of[starts[line]], "share": share}


def boilerplate(
    index: CorpusIndex,
    alive: NDArray[np.bool_],
    min_docs: int,
    exempted: NDArray[np.uint64] | None = None,
    read: Reader | None = None,
) -> Boilerplate:
    """The kept paragraphs of ``alive`` documents whose line (words in order, dates and times
    masked) recurs in ``min_docs`` of them, but for those whose line is ``exempted``; in order
    of line hash, document and position. With ``read``, a paragraph that stands as an item
    of a list, a table or code of its document's own (:func:`_in_lists`) is not counted.

    Counted a range of hash values at a time, each range about ``PARTITION`` paragraphs
    (hashes are uniform): a hash's paragraphs all fall in one range, so each range is
    counted on its own and the ranges, in order, give the order of the whole, while a
    process holds one range's paragraphs, not the corpus's (the index may be on disk).
    """
    parts = list(_by_range(index, alive, min_docs, exempted))
    found = Boilerplate(*(np.concatenate([getattr(f, n) for f in parts]) for n in _FIELDS))
    if read is None:
        return found
    listed = _in_lists(index, found, read)
    if not len(listed):
        return found
    return _without(index, found, listed, min_docs)


def _without(
    index: CorpusIndex, found: Boilerplate, listed: NDArray[np.int64], min_docs: int
) -> Boilerplate:
    """:func:`boilerplate` counted again without the paragraphs of rows ``listed`` (sorted):
    ``found`` holds every paragraph of each of its lines, so only the lines that lose one are
    counted again, from it, not from the index."""
    lines = paragraph_lines(index, found.row)
    gone = found_in(listed, found.row)
    again = found_in(distinct(lines[gone]), lines)
    rest = again & ~gone
    recounted = _recurring(
        lines[rest], found.doc[rest], found.index[rest], found.row[rest], min_docs
    )
    kept = ~again

    def joined(mine: NDArray[Any], theirs: NDArray[Any]) -> NDArray[Any]:
        return np.concatenate([mine[kept], theirs])

    h = joined(lines, paragraph_lines(index, recounted.row))
    d, i = joined(found.doc, recounted.doc), joined(found.index, recounted.index)
    order = np.lexsort((i, d, h))  # the order of line hash, document and position
    return Boilerplate(
        d[order],
        i[order],
        joined(found.other_doc, recounted.other_doc)[order],
        joined(found.other_index, recounted.other_index)[order],
        distinct(h),
        joined(found.row, recounted.row)[order],
    )


def _in_lists(index: CorpusIndex, found: Boilerplate, read: Reader) -> NDArray[np.int64]:
    """The rows of the removals ``found`` whose paragraph is an item of a list, a table or
    code of its document's own, not a text stuck to it (ascending).

    A publisher's block (a footer, a header, a "Read more" or an advertisement's line
    between paragraphs) is stuck to the text: it stands at an end of the document, or beside
    more of the block, or between paragraphs of prose. A line that recurs because lists,
    tables or code are written alike ("func main() {" in each programming post, a results
    table's "Shr not given", a grain table's "MINNEAPOLIS WHEAT") stands between lines of the
    document's own on both sides, short ones as the list's, the table's or the code's are.
    So: the run of recurring lines around the paragraph (lines that are boilerplate too,
    which a block carries with it) has, on both sides, a line of the document that does not
    recur, and that line and the paragraph are short (:func:`cleaner.deduplicate.short_line`).
    A line that may hold a link, a handle or a hashtag (:func:`_links_or_tags`) is the
    publisher's wherever it stands, as is a wordless one, and so is a dated one, which
    recurs only with its moment masked (:func:`cleaner.fingerprint.line_key`): a stamp
    ("Stand: 02.06.2019, 22:50 Uhr" under a headline), not a line written alike.

    Why this holds beyond the cases seen: a block stuck to documents is placed by the
    publisher, not written into the text, so it has a side towards the document's end or
    towards more of itself; on its other side stands whatever the text ends or starts with.
    Only a line inside the text has the text on both sides. Prose around it (paragraphs of
    ``LIST_LINE_WORDS`` words or more) is what an advertisement or a "Read more" line
    interrupts, and those go as before.
    """
    rows, docs, lines = found.row, found.doc, found.hashes
    before = _beyond(index, rows, docs, lines, -1)
    after = _beyond(index, rows, docs, lines, 1)
    undated = index.paragraph_line[rows] == 0  # its line is its words: no moment masked
    inside = np.flatnonzero((before >= 0) & (after >= 0) & undated)
    if not len(inside):
        return np.empty(0, dtype=np.int64)
    listed: list[int] = []
    order = inside[np.argsort(docs[inside], kind="stable")]
    for chunk, texts in read_chunks(read, distinct(docs[inside])):
        # read() gives the paragraphs the index holds: the rows from each document's first
        firsts = dict(zip(chunk, np.searchsorted(index.paragraph_doc, chunk).tolist(), strict=True))
        paragraphs = dict(zip(chunk, texts, strict=True))
        for n in order[isin(docs[order], np.asarray(chunk, dtype=np.int64))].tolist():
            doc = int(docs[n])
            own, first = paragraphs[doc], firsts[doc]
            row, ends = int(rows[n]), (int(before[n]), int(after[n]))
            key = normalize(own[row - first])
            if _links_or_tags(key) or not short_line(key):
                continue
            if all(short_line(normalize(own[end - first])) for end in ends):
                listed.append(row)
        release(index)
    return np.sort(np.array(listed, dtype=np.int64))


def _beyond(
    index: CorpusIndex,
    rows: NDArray[np.int64],
    docs: NDArray[np.int64],
    lines: NDArray[np.uint64],
    step: int,
) -> NDArray[np.int64]:
    """For each of some rows of the index (of documents ``docs``), the first row in the
    direction ``step`` (-1 or 1) whose line is not one of ``lines`` (sorted) in the same
    document; -1 where the document ends first."""
    at = rows + step
    ended = np.zeros(len(rows), dtype=bool)
    going = np.arange(len(rows))
    while len(going):
        here = at[going]
        inside = (here >= 0) & (here < len(index.paragraph_doc))
        inside[inside] = index.paragraph_doc[here[inside]] == docs[going[inside]]
        ended[going[~inside]] = True
        going, here = going[inside], here[inside]
        recurs = isin(paragraph_lines(index, here), lines)
        going = going[recurs]
        at[going] += step
    return np.where(ended, -1, at)


def recurring_hashes(index: CorpusIndex, min_docs: int) -> NDArray[np.uint64]:
    """The hashes :func:`boilerplate` finds over every document, sorted, without the
    paragraphs that have them: before duplicates are decided, when nearly every paragraph
    of a corpus that repeats its documents recurs, those would be most of the index."""
    alive = np.ones(index.documents, dtype=bool)
    found = [f.hashes for f in _by_range(index, alive, min_docs, None)]
    return np.concatenate([np.empty(0, dtype=np.uint64), *found])


def _by_range(
    index: CorpusIndex,
    alive: NDArray[np.bool_],
    min_docs: int,
    exempted: NDArray[np.uint64] | None,
) -> Iterator[Boilerplate]:
    for low, high in _edges(len(index.paragraph_hash)):
        yield _recurring(*_paragraphs_between(index, low, high, alive, exempted), min_docs)


def _edges(rows: int) -> list[tuple[int, int]]:
    """Ranges ``[low, high)`` of 64-bit hash values, each holding about ``PARTITION`` of
    ``rows`` uniform hashes."""
    ranges = max(1, -(-rows // PARTITION))
    return list(pairwise(k * (1 << 64) // ranges for k in range(ranges + 1)))


def _ranges(
    columns: dict[str, NDArray[Any]], by: str, other: str
) -> Iterator[tuple[NDArray[Any], NDArray[Any]]]:
    """Two memory-mapped columns (``by``, uniform 64-bit hashes, and ``other``), the rows of
    a range of ``by``'s values (:func:`_edges`) at a time, read a chunk at a time."""
    values, beside = columns[by], columns[other]
    for low, high in _edges(len(values)):
        picked, also = [values[:0]], [beside[:0]]
        for part in in_chunks([values, beside], len(values)):
            v = values[part]
            rows = np.flatnonzero((v >= np.uint64(low)) & (v <= np.uint64(high - 1)))
            picked.append(v[rows])
            also.append(beside[part][rows])
        yield np.concatenate(picked), np.concatenate(also)


PARTITION = 1 << 19  # paragraphs counted at a time (about 50 MB of work arrays)
_FIELDS = ("doc", "index", "other_doc", "other_index", "hashes", "row")


def _paragraphs_between(
    index: CorpusIndex,
    low: int,
    high: int,
    alive: NDArray[np.bool_],
    exempted: NDArray[np.uint64] | None,
) -> tuple[NDArray[np.uint64], NDArray[np.int64], NDArray[np.int32], NDArray[np.int64]]:
    """Hash, document, position and row of the kept paragraphs of ``alive`` documents whose
    hash is in ``[low, high)`` and not 0 nor ``exempted``, read a chunk at a time."""
    hashes, docs, positions = [np.empty(0, np.uint64)], [np.empty(0, np.int64)], []
    positions.append(np.empty(0, np.int32))
    found_rows = [np.empty(0, np.int64)]
    for part in in_chunks(index, len(index.paragraph_hash)):
        h, d = paragraph_lines(index, part), index.paragraph_doc[part]
        rows = np.flatnonzero((h >= np.uint64(low)) & (h <= np.uint64(high - 1)) & (h != 0))
        rows = rows[alive[d[rows]]]
        if exempted is not None and len(exempted):
            rows = rows[~isin(h[rows], exempted)]
        hashes.append(h[rows])
        docs.append(d[rows])
        positions.append(index.paragraph_index[part][rows])
        found_rows.append(rows + part.start)
    return (
        np.concatenate(hashes),
        np.concatenate(docs),
        np.concatenate(positions),
        np.concatenate(found_rows),
    )


def _recurring(
    h: NDArray[np.uint64],
    d: NDArray[np.int64],
    i: NDArray[np.int32],
    r: NDArray[np.int64],
    min_docs: int,
) -> Boilerplate:
    """:func:`boilerplate` over some paragraphs (hash, document, position, row), every
    paragraph of each of their hashes among them."""
    order = np.lexsort((i, d, h))
    h, d, i, r = h[order], d[order], i[order], r[order]
    new_hash = np.r_[True, h[1:] != h[:-1]] if len(h) else np.empty(0, dtype=bool)
    new_doc = new_hash | np.r_[True, d[1:] != d[:-1]] if len(h) else new_hash
    group = np.cumsum(new_hash) - 1
    docs_in_group = np.bincount(group, weights=new_doc).astype(np.int64)
    hit = np.flatnonzero(docs_in_group[group] >= max(min_docs, 2))
    # Each row names the group's first document, or the second one for rows of the first.
    first = np.flatnonzero(new_hash)[group]
    doc_rows = np.flatnonzero(new_doc)
    second = doc_rows[np.minimum(np.searchsorted(doc_rows, first) + 1, len(doc_rows) - 1)]
    other = np.where(d == d[first], second, first)
    hit_other = other[hit]
    return Boilerplate(
        d[hit], i[hit], d[hit_other], i[hit_other], distinct(h[hit]).astype(np.uint64), r[hit]
    )
