"""The corpus-wide pass as steps that hand files to each other, each a pure function of a shard.

As datatrove's MinHash stages do, the pass is cut into steps whose inputs and outputs are files
in a staging folder beside the output (:class:`cleaner.atomic.Staging`); a shard is a small,
picklable description of one piece of a step's work (paths, ranges), and a step returns only
small values. :func:`across_documents`, the driver, runs each step as
``engine.map(run_step, shards)``, so one engine or another (this process, local workers, a
cluster sharing the folder) can run every step:

1. *summaries*: the per-batch stage (:func:`cleaner.chain.process_batch`) leaves each
   batch's rows and index part in the staging folder (:func:`part_files`); with corpora
   already written, their index files. The driver joins the index parts (numbers, no text).
2. *candidate pairs* (:class:`FindPairs`, a shard per range of bands): the pairs of documents
   whose signatures share a band, or whose canonical URL is the same
   (:func:`cleaner.deduplicate_corpus.document_candidates`), sorted; beside them, one shard
   finds the boilerplate candidates (:class:`FindBoilerplate`), which verification leaves out.
3. *verified pairs* (:class:`VerifyPairs`, a shard per slice of the pairs, in the order the
   decision takes them): only the documents of the candidate pairs are read back, and each
   pair's exact similarity is written (:mod:`cleaner.verification`).
4. *decisions* (:class:`Decide`, one shard): the clusters, in order of preference
   (:mod:`cleaner.clustering`), then boilerplate counted over the documents that stay; the
   removals are written with the ids and texts they name.
5. *application* (:class:`Apply`, a shard per part of rows): the rows with the decisions
   applied, and the rejects of the documents that leave; the driver writes the parts in
   order.

Each step computes what the single pass computed, in the same order where order matters, so
the output is byte for byte the same however the work is cut and whoever runs it.
"""

from __future__ import annotations

import ctypes
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from cleaner.banding import fold_rows, lsh_bands
from cleaner.clustering import keep_decision, preference, same_text
from cleaner.corpus_index import (
    MAPPED_CHUNK,
    ArrayFiles,
    CorpusIndex,
    IndexFiles,
    Reader,
    in_chunks,
    paragraph_starts,
    read_chunks,
    release,
)
from cleaner.deduplicate import DedupOptions
from cleaner.deduplicate_corpus import (
    BOILERPLATE,
    DUPLICATE,
    band_aim,
    boilerplate_candidates,
    boilerplate_removals,
    document_candidates,
    ordered_pairs,
)
from cleaner.document import Rejected, Removal
from cleaner.document_sets import DocumentSet, RowFile, indices, read_paragraphs
from cleaner.errors import InputError
from cleaner.fingerprint import distinct, isin, string_hashes
from cleaner.formats import (
    document_of,
    documents_table,
    index_table,
    original_paragraphs,
    read_ipc,
    reject_row,
    write_ipc,
)
from cleaner.metadata import detect_language
from cleaner.verification import verify
from cleaner.write import CorpusWriter

if TYPE_CHECKING:
    from cleaner.engine import Engine


def part_files(staging: Path, number: int) -> tuple[Path, Path]:
    """The rows and the index part of batch ``number``, as the per-batch stage writes them."""
    return staging / f"rows-{number:06d}.arrow", staging / f"index-{number:06d}.arrow"


class Summaries:
    """The index and the doc_ids of the pass's documents, gathered in the staging folder a
    part at a time, in the order the documents are numbered (``index.*.bin``, ``doc_ids.arrow``):
    what the steps read, and the driver never holds whole."""

    def __init__(self, staging: Path, num_perm: int) -> None:
        self.index = IndexFiles(staging, num_perm).create()
        self.doc_ids = pa.ipc.new_file(str(staging / DOC_IDS), _DOC_IDS_SCHEMA)

    def add(self, index: CorpusIndex, doc_ids: pa.ChunkedArray) -> None:
        self.index.append(index)
        for chunk in doc_ids.cast(pa.string()).chunks:
            self.doc_ids.write_batch(pa.record_batch([chunk], schema=_DOC_IDS_SCHEMA))

    def close(self) -> None:
        self.doc_ids.close()


DOC_IDS = "doc_ids.arrow"
_DOC_IDS_SCHEMA = pa.schema([("doc_id", pa.string())])


# Kept documents whose index rows are gathered at a time to be written. They are spread over
# the corpus, and each row read from a memory map brings up to 64 KiB of the file into the
# process (the kernel maps the pages around a fault): 4,096 of them held 220 MB of a 1 GB
# dump's signatures, where 256 hold at most 16 MiB of each field, whatever the corpus. The
# writer cuts the same row groups however the rows arrive.
GATHER_CHUNK = 256


def _doc_ids(folder: Path) -> pa.ChunkedArray:
    """The doc_ids that :class:`Summaries` gathered, memory-mapped; opened for each use, as
    the pages a map has touched count in the process's memory until it is closed."""
    return read_ipc(folder / DOC_IDS).column("doc_id")


def _index(folder: Path, options: DedupOptions) -> CorpusIndex:
    """The index the driver gathered, memory-mapped: each step reads only what it touches."""
    return IndexFiles(folder, options.num_perm).open()


@dataclass(frozen=True)
class Shard:
    """What every step's shard holds: the staging folder, the options, the rows to read."""

    staging: str
    options: DedupOptions
    rows: tuple[RowFile, ...]

    @property
    def folder(self) -> Path:
        return Path(self.staging)

    @property
    def read(self) -> Reader:
        return partial(read_paragraphs, self.rows)

    def run(self) -> Any:
        raise NotImplementedError


def run_step(shard: Shard) -> Any:
    """The one function an engine maps: a step is its shard's :meth:`Shard.run`. What the
    step freed goes back to the system after it (:func:`_give_back`), so that a process
    running step after step (one worker) holds what one step needs, not what all did."""
    try:
        return shard.run()
    finally:
        _give_back()


def _give_back() -> None:
    """Hand the free pages of the C heap back to the system (glibc's ``malloc_trim``).

    A step makes many small objects (the paragraphs read back, an array of shingles for
    each) and frees them; glibc keeps the holes they leave in its heap, which count in the
    process's resident memory, and the next step's objects do not always fit them. Where
    the C library has no ``malloc_trim`` (not glibc), nothing is done.
    """
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim  # this process's C library
    except (OSError, AttributeError):
        return None
    return trim


_MALLOC_TRIM = _malloc_trim()


@dataclass(frozen=True)
class FindBoilerplate(Shard):
    """Step 2, beside the pairs: the boilerplate candidates and the recurring paragraphs that
    are data (``exempted.npy``, ``candidates.npy``)."""

    def run(self) -> int:
        index = _index(self.folder, self.options)
        exempted, candidates = boilerplate_candidates(index, self.options, self.read, self.folder)
        np.save(self.folder / "exempted.npy", exempted)
        np.save(self.folder / "candidates.npy", candidates)
        return len(candidates)


@dataclass(frozen=True)
class FindPairs(Shard):
    """Step 2: the candidate pairs of some bands, over the signatures of the documents that
    stand for their text (``heads``), as sorted pair codes (``pairs-<first band>.npy``)."""

    bands: range = range(0)

    def run(self) -> int:
        urls = np.load(self.folder / "head_urls.npy")
        signatures = HeadSignatures(self.folder)
        first, second = document_candidates(signatures, urls, self.options, self.bands)
        np.save(self.folder / f"pairs-{self.bands.start:04d}.npy", first * len(urls) + second)
        return len(first)


@dataclass(frozen=True)
class VerifyPairs(Shard):
    """Step 3: the exact similarity of the pairs ``start`` to ``stop`` (:func:`_pairs`) when
    one repeats the other, NaN when not (``verified-<start>.npy``)."""

    start: int = 0
    stop: int = 0
    read_only: int = 0

    def run(self) -> int:
        pairs = _pairs(self.folder).open()
        root, other, same_url = (
            np.array(pairs[name][self.start : self.stop]) for name in ("root", "other", "same_url")
        )
        candidates = np.load(self.folder / "candidates.npy")
        similarity = verify(
            root,
            other,
            same_url,
            candidates,
            self.options,
            self.read,
            self.read_only,
            self.start == 0,
        )
        np.save(self.folder / f"verified-{self.start:09d}.npy", similarity)
        return int(np.count_nonzero(~np.isnan(similarity)))


@dataclass(frozen=True)
class Decide(Shard):
    """Step 4: which documents leave and which paragraphs go as boilerplate, with what they
    repeat (``duplicates.arrow``, ``boilerplate.arrow``)."""

    read_only: int = 0
    verified: tuple[str, ...] = ()

    def run(self) -> tuple[int, int]:
        index = _index(self.folder, self.options)
        doc_ids = _doc_ids(self.folder)
        pairs = _pairs(self.folder).open()
        root, other = pairs["root"], pairs["other"]
        similarity = np.concatenate([np.empty(0), *(np.load(path) for path in self.verified)])
        texts, head_of = np.load(self.folder / "texts.npy")
        duplicates = keep_decision(
            root, other, similarity, texts, head_of, index.documents, self.read_only
        )
        del root, other, similarity, texts, head_of
        exempted = np.load(self.folder / "exempted.npy")
        found = boilerplate_removals(
            index, duplicates, self.options, exempted, self.read, self.read_only
        )
        removed = duplicates.removed
        write_ipc(
            self.folder / "duplicates.arrow",
            pa.table(
                {
                    "doc": removed,
                    "kept_id": doc_ids.take(indices(duplicates.kept_as[removed])),
                    "similarity": pa.array(duplicates.similarity[removed], pa.float64()),
                }
            ),
        )
        other_doc, other_index = found.other_doc, found.other_index
        repeated = _repeated(index, other_doc, other_index, self.read)
        write_ipc(
            self.folder / "boilerplate.arrow",
            pa.table(
                {
                    "doc": found.doc,
                    "index": found.index,
                    "other_index": other_index,
                    "other_id": doc_ids.take(indices(other_doc)),
                    "repeats": pa.array(repeated, pa.string()),
                }
            ),
        )
        return len(removed), len(found.doc)


def _repeated(
    index: CorpusIndex, docs: NDArray[np.int64], positions: NDArray[np.int32], read: Reader
) -> list[str]:
    """The text of each paragraph a boilerplate removal names (document, position before
    removal): a few documents per boilerplate paragraph, read back so that every removal
    carries the paragraph it repeats."""
    wanted = set(zip(docs.tolist(), positions.tolist(), strict=True))
    texts: dict[tuple[int, int], str] = {}
    for chunk, found in read_chunks(read, distinct(docs)):
        for doc, paragraphs in zip(chunk, found, strict=True):
            # read() gives the paragraphs the index holds, whose positions it records
            first, end = np.searchsorted(index.paragraph_doc, [doc, doc + 1])
            at = index.paragraph_index[first:end].tolist()
            texts.update(
                ((doc, j), text)
                for j, text in zip(at, paragraphs, strict=True)
                if (doc, j) in wanted
            )
    return [texts[doc, j] for doc, j in zip(docs.tolist(), positions.tolist(), strict=True)]


@dataclass
class Outcome:
    """What the corpus-wide pass changed, for the run's report."""

    index_bytes: int = 0
    decide_seconds: float = 0.0  # the rest is writing
    documents_out: int = 0  # documents written
    paragraphs_removed: int = 0  # kept paragraphs that left, with their documents or alone
    removed: Counter[str] = field(default_factory=Counter)  # paragraphs, by reason
    rejects: Counter[str] = field(default_factory=Counter)  # documents, by reason
    documents_removed: list[int] = field(default_factory=list)  # by number in the index
    language_seconds: float = 0.0  # detecting the languages of the documents that stay

    def add(self, other: Outcome) -> None:
        self.language_seconds += other.language_seconds
        self.documents_out += other.documents_out
        self.paragraphs_removed += other.paragraphs_removed
        self.removed.update(other.removed)
        self.rejects.update(other.rejects)
        self.documents_removed.extend(other.documents_removed)


@dataclass
class Applied:
    """What an :class:`Apply` shard hands back: where its rows are (None: as they were), the
    reject rows of the documents that left, and its counts."""

    rows: str | None
    rejects: list[dict[str, Any]]
    outcome: Outcome


@dataclass(frozen=True)
class Apply(Shard):
    """Step 5: the decisions applied to one file of rows, documents ``first`` onwards
    (``applied-<first>.arrow``); ``rows`` holds that one file. Rows this run set aside
    (:attr:`RowFile.staged`) get the languages of the documents that stay here."""

    first: int = 0

    def run(self) -> Applied:
        (file,) = self.rows
        outcome = Outcome(documents_out=file.documents)
        # A file of no rows (a batch of rejects) has nothing to apply, and the same first
        # document as the next file, whose applied rows take the name below.
        if not file.documents:
            return Applied(None, [], outcome)
        end = self.first + file.documents
        duplicates = _in_range(read_ipc(self.folder / "duplicates.arrow"), self.first, end)
        removals = _in_range(read_ipc(self.folder / "boilerplate.arrow"), self.first, end)
        read = rows = file.read()
        rejects: list[dict[str, Any]] = []
        if duplicates.num_rows or removals.num_rows:
            rows, rejects = _apply(rows, self.first, duplicates, removals, outcome)
        if file.staged:
            started = time.perf_counter()
            rows = _with_languages(rows)
            outcome.language_seconds += time.perf_counter() - started
        if rows is read:  # nothing decided, no language to detect: the file stands as it is
            return Applied(None, [], outcome)
        outcome.documents_out = rows.num_rows
        path = self.folder / f"applied-{self.first:012d}.arrow"
        write_ipc(path, rows)
        return Applied(str(path), rejects, outcome)


def _with_languages(rows: pa.Table) -> pa.Table:
    """Rows with a language detected for each whose source gave none, from the document's
    paragraphs as it was read (:func:`cleaner.metadata.detect_language`), as the per-document
    chain detects it."""
    column = rows.column("language")
    missing = np.flatnonzero(np.asarray(column.is_null(), dtype=bool))
    if not len(missing):
        return rows
    parts = rows.select(["paragraphs", "removed", "n_paragraphs_in"]).take(indices(missing))
    languages = column.to_pylist()
    for n, row in zip(missing.tolist(), parts.to_pylist(), strict=True):
        paragraphs = row["paragraphs"]
        if row["removed"]:
            paragraphs = original_paragraphs(paragraphs, row["removed"], row["n_paragraphs_in"])
        languages[n] = detect_language("\n".join(paragraphs))
    at = rows.schema.get_field_index("language")
    return rows.set_column(at, rows.schema.field(at), pa.array(languages, pa.string()))


def _in_range(table: pa.Table, first: int, end: int) -> pa.Table:
    # Compared in numpy: Arrow turns a Python number into a scalar in a way that reports a
    # Ctrl-C arriving meanwhile as a TypeError, which would end the run with a traceback.
    doc = np.asarray(table.column("doc"), dtype=np.int64)
    return table.take(indices(np.flatnonzero((doc >= first) & (doc < end))))


def _apply(
    rows: pa.Table, offset: int, duplicates: pa.Table, removals: pa.Table, outcome: Outcome
) -> tuple[pa.Table, list[dict[str, Any]]]:
    """Rows (document ``offset`` first) with the decisions applied: the rows to write, and the
    reject rows of the documents that leave."""
    numbers = range(rows.num_rows)
    gone = (np.asarray(duplicates.column("doc"), dtype=np.int64) - offset).tolist()
    by_doc: dict[int, list[dict[str, Any]]] = {}
    for removal in removals.to_pylist():
        by_doc.setdefault(removal["doc"] - offset, []).append(removal)
    edited = sorted(by_doc)
    rejects: list[tuple[int, dict[str, Any]]] = []  # by document, to be put in input order
    gone_rows = rows.select(["source", "doc_id", "n_paragraphs_out"]).take(indices(gone))
    for n, row, decided in zip(gone, gone_rows.to_pylist(), duplicates.to_pylist(), strict=True):
        kept_id, similarity = decided["kept_id"], decided["similarity"]
        why = Rejected(DUPLICATE, f"repeats {kept_id} (Jaccard similarity {similarity:.3f})")
        rejects.append((n, reject_row(row["source"], row["doc_id"], why, kept_id, similarity)))
        outcome.paragraphs_removed += row["n_paragraphs_out"]
        outcome.documents_removed.append(offset + n)
    changed, changed_at = [], []
    for n, row in zip(edited, rows.take(indices(edited)).to_pylist(), strict=True):
        document = document_of(row)
        already = {r.index for r in document.removed}  # a merged corpus was cleaned before
        for removal in by_doc[n]:
            i = removal["index"]
            if i not in already:
                text = document.paragraphs_in[i]
                document.removed.append(
                    Removal(
                        i,
                        text,
                        BOILERPLATE,
                        removal["repeats"],
                        removal["other_index"],
                        1.0,
                        1.0,
                        removal["other_id"],
                    )
                )
                outcome.removed[BOILERPLATE] += 1
                outcome.paragraphs_removed += 1
        document.removed.sort(key=lambda r: r.index)
        if document.paragraphs:
            changed.append(document)
            changed_at.append(n)
        else:
            why = Rejected("empty", "every paragraph is boilerplate (--boilerplate-min-docs)")
            rejects.append((n, reject_row(document.source, document.doc_id, why)))
            outcome.documents_removed.append(offset + n)
    # In input order, as the rows: whatever the parts the rows come in (a batch's, a merged
    # corpus's row group), the rejects come out in the same order.
    in_order = [row for _, row in sorted(rejects, key=lambda r: r[0])]
    outcome.rejects.update(row["reason"] for row in in_order)
    untouched = sorted(set(numbers) - set(gone) - set(edited))
    written = pa.concat_tables([rows.take(indices(untouched)), documents_table(changed)])
    return written.take(np.argsort(untouched + changed_at, kind="stable")), in_order


def across_documents(
    sets: Sequence[DocumentSet],
    summaries: Summaries,
    read_only: int,
    writer: CorpusWriter,
    options: DedupOptions,
    engine: Engine,
) -> Outcome:
    """Decide the corpus-wide removals over the documents of ``sets`` (numbered across them,
    in order), then write the rows of all but the first ``read_only`` documents with the
    decisions applied, and their index. Read-only documents (``--against``) count as any
    other but are never removed nor edited; they come first. ``summaries`` holds the index
    and doc_ids of all of them, in the staging folder where the steps, run on ``engine``,
    hand files to each other.

    This process holds a few numbers per document, no more: each document's rank, its text's
    head (:func:`cleaner.clustering.same_text`) and the columns of the index those read
    (``text_hash``, ``url_hash``, ``shingles``, and ``chars`` or the dates for ``--keep``);
    the pairs; and a chunk of the index while it copies it out.
    """
    summaries.close()
    staging = summaries.index.folder
    starts = np.cumsum([0, *(s.documents for s in sets)])
    _refuse_repeated_ids(_doc_ids(staging), [s.described for s in sets], starts)
    rows = tuple(file for s in sets for file in s.rows)

    started = time.perf_counter()
    index = summaries.index.open()
    rank = preference(index, options.keep, read_only)
    # Documents with the same words in the same order are settled without LSH: each text's
    # preferred copy stands for the others, which follow wherever it goes.
    texts, heads, head_of = same_text(index.text_hash, rank)
    np.save(staging / "texts.npy", np.stack([texts, head_of]))
    del texts, head_of  # the workers this process starts next would carry them too
    bands, band_rows = lsh_bands(band_aim(options), options.num_perm)
    _save_signatures(summaries.index, heads, staging, bands, band_rows)
    np.save(staging / "head_urls.npy", index.url_hash[heads])
    cuts = np.linspace(0, bands, min(bands, engine.workers) + 1).astype(int).tolist()
    finders: list[Shard] = [FindBoilerplate(str(staging), options, rows)]
    finders += [FindPairs(str(staging), options, rows, range(a, b)) for a, b in pairwise(cuts)]
    list(engine.map(run_step, finders))
    slices = _save_pairs(staging, cuts[:-1], index, heads, rank, engine.workers)
    verifiers = [VerifyPairs(str(staging), options, rows, a, b, read_only) for a, b in slices]
    list(engine.map(run_step, verifiers))
    verified = tuple(str(staging / f"verified-{a:09d}.npy") for a, _ in slices)
    list(engine.map(run_step, [Decide(str(staging), options, rows, read_only, verified)]))
    outcome = Outcome(index.nbytes, time.perf_counter() - started)
    documents = index.documents
    del index, rank, heads

    appliers = []
    first = int(starts[0])
    for file in rows:
        if first >= read_only:
            appliers.append(Apply(str(staging), options, (file,), first))
        first += file.documents
    for applier, applied in zip(appliers, engine.map(run_step, appliers), strict=True):
        (file,) = applier.rows
        written = RowFile(applied.rows, applied.outcome.documents_out) if applied.rows else file
        writer.add_corpus_rows(written)
        writer.add_rejects(applied.rejects)
        outcome.add(applied.outcome)
    # The index keeps each document's paragraphs as de-duplication inside it left them,
    # boilerplate included: later runs count boilerplate over every document.
    gone = np.array(outcome.documents_removed, dtype=np.int64)
    every = np.arange(read_only, documents, dtype=np.int64)
    kept = every[~isin(every, gone)]
    index = summaries.index.open()
    starts = paragraph_starts(index)
    for part in in_chunks(index, len(kept), GATHER_CHUNK):
        doc_ids = _doc_ids(staging).take(indices(kept[part]))
        writer.add_index_table(index_table(index, kept[part], doc_ids, starts))
    return outcome


def _save_pairs(
    staging: Path,
    firsts: Sequence[int],
    index: CorpusIndex,
    heads: NDArray[np.int64],
    rank: NDArray[np.int64],
    workers: int,
) -> list[tuple[int, int]]:
    """The candidate pairs that the :class:`FindPairs` shards found (their first bands,
    ``firsts``), as documents, in the order the decision takes them (:func:`_pairs`);
    returned, the slices of them to verify.

    The pairs are many (a document has one with each of its near repeats), so they are put
    in order a range of their roots' ranks at a time, each range about ``PAIRS_PARTITION``
    pairs, the shards' codes read a chunk at a time: the decision takes the pairs by their
    root's rank first, so the ranges, in order, give the order of the whole, while this
    process holds one range's pairs, not all of them."""
    found = [np.load(staging / f"pairs-{a:04d}.npy", mmap_mode="r") for a in firsts]
    total = sum(len(codes) for codes in found)
    n = max(len(heads), 1)
    ranges = max(1, -(-total // PAIRS_PARTITION))
    edges = [k * len(rank) // ranges for k in range(ranges + 1)]
    saved = _pairs(staging).create()
    for low, high in pairwise(edges):
        picked = [np.empty(0, dtype=np.int64)]
        for codes in found:
            for part in in_chunks([codes], len(codes)):
                chunk = codes[part]
                root_rank = np.minimum(rank[heads[chunk // n]], rank[heads[chunk % n]])
                picked.append(chunk[(root_rank >= low) & (root_rank < high)])
        codes = distinct(np.concatenate(picked))
        root, other, same_url = ordered_pairs(index, heads[codes // n], heads[codes % n], rank)
        cost = index.shingles[root] + index.shingles[other]
        saved.append({"root": root, "other": other, "same_url": same_url, "cost": cost})
        release(index)
    return _slices(saved.open()["cost"], workers)


def _pairs(staging: Path) -> ArrayFiles:
    """The candidate pairs, in the order the decision takes them: each pair's documents
    (``root``, the preferred, and ``other``), whether they share a canonical URL, and what
    verifying it costs (their shingles)."""
    i64 = np.empty(0, dtype=np.int64)
    like = {"root": i64, "other": i64, "same_url": np.empty(0, dtype=bool), "cost": i64}
    return ArrayFiles(staging, "pairs", like)


PAIRS_PARTITION = 1 << 19  # pairs put in order at a time


def _save_signatures(
    files: IndexFiles, documents: NDArray[np.int64], staging: Path, bands: int, rows: int
) -> None:
    """The signatures of some documents (the heads), twice: by document (``head_signatures.npy``),
    for the agreement of pairs, and by band (``head_bands.npy``, bands x documents x rows), so
    that a shard of :class:`FindPairs` reads a band at a time (see :class:`HeadSignatures`).

    Both are read and written in order, a chunk at a time: a read through a memory map at
    random places maps the pages around each one too (the kernel's fault-around), so that
    gathering the heads' rows in their own order would hold the whole index's signatures.
    """
    n, width = len(documents), files.num_perm
    with open(staging / ROWS, "wb") as out:
        _header(out, (n, width))
        out.truncate(out.tell() + 4 * n * width)
    saved = np.load(staging / ROWS, mmap_mode="r+")
    index = files.open()
    order = np.argsort(documents, kind="stable")
    ascending = documents[order]
    for part in in_chunks(index, index.documents, SIGNATURE_CHUNK):
        first, end = np.searchsorted(ascending, [part.start, part.stop])
        saved[order[first:end]] = index.signatures[ascending[first:end]]
        release(saved)  # written pages go to the file, which keeps them
    saved.flush()
    with open(staging / BANDS, "wb") as by_band:
        _header(by_band, (bands, n, rows))
        at = by_band.tell()
        for part in in_chunks(index, n, SIGNATURE_CHUNK):
            block = np.ascontiguousarray(saved[part])
            release(saved)
            for band in range(bands):
                by_band.seek(at + 4 * rows * (band * n + part.start))
                by_band.write(block[:, band * rows : (band + 1) * rows].tobytes())


ROWS, BANDS = "head_signatures.npy", "head_bands.npy"
SIGNATURE_CHUNK = 1 << 11  # signatures copied at a time: 1 MiB read, up to 8 MiB of pages written


def _header(out: BinaryIO, shape: tuple[int, ...]) -> None:
    """The header of a ``.npy`` file of uint32 values, whose values are then written."""
    descr = np.lib.format.dtype_to_descr(np.dtype(np.uint32))
    np.lib.format.write_array_header_1_0(
        out, {"descr": descr, "fortran_order": False, "shape": shape}
    )


@dataclass(frozen=True)
class HeadSignatures:
    """The heads' signatures as :func:`_save_signatures` left them, read a band or a chunk of
    pairs at a time, each through a memory map of its own dropped after it (see
    :class:`cleaner.corpus_index.IndexFiles`): a shard holds a band's keys, not every
    signature (a :class:`cleaner.banding.Signatures`)."""

    folder: Path

    def __len__(self) -> int:
        return int(np.load(self.folder / ROWS, mmap_mode="r").shape[0])

    def band_keys(self, band: int, rows: int) -> NDArray[np.uint64]:
        block = np.load(self.folder / BANDS, mmap_mode="r")[band]
        keys = np.empty(len(block), dtype=np.uint64)
        for start in range(0, len(block), MAPPED_CHUNK):
            keys[start : start + MAPPED_CHUNK] = fold_rows(block[start : start + MAPPED_CHUNK])
        return keys

    def agreement(self, a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.float64]:
        agree = np.empty(len(a))
        for start in range(0, len(a), PAIRS_MAPPED):
            part = slice(start, start + PAIRS_MAPPED)
            signatures = np.load(self.folder / ROWS, mmap_mode="r")
            agree[part] = (signatures[a[part]] == signatures[b[part]]).mean(axis=1)
        return agree


# Pairs compared through one map of the signatures: each pair may touch two pages of it.
PAIRS_MAPPED = 4096


def _slices(costs: NDArray[np.int64], workers: int) -> list[tuple[int, int]]:
    """Pairs cut into a slice per worker, of about equal cost (``costs``, each pair's
    shingles, read a chunk at a time), none empty but the one of no pairs: each slice reads
    back the documents of its own pairs, and only the first can skip the pairs the decision
    will not ask for, so more slices would cost more than they even out."""
    pieces = max(1, workers)
    total = sum(int(costs[part].sum()) for part in in_chunks([costs], len(costs)))
    aims = np.linspace(0, total, pieces + 1)[1:-1]
    # Where the running cost passes each aim: the pairs whose running cost is at most it.
    reached, spent = np.zeros(len(aims), dtype=np.int64), 0
    for part in in_chunks([costs], len(costs)):
        running = spent + np.cumsum(costs[part])
        reached += np.searchsorted(running, aims, "right")
        spent = int(running[-1])
    cuts = distinct([0, *reached.tolist(), len(costs)])
    return list(pairwise(cuts.tolist())) or [(0, 0)]


def _refuse_repeated_ids(
    doc_ids: pa.ChunkedArray, described: Sequence[str], starts: NDArray[np.int64]
) -> None:
    """A doc_id names one document: two sets with the same one are refused, not merged.

    Found among 64-bit hashes of the ids (:func:`cleaner.fingerprint.string_hashes`), 8 bytes a
    document where a table of the ids would hold their text; the ids of equal hashes are
    then compared, so that a collision refuses nothing. The id named is the repeated one that
    comes first, with the two places it is found first.
    """
    hashes = np.concatenate(
        [
            np.empty(0, dtype=np.int64),
            *(string_hashes(chunk.to_pylist()) for chunk in doc_ids.chunks),
        ]
    )
    order = np.argsort(hashes, kind="stable")  # equal ids: in ascending rows
    same = np.flatnonzero(hashes[order][1:] == hashes[order][:-1])
    rows = [
        (int(order[k]), int(order[k + 1]))
        for k in same.tolist()
        if doc_ids[int(order[k])] == doc_ids[int(order[k + 1])]
    ]
    if not rows:
        return
    found = min(rows)
    doc_id = doc_ids[found[0]].as_py()
    first, second = (described[int(np.searchsorted(starts, row, "right")) - 1] for row in found)
    if first == second:  # a set's own ids are unique, so the same set was given twice
        raise InputError(f"doc_id {doc_id!r} is twice in {first}: is it given twice?")
    raise InputError(
        f"doc_id {doc_id!r} is in {first} and in {second}: a doc_id is the input folder's name"
        " and the file's path in it (a file given by name: its name), then #record, so two"
        " folders of the same name holding files of the same name give the same ones; doc_ids"
        " must be unique, so give the folders distinct names (the day's date, say), or clean"
        " them in one run, which tells them apart by their parent folders"
    )
