"""The per-document chain: a file's bytes, or a text, to documents de-duplicated inside.

read -> decode -> extract -> repair -> split -> fingerprint -> deduplicate, one file at a
time. :func:`process_batch` runs it over a batch of sources, a plain function that an engine
may run anywhere; :func:`clean_file` and :func:`clean_text` run it over one file or one text,
with the same limits and checks.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from cleaner.compression import compression_of
from cleaner.decode import (
    Fields,
    Record,
    decode_bytes,
    json_elements,
    json_lines,
    made_unique,
    no_records,
    records,
)
from cleaner.deduplicate import deduplicate
from cleaner.document import Document, Meta, Rejected
from cleaner.extract import declared_charset, extract, looks_like_html
from cleaner.fingerprint import Fingerprints, fingerprint
from cleaner.markup import fragment_text, looks_like_fragment
from cleaner.metadata import detect_language
from cleaner.options import Options
from cleaner.pieces import Piece, Range
from cleaner.pieces import read as read_piece
from cleaner.repair import repair, repair_title
from cleaner.sources import (
    DOCUMENT_KINDS,
    STDIN,
    Source,
    classify,
    open_stream,
    read_bytes,
    read_stdin,
)
from cleaner.split import split_paragraphs
from cleaner.tables import table_rows
from cleaner.tally import Stopwatch

# Arrow, Parquet and numpy are imported by the call that writes (process_batch): clean_text
# and clean_file, behind `cleaner fix`, need none of them, and importing them took a third of
# fix's start-up.
T = TypeVar("T")
# A worker holds one batch, as text, at a time. Small batches spread the work evenly: results
# come back in order, so one heavy batch (a few large feeds among many small files) at the
# head of the queue left the other workers idle once they had run ahead of it. Batches are
# cut by bytes: each one costs the writing process a few milliseconds, so a cap of 64 files
# (the 80 KB of 64 short articles) spent a quarter of its time on batches, not on rows.
BATCH_BYTES = 256 * 1024
BATCH_FILES = 1024


@dataclass(frozen=True)
class Batch:
    """A shard of the per-batch stage: some pieces of files, and the staging folder where its rows
    and its index part go (see :func:`cleaner.corpus_steps.part_files`)."""

    number: int
    pieces: Sequence[Piece]
    staging: str


@dataclass
class BatchResult:
    """What a worker hands back: where the batch's rows and index part are, and its counts;
    no text but that of its rejects' details."""

    rows: str  # an Arrow IPC file of corpus rows
    index: str  # an Arrow IPC file of their index rows
    rejects: list[dict[str, Any]]
    files: int
    bytes_in: int
    stages: dict[str, float]
    documents: int
    paragraphs_in: int
    paragraphs_out: int
    removed: Counter[str]
    skipped_records: int = 0  # WARC records that are not HTML pages
    stored: int = 0  # the bytes of the files as stored that the batch accounts for (progress)
    part: Part | None = None  # for a piece of a file that was cut: to name its records


@dataclass
class Part:
    """A piece of a file that was cut, as the process collecting the pieces needs it to name
    their records over the whole file (see :mod:`cleaner.pieces`)."""

    name: str  # the file's
    last: bool
    documents: list[int | None]  # the line of each corpus row's record
    rejects: list[int | None]  # the line of each reject's record; None for lines lost


def _documents_of(
    source: Source,
    found: Iterable[Record | Rejected],
    options: Options,
    clock: Stopwatch,
    modified: float | None,
    detect: bool = True,
) -> Iterator[Document | Rejected]:
    """Extract, repair and split one file's records, of a file modified at ``modified``; a
    Rejected for whatever cannot be a document. The language a source does not give is
    detected unless ``detect`` is false (see :func:`process_batch`)."""
    for record in found:
        if isinstance(record, Rejected):
            yield record
            continue
        started = time.perf_counter()
        text, meta = record.text, record.meta
        if record.markup:
            try:
                text, page = extract(text, meta.url)
            except Rejected as exc:
                exc.key = record.key
                yield exc
                continue
            meta = replace(page, language=page.language or meta.language)
            started = clock.lap("extract", started)
        elif record.key is not None and looks_like_fragment(text):
            text = fragment_text(text)  # a JSON record's body stored as HTML
            started = clock.lap("extract", started)
        text, changed = repair(text)
        if meta.title is not None:
            title = repair_title(meta.title)
            if title != meta.title:  # the constructor, at half the cost of replace
                meta = Meta(meta.url, title, meta.published, meta.language)
        repaired = clock.lap("repair", started)
        paragraphs = split_paragraphs(text)
        started = clock.lap("split", repaired)
        if detect and meta.language is None and paragraphs:
            # The constructor, at half the cost of dataclasses.replace, once per document
            language = detect_language("\n".join(paragraphs))
            meta = Meta(meta.url, meta.title, meta.published, language)
            clock.lap("extract", started)
        doc_id = _doc_id(source, record.key)
        if not paragraphs:
            yield Rejected("empty", "no text after repair and splitting", key=record.key)
        elif len(paragraphs) > options.max_paragraphs:
            detail = f"{len(paragraphs)} paragraphs, more than {options.max_paragraphs}"
            yield Rejected("too_many_paragraphs", f"{detail} (--max-paragraphs)", key=record.key)
        else:
            yield Document(
                doc_id,
                source.name,
                record.encoding,
                changed,
                paragraphs,
                meta=meta,
                modified=modified,
            )


def _modified(source: Source) -> float | None:
    """A file's modification time (``--keep newest`` falls back on it); None for stdin."""
    if source.path == STDIN:
        return None
    try:
        return os.stat(source.path).st_mtime
    except OSError:
        return None


def _records_of(source: Source, data: bytes | str, options: Options) -> Iterator[Record | Rejected]:
    """The records of one file's bytes (or of a text, decoded already): decoded, and marked
    as pages where they are pages."""
    kind = source.kind
    if kind in ("article", "feed") and looks_like_html(data):  # a page, whatever its name
        kind = "html"
    if isinstance(data, str):
        text, encoding = data, "str"
    else:
        text, encoding = decode_bytes(data, declared_charset(data) if kind == "html" else None)
    fields = Fields(options.text_field, options.id_field, options.fields)
    yield from records(text, kind, fields, encoding)


def _deduplicate_all(docs: Sequence[Document], options: Options, clock: Stopwatch) -> Fingerprints:
    dedup = options.dedup
    with clock("fingerprint"):
        paragraphs = [p for doc in docs for p in doc.paragraphs_in]
        fp = fingerprint(paragraphs, dedup.num_perm, dedup.seed, dedup.shingle_size)
    with clock("deduplicate"):
        removals = deduplicate([d.paragraphs_in for d in docs], fp, dedup)
    for doc, removed in zip(docs, removals, strict=True):
        doc.removed = removed
    return fp


def documents_in(source: Source, options: Options) -> list[Document | Rejected]:
    """One file's documents as a run reads them, each de-duplicated inside itself, and the
    records of it that cannot be documents. Raises :class:`Rejected` for an unusable file."""
    found = _read_documents(Piece(source), options, Stopwatch())[0]
    _deduplicate_all([d for d in found if isinstance(d, Document)], options, Stopwatch())
    return found


def _read_documents(
    piece: Piece, options: Options, clock: Stopwatch, detect: bool = True
) -> tuple[list[Document | Rejected], int, int, list[int | None] | None]:
    """A piece's documents and rejected records, the bytes read, the records of a WARC that
    are not pages, and, for a piece of a file that was cut, the line of each record (None for
    lines lost). Raises :class:`Rejected` for an unusable file."""
    source = piece.source
    documents = partial(_documents_of, source, options=options, clock=clock, detect=detect)
    if source.kind == "warc":
        from cleaner.warc import Archive  # FastWARC: for web archives only

        with open_stream(source) as stream:
            ranged = stream if piece.whole else Range(stream, piece)
            archive = Archive(ranged, options.max_file_bytes, options.max_decompressed_bytes)
            # Streamed: each record's page is extracted before the next one is read.
            found = list(documents(_timed(archive, clock, "read"), modified=_modified(source)))
        return found, archive.bytes_read, archive.skipped, None
    with clock("read"):
        parts = read_piece(piece, options.max_file_bytes, options.max_decompressed_bytes)
        if parts is None:
            limits = options.max_file_bytes, options.max_decompressed_bytes
            data, modified = read_bytes(source, *limits)
    if parts is None:
        with clock("decode"):
            whole = list(_records_of(source, data, options))
        return list(documents(whole, modified=modified)), len(data), 0, None
    fields = Fields(options.text_field, options.id_field, options.fields)
    numbered: list[tuple[int, Record | Rejected]] = []
    with clock("decode"):
        for part in parts:
            assert part.data is not None
            text, encoding = decode_bytes(part.data, head=part.head)
            oversized = part.rejects(options.max_file_bytes)
            if part.header is not None:
                numbered += table_rows(text, part.header, fields, part.line, oversized, encoding)
                continue
            parse = json_elements if part.array else json_lines
            numbered += parse(text, fields, part.line, oversized, encoding)
    lines: list[int | None] = [line for line, _ in numbered]
    if piece.whole:  # named here, as a whole read names them
        seen: set[str | None] = set()
        found_records = [made_unique(record, line, seen) for line, record in numbered]
        if not numbered and parts[-1].damage is None:
            found_records.append(no_records())
    else:
        found_records = [record for _, record in numbered]
    lost = parts[-1].damaged()
    if lost is not None:
        found_records.append(lost)
        lines.append(None)
    found = list(documents(found_records, modified=_modified(source)))
    size = sum(len(part.data or b"") for part in parts)
    return found, size, 0, None if piece.whole else lines


def process_batch(batch: Batch, options: Options) -> BatchResult:
    """Read, decode, repair, split, fingerprint and de-duplicate a batch of pieces of files,
    and leave their rows and their index part in the staging folder.

    At corpus scope the rows are left without the languages their sources do not give: they
    are detected when the decisions are applied (:class:`cleaner.corpus_steps.Apply`), for
    the documents that stay, as a duplicate's language is never written.
    """
    import numpy as np

    from cleaner.corpus_index import summarise
    from cleaner.corpus_steps import part_files
    from cleaner.formats import documents_table, index_table, reject_row, write_ipc

    pieces = batch.pieces
    docs: list[Document] = []
    rejects: list[dict[str, Any]] = []
    bytes_in = skipped_records = 0
    clock = Stopwatch()
    part: Part | None = None
    detect = options.dedup.scope != "corpus"
    for piece in pieces:
        source = piece.source
        try:
            found, read, skipped, lines = _read_documents(piece, options, clock, detect)
        except Rejected as exc:
            found, read, skipped, lines = [exc], 0, 0, None if piece.whole else [None]
        except Exception as exc:  # a bug must cost one file, not the run; keep the evidence
            found, read, skipped, lines = [_internal(exc)], 0, 0, None if piece.whole else [None]
        bytes_in += read
        skipped_records += skipped
        if lines is not None:
            part = Part(source.name, piece.last, [], [])
        for n, item in enumerate(found):
            if isinstance(item, Rejected):
                rejects.append(reject_row(source.name, _doc_id(source, item.key), item))
            else:
                docs.append(item)
            if part is not None and lines is not None:
                (part.documents if isinstance(item, Document) else part.rejects).append(lines[n])
    fp = _deduplicate_all(docs, options, clock)
    with clock("deduplicate"):
        index = summarise(docs, fp)
    rows, index_part = part_files(Path(batch.staging), batch.number)
    with clock("write"):
        table = documents_table(docs)
        write_ipc(rows, table)
        write_ipc(index_part, index_table(index, np.arange(len(docs)), table["doc_id"]))
    return BatchResult(
        str(rows),
        str(index_part),
        rejects,
        sum(piece.last for piece in pieces),
        bytes_in,
        dict(clock.seconds),
        len(docs),
        sum(len(d.paragraphs_in) for d in docs),
        sum(len(d.paragraphs_in) - len(d.removed) for d in docs),
        Counter(r.reason for d in docs for r in d.removed),
        skipped_records,
        sum(piece.stored for piece in pieces),
        part,
    )


def _timed(items: Iterable[T], clock: Stopwatch, stage: str) -> Iterator[T]:
    """``items``, the time taken to produce each added to ``stage``: a stream read lazily."""
    found = iter(items)
    while True:
        started = time.perf_counter()
        item = next(found, None)
        clock.lap(stage, started)
        if item is None:
            return
        yield item


def _doc_id(source: Source, key: str | None) -> str:
    """The file's name, plus ``#<id or position>`` for a record of a JSON file."""
    return source.name if key is None else f"{source.name}#{key}"


def _internal(exc: Exception) -> Rejected:
    return Rejected("internal_error", f"{type(exc).__name__}: {exc}")


def clean_file(path: str | Path, options: Options | None = None) -> list[Document | Rejected]:
    """One file's documents as a run reads them, each de-duplicated inside itself, and the
    records of it that cannot be documents; the library form of ``cleaner fix FILE``.

    ``-`` reads standard input, as ``options.stdin_format``; a file of a name no format
    claims is read as an article. Raises :class:`cleaner.InputError` when the file does not
    exist and :class:`Rejected` when it cannot be read or decoded at all.
    """
    from cleaner.errors import InputError

    options = options or Options()
    name = str(path)
    if name != STDIN and not os.path.isfile(name):
        raise InputError(f"input not found: {name}")
    kind, compression = file_kind(name, options)
    source = read_stdin(Source(name, name, kind, compression), options.max_file_bytes)
    return documents_in(source, options)


def file_kind(path: str, options: Options) -> tuple[str, str | None]:
    """How :func:`clean_file` reads ``path``: (kind, compression); a kind of
    :data:`cleaner.sources.DOCUMENT_KINDS` is one document, any other a document per record.

    >>> file_kind("-", Options(stdin_format="jsonl"))
    ('records', None)
    """
    if path == STDIN:
        path = f"{STDIN}.{options.stdin_format}"
    return classify(Path(path).name) or ("article", compression_of(path))


def clean_text(
    text: str | bytes, options: Options | None = None, kind: str = "article"
) -> Document:
    """Repair, split and de-duplicate one document; the library form of ``cleaner fix``.

    The same chain as a file's, with the same limits: bytes are decoded first, a web page
    (``kind`` ``"html"``, or a text that starts like one) has its main text extracted.
    Raises :class:`Rejected` for what a run would reject: binary data, a page with no main
    text, a text with no paragraphs (``empty``), too many paragraphs.
    """
    if kind not in DOCUMENT_KINDS:
        raise ValueError("clean_text reads one document: kind is 'article' or 'html'")
    options = options or Options()
    source = Source(STDIN, STDIN, kind)
    if isinstance(text, bytes):
        found = documents_in(replace(source, payload=text, size=len(text)), options)
    else:
        records = _records_of(source, text, options)
        found = list(_documents_of(source, records, options, Stopwatch(), None))  # no file
        _deduplicate_all([d for d in found if isinstance(d, Document)], options, Stopwatch())
    (document,) = found  # an article or a page is one record
    if isinstance(document, Rejected):
        raise document
    return document
