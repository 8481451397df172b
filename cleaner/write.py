"""Write: a run's corpus, rejects and index, atomically (see :mod:`cleaner.atomic`).

The three files (:mod:`cleaner.formats`) are written to temporary files beside their targets
and renamed into place only when the whole run has succeeded, the rejects first and the corpus
last; a run that fails leaves earlier output untouched and no temporary file behind. Rows are
grouped in row groups of a fixed number of rows (fewer when they hold a lot of text), so the
bytes depend on the input and the options only, not on how the work was scheduled.

A corpus written as a folder (:class:`DatasetWriter`) is built the same way, whole, in a
temporary folder beside its target that is renamed into place; its part files are written
by the engine's workers (:func:`write_part`), not by the process that runs the command.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numpy.typing import NDArray

from cleaner.atomic import (
    STAGING,
    LockedTemp,
    Staging,
    remove_stale,
    sync_folder,
    temp_prefix,
    umask,
)
from cleaner.document_sets import RowFile
from cleaner.errors import InputError
from cleaner.formats import (
    CORPUS_PARQUET,
    CORPUS_SCHEMA,
    INDEX_PARQUET,
    INDEX_SCHEMA,
    MANIFEST,
    METADATA_KEY,
    REJECTS_PARQUET,
    REJECTS_SCHEMA,
    index_path,
    output_paths,
    part_name,
    rejects_path,
)
from cleaner.sources import classify
from cleaner.stops import made_whole

if TYPE_CHECKING:
    from cleaner.engine import Engine

# Names of formats a corpus file is not, beside those cleaner reads (``classify``).
OTHER_FORMATS = (".csv", ".tsv", ".xlsx", ".xls", ".feather", ".arrow", ".orc", ".avro", ".xml")
ROW_GROUP = 4096
ROW_GROUP_BYTES = 64 * 1024 * 1024  # keeps the rows held before a flush bounded in memory


def check_outputs(
    output: Path, reads: Iterable[str | Path], folders: Iterable[str], dataset: bool = False
) -> None:
    """Refuse, before any work, a run whose output cannot be written or would replace an input.

    ``reads`` are the files the run reads (compared by inode too, so another name for the same
    file is the same file), ``folders`` the folders it walks (a ``dataset`` folder is checked
    as :func:`_check_dataset` says). A corpus file may not have the name of another format:
    ``-o news.jsonl`` would write Parquet that every reader of JSON Lines, and the walk of a
    folder holding it, takes for a broken file. Raises :class:`InputError`, a usage error:
    nothing has been written yet.
    """
    if str(output) == "-":
        raise InputError("-o -: a Parquet corpus cannot be written to standard output; name a file")
    ancestor = output.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(f"cannot write {output}: {ancestor} is not a folder")
    if dataset:
        _check_dataset(output, reads, folders)
        return
    read = {_identity(path) for path in reads} - {None}
    for target in output_paths(output):
        if target.is_dir():
            raise InputError(f"cannot write {target}: it is a folder (-o names the corpus file)")
        if target.exists() and not target.is_file():
            raise InputError(f"cannot write {target}: it is not a regular file")
        if _identity(target) in read:
            raise InputError(f"cannot write {target}: it is also an input of this run")
    if classify(output.name) or output.suffix.lower() in OTHER_FORMATS:
        raise InputError(
            f"cannot write {output}: a corpus is Parquet whatever its name, and this one names"
            " another format; give it a .parquet name"
        )


def _check_dataset(output: Path, reads: Iterable[str | Path], folders: Iterable[str]) -> None:
    """A folder to write a dataset in: new, empty, or holding a dataset this tool wrote
    (which it replaces), with no input inside it and not inside an input folder."""
    if output.exists() and not output.is_dir():
        raise InputError(f"cannot write {output}/: it is a file (a dataset is a folder)")
    if output.is_dir() and any(output.iterdir()) and not (output / MANIFEST).is_file():
        raise InputError(
            f"cannot write {output}/: it holds files but no {MANIFEST}, so it is not a corpus"
            " folder this tool wrote, which is the only kind it replaces"
        )
    inside = os.path.realpath(output)
    for path in [*reads, *folders]:
        real = os.path.realpath(path)
        if os.path.commonpath([inside, real]) == inside:
            raise InputError(f"cannot write {output}/: the input {path} is inside it")
    for folder in folders:
        if os.path.commonpath([inside, os.path.realpath(folder)]) == os.path.realpath(folder):
            raise InputError(
                f"cannot write {output}/: it is inside the input {folder}; write it elsewhere"
            )


def _identity(path: str | Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


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
    """Rows in, one Parquet file out, through a :class:`LockedTemp` in the target's folder."""

    def __init__(
        self, target: Path, schema: pa.Schema, metadata: bytes, settings: dict[str, Any]
    ) -> None:
        self.target = target
        self.schema = schema.with_metadata({METADATA_KEY: metadata})
        self.file = LockedTemp(target)
        try:
            self.writer = pq.ParquetWriter(self.file.path, self.schema, **settings)
        except BaseException:
            self.file.release()
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
        pa.default_memory_pool().release_unused()

    def finish(self) -> None:
        if self.buffer:
            self._flush()
        self.writer.close()
        os.fsync(self.file.fd)

    def commit(self) -> None:
        self.file.replace(self.target)

    def close(self) -> None:
        """Release the temporary file, removing it unless it was committed."""
        if self.writer.is_open:
            with suppress(Exception):  # the run has failed already; the file goes anyway
                self.writer.close()
        self.file.release()


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
        self.encoded = text.encode("utf-8", "backslashreplace")
        self.made: list[Path] = []
        self.tables: list[_TableWriter] = []

    def _open(self) -> None:
        output = self.output
        # Folders made for the output go again if the run fails: it leaves nothing new behind.
        self.made = [p for p in (output.parent, *output.parent.parents) if not p.exists()]
        output.parent.mkdir(parents=True, exist_ok=True)
        started = time.time()
        for target in output_paths(output):
            remove_stale(target, started)
        # Renamed into place in this order, the corpus last: a corpus is never newer than
        # the rejects and index beside it.
        for target, schema, settings in (
            (rejects_path(output), REJECTS_SCHEMA, REJECTS_PARQUET),
            (index_path(output), INDEX_SCHEMA, INDEX_PARQUET),
            (output, CORPUS_SCHEMA, CORPUS_PARQUET),
        ):
            self.tables.append(_TableWriter(target, schema, self.encoded, settings))
        self.corpus = self.tables[-1]
        self.pending_rejects: list[dict[str, Any]] = []

    def add_corpus_table(self, table: pa.Table) -> None:
        """Documents a worker already turned into rows (see :func:`documents_table`)."""
        self.corpus.add_table(table)

    def add_corpus_rows(self, rows: RowFile) -> None:
        """Rows that lie in a file (a part of rows set aside, or a row group of a corpus):
        read and written here, in turn."""
        self.add_corpus_table(rows.read())

    def write_parts(self, engine: Engine) -> None:
        """Write what :meth:`add_corpus_rows` left to the workers: nothing, for one file."""

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

    def __enter__(self) -> CorpusWriter:
        """Open the temporary files, stops held back (:func:`~cleaner.stops.made_whole`)."""
        made_whole(self._open, self._abandon)
        self.rejects, self.index = self.tables[:2]
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
                self._commit()
        except BaseException:
            self._abandon()
            raise
        if kind is not None:
            self._abandon()
            return
        for table in self.tables:
            table.close()
        sync_folder(self.output.parent)

    def _commit(self) -> None:
        """What follows the files' renames: nothing, for one file."""

    def _discard(self) -> None:
        """What else a failed run removes, before the folders made for the output: nothing,
        for one file."""

    def _abandon(self) -> None:
        """Remove the temporary files and the folders made for the output."""
        for table in self.tables:
            table.close()
        self._discard()
        for folder in self.made:  # deepest first
            with suppress(OSError):
                folder.rmdir()


class DatasetWriter(CorpusWriter):
    """Write a corpus as a folder (see :data:`cleaner.formats.MANIFEST`): its part files are
    written by the workers (:func:`write_part`), never by this process, which writes the
    rejects, the index and the manifest. The folder is built beside its target
    (``.<name>.<random>.staging.tmp``) and renamed into place whole once the run has
    succeeded; a dataset already there is moved aside first and removed after.
    """

    def __init__(self, output: Path, metadata: dict[str, Any]) -> None:
        super().__init__(output, metadata)
        self.metadata = metadata
        self.parts: list[list[RowFile]] = [[]]  # rows, grouped into the files to write
        self.files: list[dict[str, Any]] = []

    def _open(self) -> None:
        output = self.output
        self.made = [p for p in output.parents if not p.exists()]
        output.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(output, time.time())
        self.building = Staging(output)
        self.building.__enter__()
        folder = self.building.path
        for target, schema, settings in (
            (folder / rejects_path(folder).name, REJECTS_SCHEMA, REJECTS_PARQUET),
            (folder / index_path(folder).name, INDEX_SCHEMA, INDEX_PARQUET),
        ):
            self.tables.append(_TableWriter(target, schema, self.encoded, settings))
        self.pending_rejects = []

    def add_corpus_rows(self, rows: RowFile) -> None:
        if sum(part.documents for part in self.parts[-1]) >= PART_ROWS:
            self.parts.append([])
        self.parts[-1].append(rows)

    def write_parts(self, engine: Engine) -> None:
        filled = [rows for rows in self.parts if sum(part.documents for part in rows)]
        jobs = [
            Part(tuple(rows), str(self.building.path / part_name(n)), self.encoded)
            for n, rows in enumerate(filled)
        ]
        self.files = list(engine.map(write_part, jobs))
        self.parts = [[]]

    def _commit(self) -> None:
        folder = self.building.path
        found = {
            "files": self.files,
            "rows": sum(entry["rows"] for entry in self.files),
            "rejects": rejects_path(folder).name,
            "index": index_path(folder).name,
            "metadata": self.metadata,
        }
        with open(folder / MANIFEST, "w", encoding="utf-8") as out:
            json.dump(found, out, indent=1, sort_keys=True, ensure_ascii=False)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.chmod(folder, 0o777 & ~umask())  # as any new folder; mkdtemp made it private
        sync_folder(folder)
        aside = None
        if self.output.exists():  # an earlier dataset (check_outputs made sure)
            aside = Path(
                tempfile.mkdtemp(
                    dir=self.output.parent, prefix=temp_prefix(self.output), suffix=STAGING
                )
            )
            os.replace(self.output, aside / self.output.name)
        os.replace(folder, self.output)
        self.building.close()  # its lock; the folder it names has gone
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)

    def _discard(self) -> None:
        if hasattr(self, "building"):
            self.building.close()


# A dataset's part file takes parts of rows (a batch's, whole) until it holds this many rows:
# files of a few tens of MB of news, four row groups or five each.
PART_ROWS = 4 * ROW_GROUP


@dataclass(frozen=True)
class Part:
    """A file of a dataset to write: its rows, in order, its path, the run's metadata."""

    rows: tuple[RowFile, ...]
    path: str
    metadata: bytes


def write_part(part: Part) -> dict[str, Any]:
    """Write one file of a dataset (run by a worker): its manifest entry, the name, the rows
    and the SHA-256 of the file's bytes."""
    target = Path(part.path)
    writer = _TableWriter(target, CORPUS_SCHEMA, part.metadata, CORPUS_PARQUET)
    rows = 0
    try:
        for file in part.rows:
            table = file.read()
            rows += table.num_rows
            writer.add_table(table)
        writer.finish()
        writer.commit()
    finally:
        writer.close()
    digest = hashlib.sha256()
    with open(target, "rb") as written:
        for block in iter(lambda: written.read(1 << 20), b""):
            digest.update(block)
    return {"path": target.name, "rows": rows, "sha256": digest.hexdigest()}
