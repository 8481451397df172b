"""The corpus index: each document summed up in numbers, without its text.

A worker sums each document up (:func:`summarise`): its MinHash signature (the elementwise
minimum of its kept paragraphs' signatures, which is the MinHash of the union of their
shingle sets), a hash of its words in order, its shingle count and length, its publication and
modification times and a hash of its canonical URL; and a hash of each kept paragraph's words
in order, and of its line (figures and dates masked, for boilerplate; 0 when it states none).
That is ``4 * num_perm + 48`` bytes a document and 28 bytes a paragraph
(:attr:`CorpusIndex.nbytes`), whatever their length. The corpus-wide pass decides on the index
alone, but for the few documents it reads back (a :data:`Reader`); its file form, the
``<stem>.index.parquet`` beside a corpus, is in :mod:`cleaner.formats`.
"""

from __future__ import annotations

import math
import mmap
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cleaner.document import Document
from cleaner.fingerprint import Fingerprints, line_hashes, or_words, sequence_hash
from cleaner.metadata import url_hash

READ_CHUNK = 4096  # documents read back and fingerprinted at a time
# Rows of an index on disk read at a time by a pass over all of them: 32 MiB of signatures.
MAPPED_CHUNK = 1 << 16

# ``read(documents)``: the kept paragraphs of each of the given documents (ascending numbers
# in the index), in order, boilerplate included.
Reader = Callable[[NDArray[np.int64]], Iterable[list[str]]]


def read_chunks(
    read: Reader, documents: NDArray[np.int64]
) -> Iterator[tuple[list[int], list[list[str]]]]:
    """Some documents (ascending) and their paragraphs, ``READ_CHUNK`` documents at a time:
    what is read back is held a chunk at a time."""
    for start in range(0, len(documents), READ_CHUNK):
        chunk = documents[start : start + READ_CHUNK]
        yield chunk.tolist(), list(read(chunk))


@dataclass
class CorpusIndex:
    """What corpus-wide de-duplication needs to know of each document, without its text."""

    signatures: NDArray[np.uint32]  # (documents, num_perm): MinHash of the kept paragraphs
    text_hash: NDArray[np.uint64]  # the kept paragraphs' words in order; 0 for no words
    shingles: NDArray[np.int64]  # shingles of the kept paragraphs, repeats counted
    chars: NDArray[np.int64]  # characters of the kept text
    paragraph_hash: NDArray[np.uint64]  # each kept paragraph's words in order; 0 for none
    # its line, dates and figures masked (fingerprint.line_hashes); 0: its paragraph_hash
    paragraph_line: NDArray[np.uint64]
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
        i32 = np.empty(0, dtype=np.int32)
        return cls(signatures, u64, i64, i64, u64, u64, i64, i32, f64, f64, u64)

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


class ArrayFiles:
    """Arrays of as many rows each, written a part at a time to files of raw values in
    ``folder`` (``<name>.<array>.bin``: a staging folder holds files, not folders, which the
    walk of an input folder holding it knows for the run's own), and memory-mapped by whoever
    reads them (:meth:`open`): what a pass over many rows keeps on disk, not in a process.
    ``like`` gives each array's type and the shape of a row, as an empty array."""

    def __init__(self, folder: Path, name: str, like: dict[str, NDArray[Any]]) -> None:
        self.folder, self.name, self.like = folder, name, like

    def create(self) -> ArrayFiles:
        """Make every array's file, empty."""
        for array in self.like:
            self.path(array).touch()
        return self

    def append(self, values: dict[str, NDArray[Any]]) -> None:
        for array, part in values.items():
            with open(self.path(array), "ab") as out:
                out.write(np.ascontiguousarray(part, dtype=self.like[array].dtype).tobytes())

    def path(self, array: str) -> Path:
        return self.folder / f"{self.name}.{array}.bin"

    def rows(self, array: str) -> int:
        like = self.like[array]
        return self.path(array).stat().st_size // (like.itemsize * math.prod(like.shape[1:]))

    def open(self) -> dict[str, NDArray[Any]]:
        """The arrays, memory-mapped: each is read only where it is touched."""
        values = {}
        for array, like in self.like.items():
            shape = (self.rows(array), *like.shape[1:])
            # numpy cannot map an empty file
            mapped = np.memmap(self.path(array), like.dtype, "r", shape=shape) if shape[0] else like
            values[array] = mapped
        return values

    def remove(self) -> None:
        for array in self.like:
            self.path(array).unlink(missing_ok=True)


class IndexFiles:
    """A corpus index on disk (:class:`ArrayFiles` named ``index``, an array per field),
    written a part at a time (:meth:`append`) and memory-mapped by whoever reads it
    (:meth:`open`).

    The corpus-wide pass keeps the index here instead of in a process: a memory map costs
    nothing until read, and a pass over a whole field reads it a chunk at a time
    (:func:`in_chunks`), releasing each chunk's pages after it.
    """

    def __init__(self, folder: Path, num_perm: int) -> None:
        self.folder, self.num_perm = folder, num_perm
        empty = CorpusIndex.empty(num_perm)
        self.files = ArrayFiles(
            folder, "index", {f.name: getattr(empty, f.name) for f in fields(CorpusIndex)}
        )

    def create(self) -> IndexFiles:
        """Make every field's file, empty."""
        self.files.create()
        return self

    def append(self, part: CorpusIndex) -> None:
        """Documents numbered on after those already in."""
        values = {f.name: getattr(part, f.name) for f in fields(CorpusIndex)}
        values["paragraph_doc"] = part.paragraph_doc + self.documents
        self.files.append(values)

    def path(self, field: str) -> Path:
        return self.files.path(field)

    @property
    def documents(self) -> int:
        return self.files.rows("text_hash")

    @property
    def paragraphs(self) -> int:
        return self.files.rows("paragraph_hash")

    def open(self) -> CorpusIndex:
        """The index, memory-mapped: each field is read only where it is touched."""
        return CorpusIndex(**self.files.open())


def paragraph_lines(index: CorpusIndex, rows: slice | NDArray[np.int64]) -> NDArray[np.uint64]:
    """The lines (:func:`cleaner.fingerprint.line_hashes`) of some paragraph rows: each
    row's ``paragraph_line``, or its ``paragraph_hash`` where that is 0."""
    return or_words(index.paragraph_line[rows], index.paragraph_hash[rows])


def in_chunks(
    index: CorpusIndex | Iterable[NDArray[Any]], total: int, size: int = 0
) -> Iterator[slice]:
    """``range(total)`` in slices of ``size`` (``MAPPED_CHUNK`` by default), the pages of the
    memory maps of the index (or of some arrays) released after each (:func:`release`): a
    pass over a field of an index on disk holds a chunk of it at a time, not the field."""
    size = size or MAPPED_CHUNK
    held = [index] if isinstance(index, CorpusIndex) else list(index)
    for start in range(0, total, size):
        yield slice(start, min(start + size, total))
        release(*held)


def paragraph_starts(index: CorpusIndex) -> NDArray[np.int64]:
    """Each document's first row in the index's paragraph fields, and after them the number
    of rows, counted a chunk of ``paragraph_doc`` at a time (8 bytes a document).

    >>> from dataclasses import replace
    >>> three = replace(CorpusIndex.empty(2), text_hash=np.zeros(3, dtype=np.uint64),
    ...                 paragraph_doc=np.array([0, 0, 2]))
    >>> paragraph_starts(three).tolist()
    [0, 2, 2, 3]
    """
    counts = np.zeros(index.documents, dtype=np.int64)
    for part in in_chunks(index, len(index.paragraph_doc)):
        counts += np.bincount(index.paragraph_doc[part], minlength=len(counts))
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)


def release(*arrays: CorpusIndex | NDArray[Any]) -> None:
    """Drop the pages of the memory maps under some arrays (or an index's fields) from this
    process (they stay in the page cache, read again at the next touch; written ones are the
    file's): the pages a map has touched count in the process's resident memory until it is
    closed or they are released. Arrays in memory are left alone."""
    for array in arrays:
        values = (
            [getattr(array, f.name) for f in fields(array)]
            if isinstance(array, CorpusIndex)
            else [array]
        )
        for base in values:
            while base is not None and not isinstance(base, mmap.mmap):
                base = getattr(base, "base", None)
            if base is not None and not base.closed and hasattr(mmap, "MADV_DONTNEED"):
                base.madvise(mmap.MADV_DONTNEED)


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
    positions = (rows - np.repeat(firsts, sizes)[rows]).astype(np.int32)
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
        stored_lines([fp.keys[r] for r in rows.tolist()], positions),
        doc_of.astype(np.int64),
        positions,
        np.array([_seconds(d.meta.published) for d in docs], dtype=np.float64),
        np.array([np.nan if d.modified is None else d.modified for d in docs], dtype=np.float64),
        np.array([url_hash(d.meta.url) for d in docs], dtype=np.uint64),
    )


def stored_lines(keys: Sequence[str], positions: NDArray[np.int32]) -> NDArray[np.uint64]:
    """The lines of some paragraphs (their keys, and their positions in their documents) as
    the index stores them (:func:`cleaner.fingerprint.line_hashes`; 0: the words' own), but
    for a document's first, its title, whose moment is its news: a market report's time
    ("MIDWEST GRAIN FUTURES 10:50 EDT"), a digest's date. Furniture comes around a story."""
    lines = line_hashes(keys)
    lines[positions == 0] = 0
    return lines


def _seconds(moment: datetime | None) -> float:
    return np.nan if moment is None else moment.timestamp()
