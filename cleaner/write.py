"""Write: the corpus, its rejects and its index as Parquet, atomically.

The three files are written to temporary files beside their targets and renamed into place
only when the whole run has succeeded, the rejects first and the corpus last; a run that fails
leaves earlier output untouched and no temporary file behind. A run that is killed outright
(SIGKILL, a power cut) cannot clean up: its temporary files stay until the next run writing
the same target removes them. Rows are grouped in row groups of a fixed number of rows (fewer
when they hold a lot of text), so the bytes depend on the input and the options only, not on
how the work was scheduled.
"""

from __future__ import annotations

import fcntl
import json
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numpy.typing import NDArray

from cleaner.document import Document, Meta, Rejected, Removal
from cleaner.errors import InputError
from cleaner.sources import classify

METADATA_KEY = b"cleaner"
ROW_GROUP = 4096
ROW_GROUP_BYTES = 64 * 1024 * 1024  # keeps the rows held before a flush bounded in memory

REMOVAL = pa.struct(
    [
        ("index", pa.int32()),
        ("paragraph", pa.string()),
        ("reason", pa.string()),
        ("repeats", pa.string()),
        ("repeats_index", pa.int32()),
        ("similarity", pa.float64()),
        ("containment", pa.float64()),
        ("repeats_doc", pa.string()),
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
# One row per document of the corpus, in the same order (see cleaner.deduplicate_corpus).
INDEX_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("signature", pa.binary()),  # num_perm little-endian uint32 values
        ("text_hash", pa.uint64()),
        ("shingles", pa.int64()),
        ("chars", pa.int64()),
        ("paragraph_hashes", pa.list_(pa.uint64())),
        ("paragraph_indices", pa.list_(pa.int32())),
        ("published", pa.float64()),  # epoch seconds; NaN when unknown
        ("modified", pa.float64()),  # the file's modification time; NaN when unknown
        ("url_hash", pa.uint64()),  # the canonical URL's hash; 0 for none
    ]
)

# How each file is encoded. Text is compressed with zstd; signatures and hashes, random bytes,
# are stored as they are. Dictionaries and min/max statistics only where values repeat or are
# short: building them for every paragraph cost a sixth of the writing time.
_CORPUS_PARQUET: dict[str, Any] = {
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
_INDEX_PARQUET: dict[str, Any] = {
    "compression": {
        "doc_id": "zstd",
        "signature": "none",
        "text_hash": "none",
        "shingles": "zstd",
        "chars": "zstd",
        "paragraph_hashes.list.element": "none",
        "paragraph_indices.list.element": "zstd",
        "published": "zstd",
        "modified": "zstd",
        "url_hash": "none",
    },
    "use_dictionary": False,
    "write_statistics": ["doc_id"],
}
_REJECTS_PARQUET: dict[str, Any] = {"compression": "zstd"}


def rejects_path(output: Path) -> Path:
    """``corpus.parquet`` -> ``corpus.rejects.parquet``."""
    return output.with_name(f"{output.stem}.rejects.parquet")


def index_path(output: Path) -> Path:
    """``corpus.parquet`` -> ``corpus.index.parquet``: the corpus's fingerprints, no text."""
    return output.with_name(f"{output.stem}.index.parquet")


def corpus_metadata(path: Path) -> dict[str, Any]:
    """What a corpus records of the run that wrote it (version, options, fingerprint
    settings). Raises :class:`InputError` for a file that is not a corpus ``cleaner clean``
    wrote (a rejects or index file included)."""
    if not path.is_file():
        raise InputError(f"{path}: no such corpus")
    try:
        schema = pq.read_schema(path)
        recorded: dict[str, Any] = json.loads((schema.metadata or {})[METADATA_KEY])
    except (OSError, KeyError, ValueError, pa.ArrowException) as exc:
        raise InputError(f"{path}: not a corpus written by cleaner clean") from exc
    if "removed" not in schema.names:
        raise InputError(f"{path}: not a corpus but its rejects or index file")
    return recorded


def output_paths(output: Path) -> tuple[Path, Path, Path]:
    """The three files a run writes: the corpus, its rejects and its index."""
    return output, rejects_path(output), index_path(output)


def check_outputs(output: Path, reads: Iterable[str | Path], folders: Iterable[str]) -> None:
    """Refuse, before any work, a run whose output cannot be written or would replace an input.

    ``reads`` are the files the run reads (compared by inode too, so another name for the same
    file is the same file), ``folders`` the folders it walks: a corpus with a name the walk
    would read (``.txt``, ``.json``...) may not be written inside one. Raises
    :class:`InputError`, a usage error: nothing has been written yet.
    """
    if str(output) == "-":
        raise InputError("-o -: a Parquet corpus cannot be written to standard output; name a file")
    ancestor = output.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(f"cannot write {output}: {ancestor} is not a folder")
    read = {_identity(path) for path in reads} - {None}
    for target in output_paths(output):
        if target.is_dir():
            raise InputError(f"cannot write {target}: it is a folder (-o names the corpus file)")
        if target.exists() and not target.is_file():
            raise InputError(f"cannot write {target}: it is not a regular file")
        if _identity(target) in read:
            raise InputError(f"cannot write {target}: it is also an input of this run")
    inside = os.path.realpath(output.parent)
    for folder in folders:
        real = os.path.realpath(folder)
        if classify(output.name) and (inside == real or inside.startswith(os.path.join(real, ""))):
            raise InputError(
                f"cannot write {output}: it is inside the input {folder}, whose files of that"
                " name are inputs; write the corpus elsewhere or give it a .parquet name"
            )


def write_if_changed(path: Path, text: str) -> bool:
    """Replace ``path`` with ``text``, atomically, unless it holds that already; whether it
    was written. Unchanged, it keeps its time, which is what a Makefile prerequisite needs."""
    with suppress(OSError, UnicodeDecodeError):
        if path.read_text(encoding="utf-8") == text:
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=_temp_prefix(path), suffix=".tmp")
    try:
        with open(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(name, 0o666 & ~_umask())
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return True


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _identity(path: str | Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def own_files(output: Path) -> Callable[[str], bool]:
    """Whether a path found by the walk is one of this run's outputs or temporary files.

    An output inside an input folder is the run's own, never an input: it is passed over,
    not counted. The name is checked first, the folder only for a name that matches.
    """
    targets = output_paths(output)
    names = {target.name for target in targets}
    prefixes = tuple(_temp_prefix(target) for target in targets)
    folder = os.path.realpath(output.parent)

    def own(path: str) -> bool:
        head, _, name = path.rpartition("/")
        if name not in names and not (name.startswith(prefixes) and name.endswith(".tmp")):
            return False
        return os.path.realpath(head or ".") == folder

    return own


def document_of(row: dict[str, Any]) -> Document:
    """The document a corpus row was made from (the inverse of :func:`documents_table`)."""
    removed = [Removal(**r) for r in row["removed"]]
    by_index = {r.index: r.paragraph for r in removed}
    kept = iter(row["paragraphs"])
    paragraphs = [
        by_index[i] if i in by_index else next(kept) for i in range(row["n_paragraphs_in"])
    ]
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


def row_sizes(table: pa.Table) -> NDArray[np.int64]:
    """Bytes of text in each row (8 for any other value), which bound the row groups.

    Read from the Arrow offsets, without looking at the text.
    """
    total = np.zeros(table.num_rows, dtype=np.int64)
    for column in table.columns:
        offset = 0
        for chunk in column.chunks:
            total[offset : offset + len(chunk)] += _sizes(chunk)
            offset += len(chunk)
    return total


def _sizes(array: pa.Array) -> NDArray[np.int64]:
    kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        lengths = pc.binary_length(array).fill_null(0)  # bytes, from the offsets alone
        return np.asarray(lengths.to_numpy(), dtype=np.int64)
    if pa.types.is_list(kind):
        inner = np.concatenate([[0], np.cumsum(_sizes(array.values))])
        offsets = np.asarray(array.offsets.to_numpy(), dtype=np.int64)
        sizes: NDArray[np.int64] = inner[offsets[1:]] - inner[offsets[:-1]]
        return sizes
    if pa.types.is_struct(kind):
        total = np.zeros(len(array), dtype=np.int64)
        for child in array.flatten():
            total += _sizes(child)
        return total
    return np.full(len(array), 8, dtype=np.int64)


class _TableWriter:
    """Rows in, one Parquet file out, through a temporary file in the target's folder.

    The temporary file is locked while the writer lives; the kernel drops the lock when the
    process ends, however it ends, which is how :func:`remove_stale` tells a file a killed run
    left behind from one a live run is writing.
    """

    def __init__(
        self, target: Path, schema: pa.Schema, metadata: bytes, settings: dict[str, Any]
    ) -> None:
        self.target = target
        self.schema = schema.with_metadata({METADATA_KEY: metadata})
        self.lock, name = tempfile.mkstemp(
            dir=target.parent, prefix=_temp_prefix(target), suffix=".tmp"
        )
        self.temp = Path(name)
        self.committed = False
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX)
            self.writer = pq.ParquetWriter(self.temp, self.schema, **settings)
        except BaseException:
            self.temp.unlink(missing_ok=True)
            os.close(self.lock)
            raise
        self.buffer: list[pa.Table] = []
        self.buffered = 0  # bytes of text
        self.buffered_rows = 0

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        self.add_table(pa.Table.from_pylist(list(rows), schema=self.schema))

    def add_table(self, table: pa.Table) -> None:
        """Rows already in Arrow form.

        Row groups end at the same rows however the rows arrive, so the bytes written do not
        depend on how the work was batched.
        """
        sizes = row_sizes(table)
        start = 0
        while start < len(sizes):
            # A group ends at the first row that brings it to ROW_GROUP rows or to
            # ROW_GROUP_BYTES bytes of text: the row-by-row rule, found with a cumulative sum.
            filled = self.buffered + np.cumsum(sizes[start:])
            end = min(
                ROW_GROUP - self.buffered_rows,
                int(np.searchsorted(filled, ROW_GROUP_BYTES, "left")) + 1,
            )
            if end > len(filled):
                self.buffer.append(table.slice(start))
                self.buffered = int(filled[-1])
                self.buffered_rows += len(filled)
                return
            self.buffer.append(table.slice(start, end))
            start += end
            self._flush()

    def _flush(self) -> None:
        self.writer.write_table(pa.concat_tables(self.buffer).combine_chunks())
        self.buffer, self.buffered, self.buffered_rows = [], 0, 0

    def finish(self) -> None:
        if self.buffer:
            self._flush()
        self.writer.close()
        os.fsync(self.lock)

    def commit(self) -> None:
        # mkstemp made the file private (0600); a corpus gets the mode any new file would.
        os.chmod(self.temp, 0o666 & ~_umask())
        os.replace(self.temp, self.target)
        self.committed = True

    def close(self) -> None:
        """Release the temporary file, removing it unless it was committed."""
        if self.writer.is_open:
            with suppress(Exception):  # the run has failed already; the file goes anyway
                self.writer.close()
        if not self.committed:
            self.temp.unlink(missing_ok=True)
        os.close(self.lock)


class Spill:
    """Corpus rows set aside, uncompressed, while corpus-wide decisions wait for the last batch.

    An Arrow IPC file beside the output, named and locked like the other temporary files (so
    a killed run's spill is swept too), and read back memory-mapped: rows are fetched by
    position without loading the file.
    """

    def __init__(self, target: Path) -> None:
        self.lock, name = tempfile.mkstemp(
            dir=target.parent, prefix=_temp_prefix(target), suffix=".spill.tmp"
        )
        self.path = Path(name)
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX)
            self.writer = pa.ipc.new_file(str(self.path), CORPUS_SCHEMA)
        except BaseException:
            self.close()
            raise

    def add_corpus_table(self, table: pa.Table) -> None:
        self.writer.write_table(table)

    def read(self) -> pa.Table:
        """Everything added, memory-mapped; valid until :meth:`close`."""
        self.writer.close()
        return pa.ipc.open_file(pa.memory_map(str(self.path))).read_all()

    def close(self) -> None:
        self.path.unlink(missing_ok=True)
        os.close(self.lock)


def _temp_prefix(target: Path) -> str:
    return f".{target.name}."


def remove_stale(target: Path, before: float) -> None:
    """Remove the temporary files of ``target`` that killed runs left behind.

    Such a file is one that no process holds locked and that was last written before
    ``before`` (the time the caller started: a file another run has only just created, and
    not yet locked, is left alone).
    """
    prefix = _temp_prefix(target)
    with suppress(OSError):
        for name in os.listdir(target.parent):
            if not (name.startswith(prefix) and name.endswith(".tmp")):
                continue
            path = target.parent / name
            with suppress(OSError):
                fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
                try:
                    info = os.fstat(fd)
                    if stat.S_ISREG(info.st_mode) and info.st_mtime < before:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if a run holds it
                        path.unlink()
                finally:
                    os.close(fd)


def _sync_folder(folder: Path) -> None:
    # A rename is on disk only once its folder is: this matters after a power cut, not a kill.
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class CorpusWriter:
    """Write a corpus and its rejects; nothing replaces the targets unless the run completes.

    >>> with CorpusWriter(Path("out.parquet"), {"version": "..."}) as out:  # doctest: +SKIP
    ...     out.add_corpus_table(documents_table(docs))
    ...     out.add_rejects(rows)
    """

    def __init__(self, output: Path, metadata: dict[str, Any]) -> None:
        self.output = output
        # An option given as undecodable bytes (a lone surrogate) stays as its JSON escape.
        text = json.dumps(metadata, sort_keys=True, ensure_ascii=False)
        encoded = text.encode("utf-8", "backslashreplace")
        # Folders made for the output go again if the run fails: it leaves nothing new behind.
        self.made = [p for p in (output.parent, *output.parent.parents) if not p.exists()]
        output.parent.mkdir(parents=True, exist_ok=True)
        started = time.time()
        for target in (output, rejects_path(output), index_path(output)):
            remove_stale(target, started)
        # Renamed into place in this order, the corpus last: a corpus is never newer than
        # the rejects and index beside it.
        self.tables: list[_TableWriter] = []
        try:
            for target, schema, settings in (
                (rejects_path(output), REJECTS_SCHEMA, _REJECTS_PARQUET),
                (index_path(output), INDEX_SCHEMA, _INDEX_PARQUET),
                (output, CORPUS_SCHEMA, _CORPUS_PARQUET),
            ):
                self.tables.append(_TableWriter(target, schema, encoded, settings))
        except BaseException:
            self._abandon()
            raise
        self.rejects, self.index, self.corpus = self.tables
        self.pending_rejects: list[dict[str, Any]] = []

    def add_corpus_table(self, table: pa.Table) -> None:
        """Documents a worker already turned into rows (see :func:`documents_table`)."""
        self.corpus.add_table(table)

    def add_rejects(self, rows: Iterable[dict[str, Any]]) -> None:
        # Gathered into tables of a row group each: batches bring a few rows at a time.
        self.pending_rejects.extend(rows)
        if len(self.pending_rejects) >= ROW_GROUP:
            self._flush_rejects()

    def _flush_rejects(self) -> None:
        if self.pending_rejects:
            self.rejects.add(self.pending_rejects)
            self.pending_rejects = []

    def add_index_table(self, table: pa.Table) -> None:
        """Index rows (:data:`INDEX_SCHEMA`) of the documents written, in the same order."""
        self.index.add_table(table)

    def spill(self) -> Spill:
        """A temporary file for rows that must wait (see :class:`Spill`)."""
        return Spill(self.output)

    def __enter__(self) -> CorpusWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if kind is None:
                self._flush_rejects()
                for table in self.tables:
                    table.finish()
                for table in self.tables:
                    table.commit()
        except BaseException:
            self._abandon()
            raise
        if kind is not None:
            self._abandon()
            return
        for table in self.tables:
            table.close()
        _sync_folder(self.output.parent)

    def _abandon(self) -> None:
        """Remove the temporary files and the folders made for the output."""
        for table in self.tables:
            table.close()
        for folder in self.made:  # deepest first
            with suppress(OSError):
                folder.rmdir()
