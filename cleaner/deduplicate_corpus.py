"""Deduplicate across documents: repeated documents and boilerplate paragraphs, corpus-wide.

:mod:`cleaner.deduplicate` removes the repeats inside each document. Across the corpus two
more kinds of repeat go, each with its evidence:

- ``duplicate_document``: a document whose words largely repeat another one (the same story
  fetched twice, a syndicated wire story, a feed saved in two encodings) leaves the corpus for
  the rejects table, which names the document kept instead and their exact Jaccard
  similarity. Of each cluster the first document in input order is kept, or with
  ``keep="longest"`` the longest (the first of equals), or with ``keep="newest"`` the one
  published last (see :func:`_preference`).
- ``boilerplate``: a paragraph whose words, in order, appear in at least
  ``boilerplate_min_docs`` documents (a footer, a "Reporting by" line) is removed from each of
  them, naming the earliest other document that has it. A paragraph two articles share, a
  quotation, stays.

Similarity is measured on word shingles, as for paragraphs: a document's shingle set is the
union of its kept paragraphs' sets, with boilerplate left out, so that two copies of a story
that carry different channel footers are still copies.

**The index** holds no text. A worker sums each document up in numbers
(:func:`summarise`): its MinHash signature (the elementwise minimum of its paragraphs'
signatures, which is the MinHash of the union of their shingle sets), a hash of its words in
order, its shingle count and length, its publication and modification times and a hash of its
canonical URL; and a hash of each kept paragraph's words in order. That is
``4 * num_perm + 48`` bytes a document and 20 bytes a paragraph (:attr:`CorpusIndex.nbytes`).

**The decision** (:func:`decide`), made when every batch is in:

1. Paragraph hashes found in ``boilerplate_min_docs`` documents or more are boilerplate
   candidates, but for lone words and the lines of a template (:func:`_templated`).
2. LSH proposes candidate document pairs: the signatures are banded with numpy
   (:func:`cleaner.deduplicate.candidate_pairs`), not with datasketch's ``MinHashLSH``,
   which inserts one document at a time in Python and finds the same pairs many times more
   slowly. The bands aim below the threshold, because the signatures still include the
   boilerplate that the verdict leaves out. Documents with the same canonical URL are
   candidates whatever LSH says: an article scraped again after an update.
3. The documents of those pairs are read back (see ``read``) and fingerprinted again, whole
   and without their boilerplate candidates, which gives their exact shingle sets; pairs whose
   signatures agree far less than the threshold asks are dropped.
4. In order of preference, each document not yet removed keeps its cluster: every candidate
   partner not yet removed whose exact Jaccard similarity *with it* reaches the threshold is
   removed in its favour. So A~B and B~C never put C with A unless C~A holds. The similarity
   leaves the boilerplate candidates out, unless that leaves one of the two with no text
   (see :meth:`_ReadBack.similarity`), and an update note at either end of a story
   (:func:`_without_notes`). Documents with the same words in the same order are duplicates
   whatever their size; otherwise both need ``CONTAINED_MIN`` shingles.
5. Boilerplate is counted again over the documents that stay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from difflib import SequenceMatcher
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from cleaner.deduplicate import CONTAINED_MIN, DedupOptions, band_keys, lsh_bands, names
from cleaner.document import Document
from cleaner.fingerprint import (
    Fingerprints,
    fingerprint,
    masked_figures,
    normalize,
    numbers,
    overlap,
    sequence_hash,
    states_figures,
)
from cleaner.metadata import url_hash

DUPLICATE = "duplicate_document"
BOILERPLATE = "boilerplate"
# How far under the document threshold the bands aim: room for boilerplate in the signatures.
BAND_SLACK = 0.3
# Pairs whose signatures agree this much less than the aim are not worth verifying: over three
# standard errors of the estimate at 128 permutations.
ESTIMATE_SLACK = 0.15
READ_CHUNK = 4096  # documents read back and fingerprinted at a time
WINDOW = 64  # see _candidates
PAIR_CHUNK = 1 << 16  # pairs compared at a time: 8 MiB of signatures per side


@dataclass
class CorpusIndex:
    """What corpus-wide de-duplication needs to know of each document, without its text."""

    signatures: NDArray[np.uint32]  # (documents, num_perm): MinHash of the kept paragraphs
    text_hash: NDArray[np.uint64]  # the kept paragraphs' words in order; 0 for no words
    shingles: NDArray[np.int64]  # shingles of the kept paragraphs, repeats counted
    chars: NDArray[np.int64]  # characters of the kept text
    paragraph_hash: NDArray[np.uint64]  # each kept paragraph's words in order; 0 for none
    paragraph_doc: NDArray[np.int64]  # the document of each kept paragraph
    paragraph_index: NDArray[np.int32]  # its position in the document's paragraphs
    published: NDArray[np.float64]  # epoch seconds; NaN when unknown
    modified: NDArray[np.float64]  # the file's modification time; NaN when unknown
    url_hash: NDArray[np.uint64]  # see cleaner.metadata.url_hash; 0 for no URL

    @property
    def documents(self) -> int:
        return len(self.text_hash)

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, f.name).nbytes for f in fields(self))

    @classmethod
    def empty(cls, num_perm: int) -> CorpusIndex:
        u64, i64 = np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
        f64 = np.empty(0, dtype=np.float64)
        signatures = np.empty((0, num_perm), dtype=np.uint32)
        return cls(signatures, u64, i64, i64, u64, i64, np.empty(0, dtype=np.int32), f64, f64, u64)

    @classmethod
    def concat(cls, parts: Sequence[CorpusIndex], num_perm: int) -> CorpusIndex:
        """One index of several, documents numbered on in the order of ``parts``."""
        parts = [cls.empty(num_perm), *parts]
        values = {f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)}
        offsets = np.cumsum([0, *(p.documents for p in parts)])
        values["paragraph_doc"] = np.concatenate(
            [p.paragraph_doc + offset for p, offset in zip(parts, offsets, strict=False)]
        )
        return cls(**values)


def index_table(index: CorpusIndex, documents: NDArray[np.int64], doc_ids: pa.Array) -> pa.Table:
    """The index rows (``cleaner.write.INDEX_SCHEMA``) of some ``documents``, in their order."""
    starts = np.searchsorted(index.paragraph_doc, documents, "left")
    lengths = np.searchsorted(index.paragraph_doc, documents, "right") - starts
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    rows = np.arange(offsets[-1]) - np.repeat(offsets[:-1], lengths) + np.repeat(starts, lengths)
    signatures = np.ascontiguousarray(index.signatures[documents])
    width = signatures.shape[1] * 4
    ends = np.arange(len(documents) + 1, dtype=np.int32) * np.int32(width)
    buffers = [None, pa.py_buffer(ends), pa.py_buffer(signatures)]
    return pa.table(
        {
            "doc_id": doc_ids,
            "signature": pa.Array.from_buffers(pa.binary(), len(documents), buffers),
            "text_hash": index.text_hash[documents],
            "shingles": index.shingles[documents],
            "chars": index.chars[documents],
            "paragraph_hashes": pa.ListArray.from_arrays(offsets, index.paragraph_hash[rows]),
            "paragraph_indices": pa.ListArray.from_arrays(offsets, index.paragraph_index[rows]),
            "published": index.published[documents],
            "modified": index.modified[documents],
            "url_hash": index.url_hash[documents],
        }
    )


def read_index(table: pa.Table, num_perm: int) -> CorpusIndex:
    """The index that :func:`index_table` wrote."""
    hashes = table.column("paragraph_hashes").combine_chunks()
    indices = table.column("paragraph_indices").combine_chunks()
    signatures = np.concatenate(
        [np.empty(0, dtype=np.uint32)]
        + [_fixed_width(chunk, num_perm) for chunk in table.column("signature").chunks]
    )
    return CorpusIndex(
        signatures.reshape(table.num_rows, num_perm),
        np.asarray(table.column("text_hash").to_numpy(), dtype=np.uint64),
        np.asarray(table.column("shingles").to_numpy(), dtype=np.int64),
        np.asarray(table.column("chars").to_numpy(), dtype=np.int64),
        np.asarray(hashes.flatten().to_numpy(), dtype=np.uint64),
        np.asarray(pc.list_parent_indices(hashes).to_numpy(), dtype=np.int64),
        np.asarray(indices.flatten().to_numpy(), dtype=np.int32),
        _column(table, "published", np.float64, np.nan),
        _column(table, "modified", np.float64, np.nan),
        _column(table, "url_hash", np.uint64, 0),
    )


def _column(table: pa.Table, name: str, dtype: type, missing: float) -> NDArray[Any]:
    """A column of numbers; ``missing`` throughout for an index written before it existed."""
    if name not in table.column_names:
        return np.full(table.num_rows, missing, dtype=dtype)
    return np.asarray(table.column(name).to_numpy(), dtype=dtype)


def _fixed_width(signatures: pa.Array, num_perm: int) -> NDArray[np.uint32]:
    """A binary column of signatures, each ``num_perm`` uint32s, read from its buffers."""
    if not len(signatures):
        return np.empty(0, dtype=np.uint32)
    if signatures.null_count:
        raise ValueError("an index row without a signature")
    offsets = np.frombuffer(signatures.buffers()[1], dtype=np.int32)
    offsets = offsets[signatures.offset : signatures.offset + len(signatures) + 1]
    if not np.array_equal(np.diff(offsets), np.full(len(signatures), 4 * num_perm)):
        raise ValueError(f"index signatures are not {num_perm} values each")
    data = np.frombuffer(signatures.buffers()[2], dtype=np.uint8)
    values: NDArray[np.uint32] = data[offsets[0] : offsets[-1]].view(np.uint32)
    return values


def summarise(docs: Sequence[Document], fp: Fingerprints) -> CorpusIndex:
    """The index entries of a batch's documents, whose paragraphs (all of them, in order)
    ``fp`` describes; their within-document removals are already made."""
    sizes = np.array([len(d.paragraphs_in) for d in docs], dtype=np.int64)
    firsts = np.cumsum(sizes) - sizes
    kept = np.ones(int(sizes.sum()), dtype=bool)
    pairs = zip(firsts.tolist(), docs, strict=True)
    removed = [first + r.index for first, doc in pairs for r in doc.removed]
    kept[removed] = False
    rows = np.flatnonzero(kept)
    lengths = np.fromiter((len(p) for d in docs for p in d.paragraphs_in), np.int64, len(kept))
    doc_of = np.repeat(np.arange(len(docs)), sizes)[rows]
    # The first paragraph of a document is never removed, so every document has kept rows.
    starts = np.searchsorted(doc_of, np.arange(len(docs)))
    ends = np.append(starts[1:], len(rows))[: len(docs)].astype(np.int64)
    hashes = fp.sequence_hashes()[rows]
    if len(docs):
        signatures = np.minimum.reduceat(fp.signatures[rows], starts, axis=0)
        shingles = np.add.reduceat(fp.shingle_counts()[rows], starts)
        # the kept text: its paragraphs joined by blank lines
        chars = np.add.reduceat(lengths[rows], starts) + 2 * (ends - starts - 1)
    else:
        signatures = np.empty((0, fp.signatures.shape[1]), dtype=np.uint32)
        shingles = chars = np.empty(0, dtype=np.int64)
    return CorpusIndex(
        signatures,
        sequence_hash(hashes, ends),
        shingles.astype(np.int64),
        chars.astype(np.int64),
        hashes,
        doc_of.astype(np.int64),
        (rows - np.repeat(firsts, sizes)[rows]).astype(np.int32),
        np.array([_seconds(d.meta.published) for d in docs], dtype=np.float64),
        np.array([np.nan if d.modified is None else d.modified for d in docs], dtype=np.float64),
        np.array([url_hash(d.meta.url) for d in docs], dtype=np.uint64),
    )


def _seconds(moment: datetime | None) -> float:
    return np.nan if moment is None else moment.timestamp()


def _lone_word(key: str) -> bool:
    """A lone word (a table's "Year", an XML feed's "<item>") is data, however often it recurs,
    unless a link, a handle or a hashtag."""
    return " " not in key and not any(mark in key for mark in "/@#")


@dataclass
class Boilerplate:
    """Paragraphs to remove as boilerplate, each with the other document that has it."""

    doc: NDArray[np.int64]
    index: NDArray[np.int32]
    other_doc: NDArray[np.int64]
    other_index: NDArray[np.int32]
    hashes: NDArray[np.uint64]  # distinct paragraph hashes that are boilerplate


@dataclass
class Decisions:
    """What corpus-wide de-duplication removes, by document number in the index."""

    duplicate_of: dict[int, tuple[int, float]]  # document -> (document kept, Jaccard)
    boilerplate: dict[int, list[tuple[int, int, int]]]  # document -> (index, other, its index)


Reader = Callable[[NDArray[np.int64]], Iterable[list[str]]]


def decide(index: CorpusIndex, options: DedupOptions, read: Reader, frozen: int = 0) -> Decisions:
    """Duplicate documents and boilerplate paragraphs of an index (see the module docs).

    ``read(documents)`` yields the kept paragraphs of each of the given documents, in order.
    The first ``frozen`` documents belong to corpora already written (``--against``): they
    are preferred to any other, count as any other, and are never removed from nor edited.
    """
    everyone = np.ones(index.documents, dtype=bool)
    recurring = boilerplate(index, everyone, options.boilerplate_min_docs).hashes
    data = _data(index, recurring, read)
    candidates = np.setdiff1d(recurring, data)
    duplicates = _duplicates(index, options, candidates, read, frozen)
    alive = everyone.copy()
    alive[list(duplicates)] = False
    found = boilerplate(index, alive, options.boilerplate_min_docs, data)
    editable = found.doc >= frozen
    by_doc: dict[int, list[tuple[int, int, int]]] = {}
    for doc, i, other, j in zip(
        found.doc[editable].tolist(),
        found.index[editable].tolist(),
        found.other_doc[editable].tolist(),
        found.other_index[editable].tolist(),
        strict=True,
    ):
        by_doc.setdefault(doc, []).append((i, other, j))
    return Decisions(duplicates, by_doc)


def _data(index: CorpusIndex, hashes: NDArray[np.uint64], read: Reader) -> NDArray[np.uint64]:
    """Those of some recurring paragraph hashes whose paragraphs are data, not boilerplate:
    lone words (:func:`_lone_word`), and paragraphs stating figures that are lines of a
    template (:func:`_templated`). Judged on one paragraph of each, read back."""
    known, first = np.unique(index.paragraph_hash, return_index=True)
    rows = first[np.searchsorted(known, hashes)]
    docs = index.paragraph_doc[rows]
    position = rows - np.searchsorted(index.paragraph_doc, docs)
    lone = np.zeros(len(hashes), dtype=bool)
    figured = np.zeros(len(hashes), dtype=bool)
    readable = np.unique(docs)
    for start in range(0, len(readable), READ_CHUNK):
        chunk = readable[start : start + READ_CHUNK]
        texts = dict(zip(chunk.tolist(), read(chunk), strict=True))
        for n in np.flatnonzero(np.isin(docs, chunk)).tolist():
            key = normalize(texts[int(docs[n])][int(position[n])])
            lone[n], figured[n] = _lone_word(key), states_figures(key)
    figured &= ~lone
    plain = hashes[~figured & ~lone]
    templated = _templated(index, hashes[figured], plain, read)
    data: NDArray[np.uint64] = np.sort(np.concatenate([hashes[lone], templated]))
    return data


def _templated(
    index: CorpusIndex, hashes: NDArray[np.uint64], boiler: NDArray[np.uint64], read: Reader
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
    """
    rows = np.flatnonzero(np.isin(index.paragraph_hash, hashes))
    if not len(rows):
        return hashes
    carriers = np.unique(index.paragraph_doc[rows])
    boiler_set = set(boiler.tolist())
    masked: dict[int, list[tuple[int, str]]] = {}  # carrier -> (hash, masked key) per paragraph
    for start in range(0, len(carriers), READ_CHUNK):
        chunk = carriers[start : start + READ_CHUNK]
        for doc, paragraphs in zip(chunk.tolist(), read(chunk), strict=True):
            at = np.searchsorted(index.paragraph_doc, doc)
            own = index.paragraph_hash[at : at + len(paragraphs)].tolist()
            masked[doc] = [
                (h, masked_figures(normalize(p)))
                for h, p in zip(own, paragraphs, strict=True)
                if h and h not in boiler_set
            ]
    by_hash: dict[int, list[int]] = {}
    for h, doc in zip(
        index.paragraph_hash[rows].tolist(), index.paragraph_doc[rows].tolist(), strict=True
    ):
        by_hash.setdefault(h, []).append(doc)
    variants: dict[str, set[int]] = {}
    for found in masked.values():
        for g, key in found:
            variants.setdefault(key, set()).add(g)
    templated = []
    for h, docs in by_hash.items():
        others = {
            doc: [(g, key) for g, key in masked[doc] if g != h] for doc in dict.fromkeys(docs)
        }
        shares = [
            sum(len(variants[key]) >= 2 for _, key in found) / len(found) if found else 1.0
            for found in others.values()
        ]
        if float(np.median(shares)) >= 0.5:
            templated.append(h)
    return np.array(sorted(templated), dtype=np.uint64)


def boilerplate(
    index: CorpusIndex,
    alive: NDArray[np.bool_],
    min_docs: int,
    data: NDArray[np.uint64] | None = None,
) -> Boilerplate:
    """The kept paragraphs of ``alive`` documents whose words recur in ``min_docs`` of them,
    but for those whose hash is in ``data``."""
    rows = np.flatnonzero((index.paragraph_hash != 0) & alive[index.paragraph_doc])
    if data is not None and len(data):
        rows = rows[~np.isin(index.paragraph_hash[rows], data)]
    h, d = index.paragraph_hash[rows], index.paragraph_doc[rows]
    i = index.paragraph_index[rows]
    order = np.lexsort((i, d, h))
    rows, h, d, i = rows[order], h[order], d[order], i[order]
    new_hash = np.r_[True, h[1:] != h[:-1]] if len(h) else np.empty(0, dtype=bool)
    new_doc = new_hash | np.r_[True, d[1:] != d[:-1]] if len(h) else new_hash
    group = np.cumsum(new_hash) - 1
    docs_in_group = np.bincount(group, weights=new_doc).astype(np.int64)
    hit = np.flatnonzero(docs_in_group[group] >= max(min_docs, 2))
    # Each row names the group's first document, or the second one for rows of the first.
    first = np.flatnonzero(new_hash)[group]
    distinct = np.flatnonzero(new_doc)
    second = distinct[np.minimum(np.searchsorted(distinct, first) + 1, len(distinct) - 1)]
    other = np.where(d == d[first], second, first)
    hit_other = other[hit]
    return Boilerplate(
        d[hit], i[hit], d[hit_other], i[hit_other], np.unique(h[hit]).astype(np.uint64)
    )


def _duplicates(
    index: CorpusIndex,
    options: DedupOptions,
    candidates: NDArray[np.uint64],
    read: Reader,
    frozen: int,
) -> dict[int, tuple[int, float]]:
    rank = _preference(index, options.keep, frozen)
    # Documents with the same words in the same order are settled without LSH: each text's
    # preferred copy stands for the others, which follow wherever it goes.
    texts = np.flatnonzero(index.text_hash != 0)
    texts = texts[np.lexsort((rank[texts], index.text_hash[texts]))]
    same_text = index.text_hash[texts[1:]] == index.text_hash[texts[:-1]]
    heads = texts[np.r_[True, ~same_text]] if len(texts) else texts
    head_of = np.repeat(heads, np.diff(np.r_[np.flatnonzero(np.r_[True, ~same_text]), len(texts)]))

    aim = max(0.05, min(options.document_threshold - BAND_SLACK, lowest_similarity(options)))
    bands, rows = lsh_bands(aim, options.num_perm)
    first, second = _candidates(index.signatures[heads], bands, rows, aim - ESTIMATE_SLACK)
    first, second = _same_url(index.url_hash[heads], first, second)
    a, b = heads[first], heads[second]
    involved = np.unique(np.concatenate([a, b]))
    seen = _read_back(involved, candidates, options, read)
    # Orient each pair from the preferred document to the other: the root keeps its cluster.
    swap = rank[a] > rank[b]
    root, other = np.where(swap, b, a), np.where(swap, a, b)
    root_at, other_at = np.searchsorted(involved, root), np.searchsorted(involved, other)
    agree = np.maximum(seen.agreement(root_at, other_at, True), seen.agreement(root_at, other_at))
    order = np.lexsort((rank[other], rank[root]))
    same_url = (index.url_hash[root] == index.url_hash[other]) & (index.url_hash[root] != 0)
    enough = agree[order] >= lowest_similarity(options) - ESTIMATE_SLACK
    order = order[enough | same_url[order]]
    removed: dict[int, tuple[int, float]] = {}
    for r, o, ri, oi in zip(
        root[order].tolist(),
        other[order].tolist(),
        root_at[order].tolist(),
        other_at[order].tolist(),
        strict=True,
    ):
        if r in removed or o in removed or o < frozen:
            continue
        similarity = seen.similarity(ri, oi, options.document_threshold)
        if similarity is not None:
            removed[o] = (r, similarity)
    for copy, head in zip(texts.tolist(), head_of.tolist(), strict=True):
        if copy != head and copy >= frozen:
            removed[copy] = removed.get(head, (head, 1.0))
    return removed


def lowest_similarity(options: DedupOptions) -> float:
    """The lowest Jaccard similarity of two whole documents that can be duplicates: two
    copies of a story, each holding a share ``t`` (the threshold) of the other, have a
    Jaccard similarity of ``t / (2 - t)``, and notes of ``NOTE_SHARE`` of it on each side
    (see :func:`_without_notes`) keep ``1 / (1 + 2 * NOTE_SHARE)`` of that."""
    t = options.document_threshold
    return t / (2 - t) / (1 + 2 * NOTE_SHARE)


def _candidates(
    signatures: NDArray[np.uint32], bands: int, rows: int, min_agree: float
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Pairs ``(i, j)``, ``i < j``, sharing a band, whose signatures agree on a share
    ``min_agree`` of their entries or more.

    Within a run of documents sharing a band, each is paired with the ``WINDOW`` before it
    only: posts of one channel whose signatures come mostly from the same footer can share a
    band by the thousand, and all their pairs would not fit in memory.
    """
    n = len(signatures)
    found = [np.empty(0, dtype=np.int64)]
    for band in range(bands if n > 1 else 0):
        keys = band_keys(signatures, band, rows)
        order = np.argsort(keys, kind="stable")  # a run lists its documents in index order
        k = keys[order]
        for distance in range(1, WINDOW + 1):
            same = np.flatnonzero(k[distance:] == k[:-distance])
            if not len(same):
                break
            a, b = order[same], order[same + distance]
            near = _agreement(signatures, a, b) >= min_agree
            found.append(a[near] * n + b[near])
    codes = np.unique(np.concatenate(found))
    return codes // max(n, 1), codes % max(n, 1)


def _same_url(
    urls: NDArray[np.uint64], first: NDArray[np.int64], second: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Candidate pairs ``(first, second)`` and every pair of documents with the same URL.

    A URL is shared by a handful of scrapes of one page at most, except by mistake (a site
    that gives every page its home page as canonical URL): each is paired with the
    ``WINDOW`` documents before it, as LSH's runs are.
    """
    n = len(urls)
    found = [first * n + second]
    order = np.argsort(urls, kind="stable")
    known = order[urls[order] != 0]
    for distance in range(1, WINDOW + 1):
        same = np.flatnonzero(urls[known[distance:]] == urls[known[:-distance]])
        if not len(same):
            break
        found.append(known[same] * n + known[same + distance])
    codes = np.unique(np.concatenate(found))
    return codes // max(n, 1), codes % max(n, 1)


def _agreement(
    signatures: NDArray[np.uint32], a: NDArray[np.int64], b: NDArray[np.int64]
) -> NDArray[np.float64]:
    """The share of equal signature entries of each pair (their Jaccard estimate)."""
    agree = np.empty(len(a))
    for start in range(0, len(a), PAIR_CHUNK):  # bounded: a chunk of pairs at a time
        part = slice(start, start + PAIR_CHUNK)
        agree[part] = (signatures[a[part]] == signatures[b[part]]).mean(axis=1)
    return agree


@dataclass(frozen=True)
class _Part:
    """One paragraph of a document read back: what verifying a pair compares."""

    shingles: NDArray[np.uint64]  # sorted, distinct
    figures: tuple[str, ...]
    names: tuple[str, ...]
    candidate: bool  # a boilerplate candidate


@dataclass
class _ReadBack:
    """Documents read back for verification: shingle sets and signatures, whole and without
    their boilerplate candidates (``stripped``), and their paragraphs."""

    whole: list[NDArray[np.uint64]]
    stripped: list[NDArray[np.uint64]]
    whole_signatures: NDArray[np.uint32]
    stripped_signatures: NDArray[np.uint32]
    parts: list[list[_Part]] = field(default_factory=list)

    def agreement(
        self, a: NDArray[np.int64], b: NDArray[np.int64], stripped: bool = False
    ) -> NDArray[np.float64]:
        """The signature estimate of each pair's similarity."""
        return _agreement(self.stripped_signatures if stripped else self.whole_signatures, a, b)

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
        pa = [p for p in self.parts[a] if not (stripped and p.candidate)]
        pb = [p for p in self.parts[b] if not (stripped and p.candidate)]
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
    px: Sequence[_Part],
    py: Sequence[_Part],
    threshold: float,
    contained: bool = False,
) -> float | None:
    """The Jaccard similarity of two shingle sets when it (or with ``contained``, the share
    of the larger set found in the other) reaches ``threshold``, both have
    ``CONTAINED_MIN`` shingles, and the figures and the names of their paragraphs agree as
    much (:func:`_in_order`); else None."""
    if min(len(x), len(y)) < CONTAINED_MIN:
        return None
    similarity, containment = overlap(x, y)
    # the share of the larger set found in the other
    if (
        containment * min(len(x), len(y)) / max(len(x), len(y)) if contained else similarity
    ) < threshold:
        return None
    figures = _in_order([f for p in px for f in p.figures], [f for p in py for f in p.figures])
    named = _in_order([n for p in px for n in p.names], [n for p in py for n in p.names])
    return similarity if min(figures, named) >= threshold else None


# A note added to a story is short beside it: at most this share of the story's shingles.
NOTE_SHARE = 0.25


def _without_notes(parts: Sequence[_Part], other: NDArray[np.uint64]) -> list[_Part] | None:
    """``parts`` without the paragraphs at either end that ``other`` (a shingle set) does not
    hold (less than half of their shingles in it); None when those make more than
    ``NOTE_SHARE`` of what is left, which is then another story, not a note."""
    held = [
        len(p.shingles) == 0 or 2 * np.isin(p.shingles, other).sum() >= len(p.shingles)
        for p in parts
    ]
    first = next((i for i, h in enumerate(held) if h), len(parts))
    last = len(parts) - next((i for i, h in enumerate(reversed(held)) if h), len(parts))
    body = list(parts[first:last])
    notes = sum(len(p.shingles) for p in (*parts[:first], *parts[last:]))
    return body if body and notes <= NOTE_SHARE * len(_union(body)) else None


def _union(parts: Sequence[_Part]) -> NDArray[np.uint64]:
    union: NDArray[np.uint64] = np.unique(
        np.concatenate([np.empty(0, dtype=np.uint64), *(p.shingles for p in parts)])
    )
    return union


def _in_order(a: Sequence[str], b: Sequence[str]) -> float:
    """The share of the shorter list found, in order, in the other (1.0 for two empty ones):
    a figure added (an update's time) takes nothing away, a figure changed does."""
    if not a or not b:
        return 1.0 if not a and not b else 0.0
    blocks = SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    return sum(block.size for block in blocks) / min(len(a), len(b))


def _preference(index: CorpusIndex, keep: str, frozen: int = 0) -> NDArray[np.int64]:
    """Each document's rank: the lower, the likelier it is kept; frozen ones come first.

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
    frozen_first = tuple(np.where(position < frozen, -1, key) for key in keys[1:])
    order = np.lexsort((position, *frozen_first, position >= frozen))
    rank = np.empty_like(position)
    rank[order] = position
    return rank


def _read_back(
    documents: NDArray[np.int64],
    candidates: NDArray[np.uint64],
    options: DedupOptions,
    read: Reader,
) -> _ReadBack:
    """Exact shingle sets and signatures of documents, whole and without boilerplate."""
    count, m = len(documents), options.num_perm
    seen = _ReadBack([], [], _unseen(count, m), _unseen(count, m))
    for start in range(0, len(documents), READ_CHUNK):
        texts = list(read(documents[start : start + READ_CHUNK]))
        said = [p for paragraphs in texts for p in paragraphs]
        fp = fingerprint(said, options.num_perm, options.seed, options.shingle_size)
        wanted = ~np.isin(fp.sequence_hashes(), candidates)
        first = 0
        for n, paragraphs in enumerate(texts, start):
            rows = np.arange(first, first + len(paragraphs))
            first += len(paragraphs)
            kept = rows[wanted[rows]]
            seen.whole.append(fp.shingle_union(rows))
            seen.stripped.append(fp.shingle_union(kept))
            seen.parts.append(
                [
                    _Part(fp.shingle_union([i]), numbers(fp.keys[i]), names(said[i]), not wanted[i])
                    for i in rows.tolist()
                ]
            )
            seen.whole_signatures[n] = fp.signatures[rows].min(axis=0, initial=0xFFFFFFFF)
            seen.stripped_signatures[n] = fp.signatures[kept].min(axis=0, initial=0xFFFFFFFF)
    return seen


def _unseen(documents: int, num_perm: int) -> NDArray[np.uint32]:
    return np.full((documents, num_perm), 0xFFFFFFFF, dtype=np.uint32)
