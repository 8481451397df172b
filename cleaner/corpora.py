"""Passes over whole corpora: the corpus-wide decisions applied, ``--against``, ``merge``.

:func:`across_documents` is the second pass of a run with ``--scope corpus``: it decides what
repeats across documents (:mod:`cleaner.deduplicate_corpus`) and writes the rows with the
decisions applied, and the index of what it wrote. The documents come from holders: the
rows this run spilled (:class:`SpilledRows`), and corpora already written
(:class:`ExistingCorpus`), which ``--against`` leaves as they are and ``merge`` rewrites.

A corpus written by :func:`cleaner.clean` has its index beside it
(``<stem>.index.parquet``): the fingerprints of its documents, which new documents are
compared with, so that the old texts are neither re-read nor hashed again. Only the documents
that LSH proposes as candidates are read back from the corpus, to verify them exactly.
Fingerprints compare only under the same scheme, normalisation, permutations, seed and
shingle size: a corpus made with other ones is refused, not compared.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numpy.typing import NDArray

from cleaner.deduplicate import DedupOptions
from cleaner.deduplicate_corpus import (
    BOILERPLATE,
    DUPLICATE,
    READ_CHUNK,
    CorpusIndex,
    Decisions,
    decide,
    index_table,
    read_index,
)
from cleaner.document import Rejected, Removal
from cleaner.errors import InputError
from cleaner.write import (
    CORPUS_SCHEMA,
    METADATA_KEY,
    CorpusWriter,
    corpus_metadata,
    document_of,
    documents_table,
    index_path,
    reject_row,
)


class Holder(Protocol):
    """Documents for the corpus-wide pass: their index, ids, rows and texts, in one order."""

    @property
    def index(self) -> CorpusIndex: ...

    @property
    def doc_ids(self) -> pa.ChunkedArray: ...

    @property
    def described(self) -> str:
        """Where the documents come from, for a message."""
        ...

    def paragraphs(self, rows: NDArray[np.int64]) -> list[list[str]]:
        """The paragraphs of some documents (ascending), as de-duplication inside each left
        them: boilerplate included."""
        ...

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The corpus rows, in order."""
        ...


@dataclass
class SpilledRows:
    """The rows a run set aside (see :class:`cleaner.write.Spill`), and their index."""

    table: pa.Table
    index: CorpusIndex

    @property
    def doc_ids(self) -> pa.ChunkedArray:
        return self.table.column("doc_id")

    @property
    def described(self) -> str:
        return "this run's inputs"

    def paragraphs(self, rows: NDArray[np.int64]) -> list[list[str]]:
        found: list[list[str]] = self.table.column("paragraphs").take(_indices(rows)).to_pylist()
        return found

    def batches(self) -> Iterator[pa.RecordBatch]:
        return iter(self.table.to_batches())


@dataclass
class ExistingCorpus:
    """A corpus already written: its index and doc_ids, its rows and texts on demand."""

    path: Path
    index: CorpusIndex
    doc_ids: pa.ChunkedArray
    metadata: dict[str, Any]

    @classmethod
    def open(
        cls, path: Path, fingerprint: dict[str, Any] | None = None, role: str = ""
    ) -> ExistingCorpus:
        """Load ``path``'s index, refusing one whose fingerprints are not ``fingerprint``'s.

        ``role`` starts each error message (``"--against "``).
        """
        sidecar = index_path(path)
        try:
            corpus_metadata(path)
        except InputError as exc:
            raise InputError(f"{role}{exc}") from exc
        if not sidecar.is_file():
            raise InputError(f"{role}{path}: no index beside it ({sidecar.name}); rebuild it")
        try:
            table = pq.read_table(sidecar)
            recorded = json.loads((table.schema.metadata or {})[METADATA_KEY])
            made = recorded["fingerprint"]
        except (OSError, KeyError, ValueError, pa.ArrowException) as exc:
            raise InputError(f"{role}{path}: unreadable index {sidecar.name}: {exc}") from exc
        wanted: dict[str, Any] = fingerprint or made
        differ = [
            f"{key} {made.get(key)!r} (here {wanted[key]!r})"
            for key in sorted(wanted)
            if made.get(key) != wanted[key]
        ]
        if differ:
            raise InputError(
                f"{role}{path}: made with other fingerprint settings, which do not compare: "
                + ", ".join(differ)
            )
        try:
            index = read_index(table, wanted["num_perm"])
        except (ValueError, pa.ArrowException) as exc:
            raise InputError(f"{role}{path}: unreadable index {sidecar.name}: {exc}") from exc
        return cls(path, index, table.column("doc_id"), recorded)

    @property
    def described(self) -> str:
        return str(self.path)

    def batches(self) -> Iterator[pa.RecordBatch]:
        batches: Iterator[pa.RecordBatch] = pq.ParquetFile(self.path).iter_batches()
        return batches

    def paragraphs(self, rows: NDArray[np.int64]) -> list[list[str]]:
        """The paragraphs of some documents (row numbers, ascending) as their index knows
        them: kept by de-duplication inside the document, boilerplate included."""
        corpus = pq.ParquetFile(self.path)
        sizes = [corpus.metadata.row_group(g).num_rows for g in range(corpus.num_row_groups)]
        starts = np.cumsum([0, *sizes])
        group_of = np.searchsorted(starts, rows, "right") - 1
        groups = np.unique(group_of)
        # Only the row groups holding the documents asked for are read, one after another.
        table = corpus.read_row_groups(groups.tolist(), columns=CORPUS_SCHEMA.names)
        read_before = np.cumsum([0, *(sizes[g] for g in groups.tolist())])
        where = rows - starts[group_of] + read_before[np.searchsorted(groups, group_of)]
        found = []
        for row in table.take(_indices(where)).to_pylist():
            doc = document_of(row)
            gone = {r.index for r in doc.removed if r.reason != BOILERPLATE}
            found.append([p for i, p in enumerate(doc.paragraphs_in) if i not in gone])
        return found


@dataclass
class Outcome:
    """What the corpus-wide pass changed, for the run's report."""

    index_bytes: int = 0
    deciding: float = 0.0  # seconds; the rest is writing
    documents_out: int = 0  # documents written
    paragraphs_removed: int = 0  # kept paragraphs that left, with their documents or alone
    removed: Counter[str] = field(default_factory=Counter)  # paragraphs, by reason
    rejects: Counter[str] = field(default_factory=Counter)  # documents, by reason
    left: list[int] = field(default_factory=list)  # documents that left, by number


def across_documents(
    holders: Sequence[Holder], frozen: int, writer: CorpusWriter, options: DedupOptions
) -> Outcome:
    """Decide the corpus-wide removals over the documents of ``holders`` (numbered across
    them, in order), then write the rows of all but the first ``frozen`` documents with the
    decisions applied, and their index. Frozen documents (``--against``) count as any other
    but are never removed nor edited; they come first.
    """
    starts = np.cumsum([0, *(h.index.documents for h in holders)])
    doc_ids = pa.chunked_array(
        [chunk for h in holders for chunk in h.doc_ids.chunks], type=pa.string()
    )
    _refuse_repeated_ids(doc_ids, [h.described for h in holders], starts)

    def read(docs: NDArray[np.int64]) -> list[list[str]]:
        found: list[list[str]] = []
        for n, holder in enumerate(holders):  # docs are ascending, and so are the holders
            mine = docs[(docs >= starts[n]) & (docs < starts[n + 1])]
            found.extend(holder.paragraphs(mine - starts[n]) if len(mine) else [])
        return found

    started = time.perf_counter()
    index = CorpusIndex.concat([h.index for h in holders], options.num_perm)
    decisions = decide(index, options, read, frozen)
    repeated = _repeated(index, decisions, read)
    outcome = Outcome(index.nbytes, time.perf_counter() - started)
    for n, holder in enumerate(holders):
        if starts[n] < frozen:
            continue
        offset = int(starts[n])
        for batch in holder.batches():
            rows, rejects = _apply(batch, offset, decisions, repeated, doc_ids, outcome)
            writer.add_corpus_table(rows)
            writer.add_rejects(rejects)
            outcome.documents_out += rows.num_rows
            offset += batch.num_rows
    # The index keeps each document's paragraphs as de-duplication inside it left them,
    # boilerplate included: later runs count boilerplate over every document.
    gone = np.array(outcome.left, dtype=np.int64)
    kept = np.setdiff1d(np.arange(frozen, index.documents), gone).astype(np.int64)
    kept_ids = doc_ids.take(_indices(kept)) if len(kept) else pa.array([], type=pa.string())
    writer.add_index_table(index_table(index, kept, kept_ids))
    return outcome


def _repeated(
    index: CorpusIndex, decisions: Decisions, read: Callable[[NDArray[np.int64]], list[list[str]]]
) -> dict[tuple[int, int], str]:
    """The text of each paragraph a boilerplate removal names, by (document, position before
    removal): a few documents per boilerplate paragraph, read back so that every removal
    carries the paragraph it repeats."""
    wanted = {(other, j) for found in decisions.boilerplate.values() for _, other, j in found}
    docs = np.array(sorted({other for other, _ in wanted}), dtype=np.int64)
    texts: dict[tuple[int, int], str] = {}
    for start in range(0, len(docs), READ_CHUNK):
        chunk = docs[start : start + READ_CHUNK]
        for doc, paragraphs in zip(chunk.tolist(), read(chunk), strict=True):
            # read() gives the paragraphs the index holds, whose positions it records
            first, end = np.searchsorted(index.paragraph_doc, [doc, doc + 1])
            positions = index.paragraph_index[first:end].tolist()
            texts.update(
                ((doc, j), text)
                for j, text in zip(positions, paragraphs, strict=True)
                if (doc, j) in wanted
            )
    return texts


def _refuse_repeated_ids(
    doc_ids: pa.ChunkedArray, described: Sequence[str], starts: NDArray[np.int64]
) -> None:
    """A doc_id names one document: two holders with the same one are refused, not merged."""
    counts = pc.value_counts(doc_ids)
    repeated = counts.filter(pc.greater(counts.field("counts"), 1))
    if not len(repeated):
        return
    doc_id = repeated[0]["values"].as_py()
    rows = np.flatnonzero(pc.equal(doc_ids, doc_id).to_numpy(zero_copy_only=False))
    first, second = (described[int(np.searchsorted(starts, row, "right")) - 1] for row in rows[:2])
    where = f"twice in {first}" if first == second else f"in {first} and in {second}"
    raise InputError(
        f"doc_id {doc_id!r} is {where}; doc_ids must be unique, so give the inputs' folders"
        " different names (doc_ids are paths relative to them)"
    )


def _apply(
    batch: pa.RecordBatch,
    offset: int,
    decisions: Decisions,
    repeated: dict[tuple[int, int], str],
    doc_ids: pa.ChunkedArray,
    outcome: Outcome,
) -> tuple[pa.Table, list[dict[str, Any]]]:
    """A batch of rows (document ``offset`` first) with the decisions applied: the rows to
    write, and the reject rows of the documents that leave."""
    numbers = range(batch.num_rows)
    gone = [n for n in numbers if offset + n in decisions.duplicate_of]
    edited = [n for n in numbers if offset + n in decisions.boilerplate]
    if not gone and not edited:
        return pa.Table.from_batches([batch]), []
    rejects: list[dict[str, Any]] = []
    gone_rows = batch.select(["source", "doc_id", "n_paragraphs_out"]).take(_indices(gone))
    for n, row in zip(gone, gone_rows.to_pylist(), strict=True):
        kept, similarity = decisions.duplicate_of[offset + n]
        kept_id = doc_ids[kept].as_py()
        why = Rejected(DUPLICATE, f"repeats {kept_id} (Jaccard similarity {similarity:.3f})")
        rejects.append(reject_row(row["source"], row["doc_id"], why, kept_id, similarity))
        outcome.paragraphs_removed += row["n_paragraphs_out"]
        outcome.left.append(offset + n)
    changed, changed_at = [], []
    for n, row in zip(edited, batch.take(_indices(edited)).to_pylist(), strict=True):
        document = document_of(row)
        already = {r.index for r in document.removed}  # a merged corpus was cleaned before
        for i, other, j in decisions.boilerplate[offset + n]:
            if i not in already:
                text, original = document.paragraphs_in[i], repeated[other, j]
                other_id = doc_ids[other].as_py()
                document.removed.append(
                    Removal(i, text, BOILERPLATE, original, j, 1.0, 1.0, other_id)
                )
                outcome.removed[BOILERPLATE] += 1
                outcome.paragraphs_removed += 1
        document.removed.sort(key=lambda r: r.index)
        if document.paragraphs:
            changed.append(document)
            changed_at.append(n)
        else:
            why = Rejected("empty", "every paragraph is boilerplate (--boilerplate-min-docs)")
            rejects.append(reject_row(document.source, document.doc_id, why))
            outcome.left.append(offset + n)
    outcome.rejects.update(row["reason"] for row in rejects)
    untouched = sorted(set(numbers) - set(gone) - set(edited))
    rows = pa.concat_tables(
        [pa.Table.from_batches([batch.take(_indices(untouched))]), documents_table(changed)]
    )
    return rows.take(np.argsort(untouched + changed_at, kind="stable")), rejects


def _indices(rows: Sequence[int] | NDArray[np.int64]) -> pa.Array:
    return pa.array(rows, type=pa.int64())  # typed: an empty list would be of nulls
