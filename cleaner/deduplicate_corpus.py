"""Deduplicate across documents: repeated documents and boilerplate paragraphs, corpus-wide.

:mod:`cleaner.deduplicate` removes the repeats inside each document. Across the corpus two
more kinds of repeat go, each with its evidence:

- ``duplicate_document``: a document whose words largely repeat another one (the same story
  fetched twice, a syndicated wire story, a feed saved in two encodings) leaves the corpus for
  the rejects table, which names the document kept instead and their exact Jaccard
  similarity. Of each cluster the first document in input order is kept, or with
  ``keep="longest"`` the longest (the first of equals), or with ``keep="newest"`` the one
  published last (:mod:`cleaner.clustering`).
- ``boilerplate``: a paragraph whose words, in order, appear in at least
  ``boilerplate_min_docs`` documents (a footer, a "Reporting by" line) is removed from each of
  them, naming the earliest other document that has it (:mod:`cleaner.boilerplate`). A
  paragraph two articles share, a quotation, stays.

Similarity is measured on word shingles, as for paragraphs: a document's shingle set is the
union of its kept paragraphs' sets, with boilerplate left out, so that two copies of a story
that carry different channel footers are still copies. The decision is made on the corpus
index (:mod:`cleaner.corpus_index`), which holds no text, when every batch is in
(:func:`decide`):

1. Paragraph hashes found in ``boilerplate_min_docs`` documents or more are boilerplate
   candidates, but for lone words and the lines of a template (:func:`cleaner.boilerplate.exempt`).
2. LSH proposes candidate document pairs (:func:`document_candidates`): the signatures are
   banded with numpy (:mod:`cleaner.banding`), not with datasketch's ``MinHashLSH``, which
   inserts one document at a time in Python and finds the same pairs many times more slowly.
   The bands aim below the threshold, because the signatures still include the boilerplate
   that the verdict leaves out. Documents with the same canonical URL are candidates whatever
   LSH says: an article scraped again after an update.
3. The documents of those pairs are read back and fingerprinted again, whole and without their
   boilerplate candidates, which gives their exact shingle sets; pairs whose signatures agree
   far less than the threshold asks are dropped (:mod:`cleaner.verification`).
4. In order of preference, each document not yet removed keeps its cluster
   (:func:`cleaner.clustering.keep_decision`). The similarity leaves the boilerplate
   candidates out, unless that leaves one of the two with no text, and an update note at
   either end of a story. Documents with the same words in the same order are duplicates
   whatever their size; otherwise both need ``CONTAINED_MIN`` shingles.
5. Boilerplate is counted again over the documents that stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from cleaner.banding import (
    ESTIMATE_SLACK,
    SignatureArray,
    Signatures,
    banded_pairs,
    distinct_pairs,
    equal_key_pairs,
    lsh_bands,
)
from cleaner.boilerplate import Boilerplate, boilerplate, exempt, recurring_hashes
from cleaner.clustering import Duplicates, keep_decision, oriented, preference, same_text
from cleaner.corpus_index import CorpusIndex, Reader
from cleaner.deduplicate import DedupOptions
from cleaner.fingerprint import isin
from cleaner.verification import lowest_similarity, verify

DUPLICATE = "duplicate_document"
BOILERPLATE = "boilerplate"
# How far under the document threshold the bands aim: room for boilerplate in the signatures.
BAND_SLACK = 0.3
# Within a run of documents sharing a band (or a URL), each is paired with this many before it.
WINDOW = 64


class BoilerplateRemoval(NamedTuple):
    """A paragraph of a document removed as boilerplate, and where else it stands."""

    paragraph_index: int  # its position in the document's paragraphs
    other_doc: int  # the earliest other document that has it
    other_index: int  # its position there


@dataclass
class Decisions:
    """What corpus-wide de-duplication removes, by document number in the index."""

    duplicate_of: dict[int, tuple[int, float]]  # document -> (document kept, Jaccard)
    boilerplate: dict[int, list[BoilerplateRemoval]]


def decide(
    index: CorpusIndex, options: DedupOptions, read: Reader, read_only: int = 0
) -> Decisions:
    """Duplicate documents and boilerplate paragraphs of an index (see the module docs), in
    this process: the steps of :mod:`cleaner.corpus_steps` compose the same functions.

    ``read(documents)`` yields the kept paragraphs of each of the given documents, in order.
    The first ``read_only`` documents belong to corpora already written (``--against``): they
    are preferred to any other, count as any other, and are never removed from nor edited.
    """
    exempted, candidates = boilerplate_candidates(index, options, read)
    rank = preference(index, options.keep, read_only)
    texts, heads, head_of = same_text(index.text_hash, rank)
    signatures = SignatureArray(index.signatures[heads])
    first, second = document_candidates(signatures, index.url_hash[heads], options)
    root, other, same_url = ordered_pairs(index, heads[first], heads[second], rank)
    similarity = verify(root, other, same_url, candidates, options, read, read_only)
    duplicates = keep_decision(root, other, similarity, texts, head_of, index.documents, read_only)
    found = boilerplate_removals(index, duplicates, options, exempted, read, read_only)
    by_doc: dict[int, list[BoilerplateRemoval]] = {}
    for doc, i, other_doc, j in zip(
        found.doc.tolist(),
        found.index.tolist(),
        found.other_doc.tolist(),
        found.other_index.tolist(),
        strict=True,
    ):
        by_doc.setdefault(doc, []).append(BoilerplateRemoval(i, other_doc, j))
    return Decisions(duplicates.as_dict(), by_doc)


def boilerplate_candidates(
    index: CorpusIndex, options: DedupOptions, read: Reader, folder: Path | None = None
) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
    """The recurring paragraphs that are data (exempted from boilerplate) and the boilerplate
    candidates, which the verdict on documents leaves out (paragraph hashes, sorted); what
    telling them apart keeps on disk goes to ``folder`` (a temporary folder by default)."""
    recurring = recurring_hashes(index, options.boilerplate_min_docs)
    exempted = exempt(index, recurring, read, folder)
    return exempted, recurring[~isin(recurring, exempted)]  # both sorted, distinct


def ordered_pairs(
    index: CorpusIndex, a: NDArray[np.int64], b: NDArray[np.int64], rank: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
    """Candidate pairs taken from their preferred side, in the order the decision takes them
    (:func:`cleaner.clustering.oriented`), and whether the two share a canonical URL."""
    root, other, order = oriented(a, b, rank)
    root, other = root[order], other[order]
    same_url = (index.url_hash[root] == index.url_hash[other]) & (index.url_hash[root] != 0)
    return root, other, same_url


def boilerplate_removals(
    index: CorpusIndex,
    duplicates: Duplicates,
    options: DedupOptions,
    exempted: NDArray[np.uint64],
    read: Reader,
    read_only: int = 0,
) -> Boilerplate:
    """Boilerplate counted over the documents that stay, in those that may be edited."""
    alive = duplicates.kept_as < 0
    found = boilerplate(index, alive, options.boilerplate_min_docs, exempted, read)
    editable = found.doc >= read_only
    return Boilerplate(
        found.doc[editable],
        found.index[editable],
        found.other_doc[editable],
        found.other_index[editable],
        found.hashes,
        found.row[editable],
    )


def band_aim(options: DedupOptions) -> float:
    """The similarity the bands aim at: under the threshold, for the boilerplate the
    signatures hold, and under the lowest similarity an updated re-scrape can have."""
    return max(0.05, min(options.document_threshold - BAND_SLACK, lowest_similarity(options)))


def document_candidates(
    signatures: Signatures,
    urls: NDArray[np.uint64],
    options: DedupOptions,
    band_range: range | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Candidate pairs ``(i, j)``, ``i < j``, of documents (their signatures and URL hashes):
    sharing a band and agreeing enough, or with the same canonical URL.

    With ``band_range``, only those bands are looked at, and only the shard of the bands
    starting at 0 adds the URL pairs: the union over shards is the whole answer.
    """
    aim = band_aim(options)
    bands, rows = lsh_bands(aim, options.num_perm)
    chosen = range(bands) if band_range is None else band_range
    first, second = banded_pairs(signatures, chosen, rows, aim - ESTIMATE_SLACK, WINDOW)
    if band_range is not None and band_range.start != 0:
        return first, second
    return _same_url(urls, first, second)


def _same_url(
    urls: NDArray[np.uint64], first: NDArray[np.int64], second: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Candidate pairs ``(first, second)`` and every pair of documents with the same URL.

    A URL is shared by a handful of scrapes of one page at most, except by mistake (a site
    that gives every page its home page as canonical URL): each is paired with the
    ``WINDOW`` documents before it, as LSH's runs are.
    """
    n = len(urls)
    known = np.flatnonzero(urls != 0)
    found = [first * n + second]
    found.extend(known[a] * n + known[b] for a, b in equal_key_pairs(urls[known], WINDOW))
    return distinct_pairs(found, n)
