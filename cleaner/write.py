"""Write: the corpus and its rejects as Parquet, atomically.

Both files are written to temporary files beside their targets and renamed into place only
when the whole run has succeeded, the rejects first and the corpus last; a run that fails
leaves earlier output untouched and no temporary file behind. Rows are grouped in fixed-size
row groups, so the bytes depend on the input and the options only, not on how the work was
scheduled.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cleaner.document import Document, Rejected

METADATA_KEY = b"cleaner"
ROW_GROUP = 4096

REMOVAL = pa.struct(
    [
        ("index", pa.int32()),
        ("text", pa.string()),
        ("reason", pa.string()),
        ("duplicate_of", pa.int32()),
        ("similarity", pa.float64()),
    ]
)
CORPUS_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("source", pa.string()),
        ("encoding", pa.string()),
        ("repaired", pa.bool_()),
        ("text", pa.string()),
        ("paragraphs", pa.list_(pa.string())),
        ("removed", pa.list_(REMOVAL)),
        ("n_paragraphs_in", pa.int32()),
        ("n_paragraphs_out", pa.int32()),
    ]
)
REJECTS_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("doc_id", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
    ]
)


def rejects_path(output: Path) -> Path:
    """``corpus.parquet`` -> ``corpus.rejects.parquet``."""
    return output.with_name(f"{output.stem}.rejects.parquet")


def corpus_row(doc: Document) -> dict[str, Any]:
    kept = doc.paragraphs
    return {
        "doc_id": doc.doc_id,
        "source": doc.source,
        "encoding": doc.encoding,
        "repaired": doc.repaired,
        "text": "\n\n".join(kept),
        "paragraphs": kept,
        "removed": [
            {
                "index": r.index,
                "text": r.text,
                "reason": r.reason,
                "duplicate_of": r.duplicate_of,
                "similarity": r.similarity,
            }
            for r in doc.removed
        ],
        "n_paragraphs_in": len(doc.paragraphs_in),
        "n_paragraphs_out": len(kept),
    }


def reject_row(source: str, doc_id: str, rejected: Rejected) -> dict[str, Any]:
    return {
        "source": source,
        "doc_id": doc_id,
        "reason": rejected.reason,
        "detail": rejected.detail,
    }


class _TableWriter:
    """Rows in, one Parquet file out, through a temporary file in the target's folder."""

    def __init__(self, target: Path, schema: pa.Schema, metadata: bytes) -> None:
        self.target = target
        self.schema = schema.with_metadata({METADATA_KEY: metadata})
        handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(handle)
        self.temp = Path(name)
        self.writer = pq.ParquetWriter(self.temp, self.schema, compression="zstd")
        self.buffer: list[dict[str, Any]] = []

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        self.buffer.extend(rows)
        while len(self.buffer) >= ROW_GROUP:
            self._flush(self.buffer[:ROW_GROUP])
            del self.buffer[:ROW_GROUP]

    def _flush(self, rows: list[dict[str, Any]]) -> None:
        self.writer.write_table(pa.Table.from_pylist(rows, schema=self.schema))

    def finish(self) -> None:
        if self.buffer:
            self._flush(self.buffer)
        self.buffer = []
        self.writer.close()
        with open(self.temp, "rb") as handle:
            os.fsync(handle.fileno())

    def discard(self) -> None:
        if self.writer.is_open:
            self.writer.close()
        self.temp.unlink(missing_ok=True)


class CorpusWriter:
    """Write a corpus and its rejects; nothing replaces the targets unless the run completes.

    >>> with CorpusWriter(Path("out.parquet"), {"version": "..."}) as out:  # doctest: +SKIP
    ...     out.add_documents(docs)
    ...     out.add_rejects(rows)
    """

    def __init__(self, output: Path, metadata: dict[str, Any]) -> None:
        self.output = output
        encoded = json.dumps(metadata, sort_keys=True, ensure_ascii=False).encode("utf-8")
        output.parent.mkdir(parents=True, exist_ok=True)
        self.corpus = _TableWriter(output, CORPUS_SCHEMA, encoded)
        try:
            self.rejects = _TableWriter(rejects_path(output), REJECTS_SCHEMA, encoded)
        except BaseException:
            self.corpus.discard()
            raise

    def add_documents(self, docs: Iterable[Document]) -> None:
        self.corpus.add(corpus_row(doc) for doc in docs)

    def add_rejects(self, rows: Iterable[dict[str, Any]]) -> None:
        self.rejects.add(rows)

    def __enter__(self) -> CorpusWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is not None:
            self.corpus.discard()
            self.rejects.discard()
            return
        try:
            self.corpus.finish()
            self.rejects.finish()
        except BaseException:
            self.corpus.discard()
            self.rejects.discard()
            raise
        os.replace(self.rejects.temp, self.rejects.target)
        os.replace(self.corpus.temp, self.corpus.target)
