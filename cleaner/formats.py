"""Formats: the three files of a corpus, their schemas and encodings, and rows both ways.

A corpus ``corpus.parquet`` has two files beside it: ``corpus.rejects.parquet``, the inputs
that are not in it and why, and ``corpus.index.parquet``, the fingerprints of its documents
(:class:`cleaner.corpus_index.CorpusIndex`, no text), one row per corpus row in the same
order. Each file records the run that wrote it under :data:`METADATA_KEY`. Here are the
conversions between documents and corpus rows (:func:`documents_table`, :func:`document_of`),
between an index and its rows (:func:`index_table`, :func:`read_index`), and reject rows.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

# pyarrow imports pandas itself, lazily, on the first conversion that may involve it: in
# the middle of a run, where a Ctrl-C landing in that import left pandas half-initialised
# and the clean-up after it failed with a traceback. Imported here, with Arrow, before a run
# begins.
import pandas  # noqa: F401
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numpy.typing import NDArray

from cleaner.corpus_index import CorpusIndex
from cleaner.document import Document, Meta, Rejected, Removal
from cleaner.errors import InputError

METADATA_KEY = b"cleaner"

# A removal's fields are Removal's, in its order (documents_table relies on it).
_ARROW = {"int": pa.int32(), "str": pa.string(), "float": pa.float64(), "str | None": pa.string()}
REMOVAL = pa.struct([(f.name, _ARROW[str(f.type)]) for f in dataclasses.fields(Removal)])
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
        # What the source says of the document (see cleaner.metadata); null when unknown.
        ("url", pa.string()),
        ("title", pa.string()),
        ("published", pa.timestamp("us", tz="UTC")),
        ("language", pa.string()),
    ]
)
REJECTS_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("doc_id", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("duplicate_of", pa.string()),  # for duplicate_document: the doc_id kept instead
        ("similarity", pa.float64()),  # for duplicate_document: exact Jaccard similarity
    ]
)
# One row per document of the corpus, in the same order (see cleaner.corpus_index).
INDEX_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("signature", pa.binary()),  # num_perm little-endian uint32 values
        ("text_hash", pa.uint64()),
        ("shingles", pa.int64()),
        ("chars", pa.int64()),
        ("paragraph_hashes", pa.list_(pa.uint64())),
        ("paragraph_lines", pa.list_(pa.uint64())),
        ("paragraph_indices", pa.list_(pa.int32())),
        ("published", pa.float64()),  # epoch seconds; NaN when unknown
        ("modified", pa.float64()),  # the file's modification time; NaN when unknown
        ("url_hash", pa.uint64()),  # the canonical URL's hash; 0 for none
    ]
)

# How each file is encoded. Text is compressed with zstd; signatures and hashes, random bytes,
# are stored as they are. Dictionaries and min/max statistics only where values repeat or are
# short: building them for every paragraph cost a sixth of the writing time.
CORPUS_PARQUET: dict[str, Any] = {
    "compression": "zstd",
    "use_dictionary": ["encoding", "removed.list.element.reason", "language"],
    "write_statistics": [
        "doc_id",
        "source",
        "encoding",
        "repaired",
        "n_paragraphs_in",
        "n_paragraphs_out",
        "published",
        "language",
    ],
}
INDEX_PARQUET: dict[str, Any] = {
    "compression": {
        "doc_id": "zstd",
        "signature": "none",
        "text_hash": "none",
        "shingles": "zstd",
        "chars": "zstd",
        "paragraph_hashes.list.element": "none",
        "paragraph_lines.list.element": "zstd",  # mostly 0: the paragraph's own hash
        "paragraph_indices.list.element": "zstd",
        "published": "zstd",
        "modified": "zstd",
        "url_hash": "none",
    },
    "use_dictionary": False,
    "write_statistics": ["doc_id"],
}
REJECTS_PARQUET: dict[str, Any] = {"compression": "zstd"}


def is_dataset(output: str | Path) -> bool:
    """Whether ``-o`` names a folder: a Parquet dataset (see :data:`MANIFEST`), not one file.

    A path that ends with ``/`` or is a folder already.
    """
    return str(output).endswith(("/", os.sep)) or os.path.isdir(output)


# A corpus written as a folder holds its rows in part files, ``part-00000000.parquet`` and
# on, in order (named so that their order by name is the rows' order: pandas and Arrow read
# the folder as one table in that order), and beside them, named with a leading ``_`` so
# that readers of the folder as a dataset pass over them, the rejects, the index and a
# manifest (JSON): the files, the rows of each, a SHA-256 of each, and what the corpus
# records of the run that wrote it.
MANIFEST = "_manifest.json"


def part_name(number: int) -> str:
    return f"part-{number:08d}.parquet"


def rejects_path(output: Path) -> Path:
    """``corpus.parquet`` -> ``corpus.rejects.parquet``; a dataset's ``_rejects.parquet``."""
    if output.is_dir():
        return output / "_rejects.parquet"
    return output.with_name(f"{output.stem}.rejects.parquet")


def index_path(output: Path) -> Path:
    """``corpus.parquet`` -> ``corpus.index.parquet``: the corpus's fingerprints, no text; a
    dataset's ``_index.parquet``."""
    if output.is_dir():
        return output / "_index.parquet"
    return output.with_name(f"{output.stem}.index.parquet")


def manifest(folder: Path) -> dict[str, Any]:
    """A dataset's manifest. Raises :class:`InputError` for a folder that has none."""
    try:
        found: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{folder}: not a corpus folder written by cleaner clean") from exc
    return found


def corpus_files(corpus: Path) -> list[Path]:
    """The Parquet files that hold a corpus's rows, in order: the file, or a dataset's parts."""
    if corpus.is_dir():
        return [corpus / entry["path"] for entry in manifest(corpus)["files"]]
    return [corpus]


def corpus_metadata(path: Path) -> dict[str, Any]:
    """What a corpus records of the run that wrote it (version, options, fingerprint
    settings). Raises :class:`InputError` for a file that is not a corpus ``cleaner clean``
    wrote (a rejects or index file included)."""
    if path.is_dir():
        recorded: dict[str, Any] = manifest(path)["metadata"]
        return recorded
    if not path.is_file():
        raise InputError(f"{path}: no such corpus")
    try:
        schema = pq.read_schema(path)
        recorded = json.loads((schema.metadata or {})[METADATA_KEY])
    except (OSError, KeyError, ValueError, pa.ArrowException) as exc:
        raise InputError(f"{path}: not a corpus written by cleaner clean") from exc
    if "removed" not in schema.names:
        raise InputError(f"{path}: not a corpus but its rejects or index file")
    return recorded


def output_paths(output: Path) -> tuple[Path, Path, Path]:
    """The three files a run writes: the corpus, its rejects and its index."""
    return output, rejects_path(output), index_path(output)


def original_paragraphs(
    kept: Sequence[str], removed: Iterable[Mapping[str, Any]], n_paragraphs_in: int
) -> list[str]:
    """A document's paragraphs as it was read, from a corpus row's ``paragraphs`` (those
    kept), ``removed`` (each with the ``index`` it had and its ``paragraph``) and
    ``n_paragraphs_in``.

    >>> original_paragraphs(["A", "C"], [{"index": 1, "paragraph": "A"}], 3)
    ['A', 'A', 'C']
    """
    by_index = {int(r["index"]): str(r["paragraph"]) for r in removed}
    rest = iter(kept)
    return [by_index[i] if i in by_index else next(rest) for i in range(n_paragraphs_in)]


def document_of(row: dict[str, Any]) -> Document:
    """The document a corpus row was made from (the inverse of :func:`documents_table`)."""
    removed = [Removal(**r) for r in row["removed"]]
    paragraphs = original_paragraphs(row["paragraphs"], row["removed"], row["n_paragraphs_in"])
    meta = Meta(row["url"], row["title"], row["published"], row["language"])
    return Document(
        row["doc_id"], row["source"], row["encoding"], row["repaired"], paragraphs, removed, meta
    )


def documents_table(docs: Iterable[Document]) -> pa.Table:
    """Documents as corpus rows; workers call this, so the writing process only appends.

    Built column by column: Arrow converts a list of strings at C speed, a list of row
    dicts key by key.
    """
    docs = list(docs)
    kept = [doc.paragraphs for doc in docs]
    columns = {
        "doc_id": [doc.doc_id for doc in docs],
        "source": [doc.source for doc in docs],
        "encoding": [doc.encoding for doc in docs],
        "repaired": [doc.repaired for doc in docs],
        "text": ["\n\n".join(paragraphs) for paragraphs in kept],
        "paragraphs": kept,
        # REMOVAL's fields are Removal's; vars() reads them without asdict's deep copy
        "removed": [[vars(r) for r in doc.removed] for doc in docs],
        "n_paragraphs_in": [len(doc.paragraphs_in) for doc in docs],
        "n_paragraphs_out": [len(paragraphs) for paragraphs in kept],
        "url": [doc.meta.url for doc in docs],
        "title": [doc.meta.title for doc in docs],
        "published": [doc.meta.published for doc in docs],
        "language": [doc.meta.language for doc in docs],
    }
    arrays = [pa.array(columns[f.name], f.type) for f in CORPUS_SCHEMA]
    return pa.Table.from_arrays(arrays, schema=CORPUS_SCHEMA)


def reject_row(
    source: str,
    doc_id: str,
    rejected: Rejected,
    duplicate_of: str | None = None,
    similarity: float | None = None,
) -> dict[str, Any]:
    return {
        "source": source,
        "doc_id": doc_id,
        "reason": rejected.reason,
        # Details quote exception messages, which may hold lone surrogates: keep them visible.
        "detail": rejected.detail.encode("utf-8", "backslashreplace").decode("utf-8"),
        "duplicate_of": duplicate_of,
        "similarity": similarity,
    }


def index_table(
    index: CorpusIndex,
    documents: NDArray[np.int64],
    doc_ids: pa.Array,
    paragraph_starts: NDArray[np.int64] | None = None,
) -> pa.Table:
    """The index rows (:data:`INDEX_SCHEMA`) of some ``documents``, in their order.

    ``paragraph_starts`` (each document's first paragraph row, and the end: see
    :func:`cleaner.corpus_index.paragraph_starts`) saves the binary searches of
    ``index.paragraph_doc``, which, on an index on disk, touch pages all over it."""
    if paragraph_starts is None:
        starts = np.searchsorted(index.paragraph_doc, documents, "left")
        lengths = np.searchsorted(index.paragraph_doc, documents, "right") - starts
    else:
        starts = paragraph_starts[documents]
        lengths = paragraph_starts[documents + 1] - starts
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
            "paragraph_lines": pa.ListArray.from_arrays(offsets, index.paragraph_line[rows]),
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
        paragraph_lines_of(table, len(hashes.flatten())),
        np.asarray(pc.list_parent_indices(hashes).to_numpy(), dtype=np.int64),
        np.asarray(indices.flatten().to_numpy(), dtype=np.int32),
        _column(table, "published", np.float64, np.nan),
        _column(table, "modified", np.float64, np.nan),
        _column(table, "url_hash", np.uint64, 0),
    )


def paragraph_lines_of(table: pa.Table, paragraphs: int) -> NDArray[np.uint64]:
    """The ``paragraph_lines`` of an index; none masked (0) in one written before them."""
    if "paragraph_lines" not in table.column_names:
        return np.zeros(paragraphs, dtype=np.uint64)
    lines = table.column("paragraph_lines").combine_chunks().flatten()
    return np.asarray(lines.to_numpy(), dtype=np.uint64)


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


def write_ipc(path: Path, table: pa.Table) -> None:
    """A table as an uncompressed Arrow IPC file, for a later step to memory-map: how the
    steps of a run hand rows to each other (see :mod:`cleaner.corpus_steps`)."""
    with pa.ipc.new_file(str(path), table.schema) as out:
        out.write_table(table)


def read_ipc(path: str | Path) -> pa.Table:
    """What :func:`write_ipc` wrote, memory-mapped: valid while the file is there."""
    return pa.ipc.open_file(pa.memory_map(str(path))).read_all()
