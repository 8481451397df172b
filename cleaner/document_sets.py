"""Corpora and rows: where the documents of the corpus-wide pass are, read back by number.

The corpus-wide pass (:mod:`cleaner.corpus_steps`) numbers documents across document sets
(:class:`DocumentSet`): corpora already written (:class:`ExistingCorpus`), which ``--against``
leaves as they are and ``merge`` rewrites, and the rows of this run, which the per-batch stage
left in part files. Their rows are described by :class:`RowFile` (a path, a part, a count),
small and picklable, so that a step running anywhere reads the documents it needs
(:func:`read_paragraphs`) and nothing else.

A corpus written by :func:`cleaner.clean` has its index beside it
(``<stem>.index.parquet``): the fingerprints of its documents, which new documents are
compared with, so that the old texts are neither re-read nor hashed again. Only the documents
that LSH proposes as candidates are read back from the corpus, to verify them exactly.
Fingerprints compare only under the same scheme, normalisation, permutations, seed and
shingle size: a corpus made with other ones is refused, not compared.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from cleaner.corpus_index import CorpusIndex
from cleaner.deduplicate_corpus import BOILERPLATE
from cleaner.document import Document
from cleaner.errors import InputError
from cleaner.formats import (
    CORPUS_SCHEMA,
    METADATA_KEY,
    corpus_files,
    corpus_metadata,
    document_of,
    index_path,
    read_index,
    read_ipc,
)


@dataclass(frozen=True)
class RowFile:
    """Corpus rows in a file: a row group (``part``) of a corpus written, or with ``part``
    None, a whole Arrow IPC file of rows this run set aside."""

    path: str
    documents: int
    part: int | None = None

    @property
    def staged(self) -> bool:
        """Rows this run set aside at corpus scope, which wait for their languages (see
        :func:`cleaner.chain.process_batch`)."""
        return self.part is None

    def read(self) -> pa.Table:
        """The rows; an IPC file memory-mapped, not loaded."""
        if self.part is None:
            return read_ipc(self.path)
        return pq.ParquetFile(self.path).read_row_group(self.part, columns=CORPUS_SCHEMA.names)

    def paragraphs(self, rows: NDArray[np.int64]) -> list[list[str]]:
        """The paragraphs of some of its rows as the index knows them: kept by de-duplication
        inside the document, boilerplate included (a corpus merged before has some removed)."""
        table = self.read()
        if self.part is None:
            found: list[list[str]] = table.column("paragraphs").take(indices(rows)).to_pylist()
            return found
        return [_indexed(document_of(row)) for row in table.take(indices(rows)).to_pylist()]


def _indexed(doc: Document) -> list[str]:
    """A document's paragraphs but those de-duplication inside it removed."""
    gone = {r.index for r in doc.removed if r.reason != BOILERPLATE}
    return [p for i, p in enumerate(doc.paragraphs_in) if i not in gone]


def read_paragraphs(files: Sequence[RowFile], documents: NDArray[np.int64]) -> list[list[str]]:
    """The paragraphs of documents numbered across ``files`` (ascending), as the index knows
    them; only the files holding them are read (a :data:`cleaner.corpus_index.Reader`)."""
    starts = np.cumsum([0, *(f.documents for f in files)])
    found: list[list[str]] = []
    for n, file in enumerate(files):
        mine = documents[(documents >= starts[n]) & (documents < starts[n + 1])]
        found.extend(file.paragraphs(mine - starts[n]) if len(mine) else [])
    return found


@dataclass
class DocumentSet:
    """Documents for the corpus-wide pass: how many, their rows, and where they come from
    (for a message); their index and doc_ids go to :class:`cleaner.corpus_steps.Summaries`."""

    documents: int
    rows: tuple[RowFile, ...]
    described: str


@dataclass
class ExistingCorpus:
    """A corpus already written: its index, doc_ids and recorded metadata."""

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

    def document_set(self) -> DocumentSet:
        rows = tuple(
            RowFile(str(path), file.metadata.row_group(g).num_rows, g)
            for path in corpus_files(self.path)
            for file in [pq.ParquetFile(path)]
            for g in range(file.num_row_groups)
        )
        return DocumentSet(self.index.documents, rows, str(self.path))


def indices(rows: Sequence[int] | NDArray[np.int64]) -> pa.Array:
    return pa.array(rows, type=pa.int64())  # typed: an empty list would be of nulls
