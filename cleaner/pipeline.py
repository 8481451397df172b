"""The pipeline: sources -> decode -> extract -> repair -> split -> fingerprint -> deduplicate
-> write.

:func:`clean` is the library call behind ``cleaner clean``; :func:`clean_text` the one behind
``cleaner fix``. Per-file work happens in :func:`process_batch`, a plain function over a batch
of sources that an engine may run anywhere.
"""

from __future__ import annotations

import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, closing, contextmanager
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from cleaner import __version__
from cleaner.decode import (
    Fields,
    Record,
    decode_bytes,
    json_elements,
    json_lines,
    records,
    unique_key,
)
from cleaner.deduplicate import DedupOptions, deduplicate
from cleaner.document import Document, Meta, Rejected
from cleaner.errors import InputError
from cleaner.extract import declared_charset, extract, extraction_options, looks_like_html
from cleaner.fingerprint import NORMALIZATION_VERSION, SCHEME, Fingerprints, fingerprint
from cleaner.metadata import detect_language
from cleaner.pieces import Piece, Range, batched, cut
from cleaner.pieces import read as read_piece
from cleaner.repair import ftfy_options, repair
from cleaner.sources import STDIN, Source, Walk, open_stream, read_bytes, read_stdin
from cleaner.split import split_paragraphs

# Arrow, Parquet and the process pool are imported by the calls that write or schedule
# (process_batch, clean, merge): clean_text, behind `cleaner fix`, needs none of them, and
# importing them took a third of fix's start-up.
if TYPE_CHECKING:
    import pyarrow as pa

    from cleaner.corpora import Outcome
    from cleaner.deduplicate_corpus import CorpusIndex
    from cleaner.engine import Engine

T = TypeVar("T")
MiB = 1024 * 1024
# A worker holds one batch, as text, at a time. Small batches spread the work evenly: results
# come back in order, so one heavy batch (a few large feeds among many small files) at the
# head of the queue left the other workers idle once they had run ahead of it. Batches are
# cut by bytes: each one costs the writing process a few milliseconds, so a cap of 64 files
# (the 80 KB of 64 short articles) spent a quarter of its time on batches, not on rows.
BATCH_BYTES = 256 * 1024
BATCH_FILES = 1024


@dataclass(frozen=True)
class Options:
    """Everything that shapes a run's output; all of it is recorded in the output."""

    text_field: str | None = None  # None: the first of the fields scrapers use
    id_field: str = "id"
    # (column, JSON field) pairs for the metadata columns, in place of the fields scrapers use
    fields: tuple[tuple[str, str], ...] = ()
    dedup: DedupOptions = field(default_factory=DedupOptions)
    # Limits, each a reject with its own reason when hit. A file is held whole in memory,
    # several times over while it is processed, so its size is bounded (a JSON Lines dump may
    # be large; no article is). A news article has tens of paragraphs, a long one hundreds;
    # de-duplicating a document costs up to the square of its paragraph count.
    max_file_bytes: int = 256 * MiB
    max_decompressed_bytes: int = 256 * MiB
    max_paragraphs: int = 1000
    stdin_kind: str = "article"
    # Read symbolic links that lead out of an input folder (off: a scraped folder is not
    # trusted to choose which local files go into a corpus).
    follow_symlinks: bool = False
    # Corpora already written whose documents the new ones are de-duplicated against.
    against: tuple[str, ...] = ()

    def recorded(self) -> dict[str, Any]:
        """The options that change the output, as stored in the Parquet metadata."""
        return {
            "text_field": self.text_field,
            "id_field": self.id_field,
            "fields": [list(pair) for pair in self.fields],
            "max_file_bytes": self.max_file_bytes,
            "max_decompressed_bytes": self.max_decompressed_bytes,
            "max_paragraphs": self.max_paragraphs,
            "follow_symlinks": self.follow_symlinks,
            **asdict(self.dedup),
        }


@dataclass
class BatchResult:
    """What a worker hands back: the batch's rows in Arrow form and its counts."""

    table: pa.Table  # corpus rows
    index: CorpusIndex  # the documents summed up for corpus-wide de-duplication
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


@dataclass
class Report:
    """What a run did, as the summary shows it.

    The counts add up: ``documents == documents_out + rejected`` (every input that could be
    a document is written or rejected, with its reason) and ``paragraphs_in == paragraphs_out
    + sum(removed.values()) + paragraphs_rejected``.
    """

    output: Path
    files: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # files not read, by extension
    skipped_records: int = 0  # WARC records that are not HTML pages
    documents: int = 0  # found: those written (documents_out) and those rejected
    documents_out: int = 0
    paragraphs_in: int = 0  # of the documents that could be split
    paragraphs_out: int = 0
    paragraphs_rejected: int = 0  # kept paragraphs of documents that left (duplicates)
    removed: Counter[str] = field(default_factory=Counter)
    rejects: Counter[str] = field(default_factory=Counter)
    bytes_in: int = 0
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage, all workers
    index_bytes: int = 0  # memory held by the corpus-wide index (scope "corpus")

    @property
    def rejected(self) -> int:
        return sum(self.rejects.values())

    def summary(self) -> dict[str, Any]:
        """The report as plain data, what ``cleaner clean --json`` prints (see the README)."""
        from cleaner.write import index_path, rejects_path

        return {
            "outputs": {
                "corpus": str(self.output),
                "rejects": str(rejects_path(self.output)),
                "index": str(index_path(self.output)),
            },
            "files": {
                "read": self.files,
                "skipped": sum(self.skipped.values()),
                "warc_records_skipped": self.skipped_records,
            },
            "documents": {
                "in": self.documents,
                "out": self.documents_out,
                "rejected": self.rejected,
                "rejected_by_reason": dict(sorted(self.rejects.items())),
            },
            "paragraphs": {
                "in": self.paragraphs_in,
                "out": self.paragraphs_out,
                "removed": sum(self.removed.values()),
                "removed_by_reason": dict(sorted(self.removed.items())),
                "in_rejected_documents": self.paragraphs_rejected,
            },
            "bytes_in": self.bytes_in,
            "seconds": round(self.seconds, 3),
            "seconds_by_stage": {stage: round(self.stages.get(stage, 0.0), 3) for stage in STAGES},
            "index_bytes": self.index_bytes,
        }

    def nothing_found(self) -> str | None:
        """One line saying why a run found no document, or None when it found some.

        >>> skipped = Counter({".pdf": 1, ".csv": 1})
        >>> Report(Path("c.parquet"), files=2, skipped=skipped).nothing_found()
        '0 documents: 2 files skipped (.csv 1, .pdf 1)'
        """
        if self.documents_out:
            return None
        if not self.files:
            return "0 documents: no input files found"
        skipped = sum(self.skipped.values())
        what = [f"{skipped} files skipped ({_by_count(self.skipped)})"] if skipped else []
        other = +Counter({**self.rejects, "unsupported": self.rejects["unsupported"] - skipped})
        if other:
            what.append(f"{other.total()} rejected ({_by_count(other)})")
        return "0 documents: " + ", ".join(what)


def _by_count(counts: Counter[str]) -> str:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{what} {n:,}" for what, n in ordered)


def metadata(options: Options) -> dict[str, Any]:
    return {
        "version": __version__,
        "options": options.recorded(),
        "ftfy": ftfy_options(),
        "extract": extraction_options(),
        "fingerprint": {
            "scheme": SCHEME,
            "normalization_version": NORMALIZATION_VERSION,
            "num_perm": options.dedup.num_perm,
            "seed": options.dedup.seed,
            "shingle_size": options.dedup.shingle_size,
        },
    }


# The stages in the order data flows through them; Stopwatch names them so.
STAGES = ("read", "decode", "extract", "repair", "split", "fingerprint", "deduplicate", "write")


class Stopwatch:
    """Seconds spent in each stage, summed over calls (and, across workers, CPU-seconds)."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)

    def add(self, other: dict[str, float]) -> None:
        for stage, seconds in other.items():
            self.seconds[stage] += seconds

    def lap(self, stage: str, since: float) -> float:
        """Add the time from ``since`` to now to ``stage``; return now, for the next lap.

        For the per-document stages, where a context manager's cost would show.
        """
        now = time.perf_counter()
        self.seconds[stage] += now - since
        return now

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] += time.perf_counter() - started


def _documents_of(
    source: Source, found: Iterable[Record | Rejected], options: Options, clock: Stopwatch
) -> Iterator[Document | Rejected]:
    """Extract, repair and split one file's records; a Rejected for whatever cannot be a
    document."""
    modified = _modified(source)
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
        lines, changed = repair(text)
        repaired = clock.lap("repair", started)
        paragraphs = split_paragraphs(lines)
        started = clock.lap("split", repaired)
        if meta.language is None and paragraphs:
            meta = replace(meta, language=detect_language("\n".join(paragraphs)))
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


def _records_of(source: Source, data: bytes, options: Options) -> Iterator[Record | Rejected]:
    """The records of one file's bytes: decoded, and marked as pages where they are pages."""
    kind = source.kind
    if kind == "article" and looks_like_html(data):
        kind = "html"
    declared = declared_charset(data) if kind == "html" else None
    text, encoding = decode_bytes(data, declared)
    fields = Fields(options.text_field, options.id_field, options.fields)
    for record in records(text, kind, fields):
        yield record if isinstance(record, Rejected) else replace(record, encoding=encoding)


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
    piece: Piece, options: Options, clock: Stopwatch
) -> tuple[list[Document | Rejected], int, int, list[int | None] | None]:
    """A piece's documents and rejected records, the bytes read, the records of a WARC that
    are not pages, and, for a piece of a file that was cut, the line of each record (None for
    lines lost). Raises :class:`Rejected` for an unusable file."""
    source = piece.source
    if source.kind == "warc":
        from cleaner.warc import Archive  # FastWARC: for web archives only

        with open_stream(source) as stream:
            ranged = stream if piece.whole else Range(stream, piece)
            archive = Archive(ranged, options.max_file_bytes, options.max_decompressed_bytes)
            # Streamed: each record's page is extracted before the next one is read.
            found = list(_documents_of(source, _timed(archive, clock, "read"), options, clock))
        return found, archive.bytes_read, archive.skipped, None
    with clock("read"):
        parts = read_piece(piece, options.max_file_bytes, options.max_decompressed_bytes)
        if parts is None:
            data = read_bytes(source, options.max_file_bytes, options.max_decompressed_bytes)
    if parts is None:
        with clock("decode"):
            whole = list(_records_of(source, data, options))
        return list(_documents_of(source, whole, options, clock)), len(data), 0, None
    fields = Fields(options.text_field, options.id_field, options.fields)
    numbered: list[tuple[int, Record | Rejected]] = []
    with clock("decode"):
        for part in parts:
            assert part.data is not None
            text, encoding = decode_bytes(part.data, head=part.head)
            oversized = part.rejects(options.max_file_bytes)
            parse = json_elements if part.array else json_lines
            for line, record in parse(text, fields, part.line, oversized):
                if isinstance(record, Record):
                    record = replace(record, encoding=encoding)
                numbered.append((line, record))
    lines: list[int | None] = [line for line, _ in numbered]
    if piece.whole:  # named here, as a whole read names them
        seen: set[str | None] = set()
        found_records = [_named(record, line, seen) for line, record in numbered]
        if not numbered and parts[-1].damage is None:
            found_records.append(Rejected("empty", "no JSON records, only blank lines"))
    else:
        found_records = [record for _, record in numbered]
    lost = parts[-1].damaged()
    if lost is not None:
        found_records.append(lost)
        lines.append(None)
    found = list(_documents_of(source, found_records, options, clock))
    size = sum(len(part.data or b"") for part in parts)
    return found, size, 0, None if piece.whole else lines


def _named(record: Record | Rejected, line: int, seen: set[str | None]) -> Record | Rejected:
    key = unique_key(record.key, line, seen)
    if key == record.key:
        return record
    if isinstance(record, Rejected):
        record.key = key
        return record
    return replace(record, key=key)


def process_batch(pieces: Sequence[Piece], options: Options) -> BatchResult:
    """Read, decode, repair, split, fingerprint and de-duplicate a batch of pieces of files."""
    from cleaner.deduplicate_corpus import summarise
    from cleaner.write import documents_table, reject_row

    docs: list[Document] = []
    rejects: list[dict[str, Any]] = []
    bytes_in = skipped_records = 0
    clock = Stopwatch()
    part: Part | None = None
    for piece in pieces:
        source = piece.source
        try:
            found, read, skipped, lines = _read_documents(piece, options, clock)
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
    with clock("write"):
        table = documents_table(docs)
    return BatchResult(
        table,
        index,
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


class _Names:
    """The doc_ids of the records of files that were cut, made unique over each whole file
    as a whole read makes them (``7@12``), as the pieces' results come back in order."""

    def __init__(self) -> None:
        self.seen: dict[str, set[str | None]] = {}
        self.records: Counter[str] = Counter()

    def __call__(self, result: BatchResult) -> BatchResult:
        from cleaner.write import reject_row

        part = result.part
        if part is None:
            return result
        seen = self.seen.setdefault(part.name, set())
        ids = result.table.column("doc_id").to_pylist()
        rows: list[tuple[int, bool, int]] = [
            (line, True, n) for n, line in enumerate(part.documents) if line is not None
        ]
        rows += [(line, False, n) for n, line in enumerate(part.rejects) if line is not None]
        renamed = False
        for line, document, n in sorted(rows):
            doc_id = ids[n] if document else result.rejects[n]["doc_id"]
            named = unique_key(doc_id, line, seen)
            if named != doc_id:
                if document:
                    ids[n], renamed = named, True
                else:
                    result.rejects[n]["doc_id"] = named
        self.records[part.name] += len(rows)
        if renamed:
            column = result.table.schema.get_field_index("doc_id")
            result.table = result.table.set_column(column, "doc_id", [ids])
        if part.last:
            del self.seen[part.name]
            found = self.records.pop(part.name)
            if not found and None not in part.rejects:  # nothing lost, nothing found
                empty = Rejected("empty", "no JSON records, only blank lines")
                result.rejects.append(reject_row(part.name, part.name, empty))
        return result


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


def clean(
    inputs: Sequence[str],
    output: str | Path,
    options: Options | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    engine: Engine | None = None,
) -> Report:
    """Clean files, folders or ``-`` (stdin) into a Parquet corpus at ``output``.

    Writes ``output``, and ``<stem>.rejects.parquet`` and ``<stem>.index.parquet`` beside it,
    atomically, and returns a :class:`Report`. ``progress(done_bytes, total_bytes)`` is called
    after each batch, in bytes of the files as stored, so that it advances through a large
    file; ``total_bytes`` is None while the inputs are still being walked (the first batches
    are at work before a large folder has been listed to its end). ``engine``
    runs the work (:class:`cleaner.LocalPool`, ...; by default this process alone). Raises
    :class:`cleaner.InputError` when an input does not exist, or when a corpus given
    in ``options.against`` is missing, has no index or does not compare, and
    :class:`cleaner.WorkerLost` when a worker process dies (killed, out of memory).
    """
    from cleaner.corpora import ExistingCorpus, SpilledRows, across_documents
    from cleaner.deduplicate_corpus import CorpusIndex, index_table
    from cleaner.engine import InProcess
    from cleaner.write import CorpusWriter, check_outputs, output_paths, own_files

    options = options or Options()
    engine = engine or InProcess()
    output = Path(output)
    started = time.perf_counter()
    if options.against and options.dedup.scope != "corpus":
        raise InputError("--against compares documents across corpora: it needs --scope corpus")
    walk = Walk(inputs, options.stdin_kind, options.follow_symlinks, own_files(output))
    folders = [item for item in inputs if item != STDIN and os.path.isdir(item)]
    files = [item for item in inputs if item != STDIN and item not in folders]
    against = [path for corpus in options.against for path in output_paths(Path(corpus))]
    check_outputs(output, [*files, *against], folders)
    fingerprint = metadata(options)["fingerprint"]
    existing = [ExistingCorpus.open(Path(p), fingerprint, "--against ") for p in options.against]
    report = Report(output, skipped=walk.skipped)
    sources = (read_stdin(source, options.max_file_bytes) for source in walk)
    pieces = (
        piece
        for source in sources
        for piece in cut(source, options.max_file_bytes, options.max_decompressed_bytes)
    )
    batches = batched(pieces, BATCH_FILES, BATCH_BYTES)
    names = _Names()
    stored = 0
    work = partial(process_batch, options=options)
    clock = Stopwatch()
    parts: list[CorpusIndex] = []
    with CorpusWriter(Path(output), metadata(options)) as writer, ExitStack() as stack:
        spill = None
        if options.dedup.scope == "corpus":
            spill = stack.enter_context(closing(writer.spill()))
        for result in map(names, engine.map(work, batches)):
            with clock("write"):
                if spill is None:
                    writer.add_corpus_table(result.table)
                    everyone = np.arange(result.index.documents)
                    writer.add_index_table(
                        index_table(result.index, everyone, result.table["doc_id"])
                    )
                else:
                    spill.add_corpus_table(result.table)
                    parts.append(result.index)
                writer.add_rejects(result.rejects)
            clock.add(result.stages)
            report.files += result.files
            report.bytes_in += result.bytes_in
            report.skipped_records += result.skipped_records
            report.documents += result.documents + len(result.rejects)
            report.paragraphs_in += result.paragraphs_in
            report.paragraphs_out += result.paragraphs_out
            report.removed.update(result.removed)
            report.rejects.update(row["reason"] for row in result.rejects)
            stored += result.stored
            if progress is not None:
                progress(stored, walk.found_bytes if walk.done else None)
        report.documents_out = report.documents - report.rejected
        if spill is not None:
            rows = SpilledRows(spill.read(), CorpusIndex.concat(parts, options.dedup.num_perm))
            parts.clear()
            frozen = sum(corpus.index.documents for corpus in existing)
            outcome = across_documents([*existing, rows], frozen, writer, options.dedup)
            _count(report, outcome, clock)
        closing_at = time.perf_counter()  # the rest of "write": flush, fsync, rename
    clock.seconds["write"] += time.perf_counter() - closing_at
    report.seconds = time.perf_counter() - started
    report.stages = dict(clock.seconds)
    return report


def _count(report: Report, outcome: Outcome, clock: Stopwatch) -> None:
    """Fold what the corpus-wide pass did into the report."""
    report.index_bytes = outcome.index_bytes
    report.documents_out = outcome.documents_out
    report.paragraphs_out -= outcome.paragraphs_removed
    report.paragraphs_rejected += outcome.paragraphs_removed - sum(outcome.removed.values())
    report.removed.update(outcome.removed)
    report.rejects.update(outcome.rejects)
    clock.seconds["deduplicate"] += outcome.deciding


def merge(corpora: Sequence[str | Path], output: str | Path) -> Report:
    """Join corpora written by :func:`clean` into one at ``output``, de-duplicating across them.

    Documents keep the order of ``corpora``; duplicates and boilerplate are decided over all
    of them, with the options the first one was cleaned with (their fingerprint settings must
    agree), and the rejects of every corpus are carried over. Raises
    :class:`cleaner.InputError` for a corpus that is missing, has no index or does not
    compare.
    """
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from cleaner.corpora import ExistingCorpus, across_documents
    from cleaner.write import CorpusWriter, check_outputs, output_paths, rejects_path

    started = time.perf_counter()
    output = Path(output)
    check_outputs(output, [p for corpus in corpora for p in output_paths(Path(corpus))], [])
    first = ExistingCorpus.open(Path(corpora[0]))
    holders = [first] + [
        ExistingCorpus.open(Path(path), first.metadata["fingerprint"]) for path in corpora[1:]
    ]
    recorded = {**first.metadata["options"]}
    limits = {name: recorded.pop(name) for name in list(recorded) if name in _NOT_DEDUP}
    options = Options(**limits, dedup=DedupOptions(**recorded))
    report = Report(Path(output))
    clock = Stopwatch()
    with CorpusWriter(Path(output), metadata(options)) as writer:
        for holder in holders:
            kept = pq.read_table(holder.path, columns=["n_paragraphs_out"]).column(0)
            report.paragraphs_out += pc.sum(kept).as_py() or 0
            carried = pq.read_table(rejects_path(holder.path)).to_pylist()
            report.documents += holder.index.documents + len(carried)
            report.rejects.update(row["reason"] for row in carried)
            writer.add_rejects(carried)
        report.paragraphs_in = report.paragraphs_out
        report.documents_out = report.documents - report.rejected
        _count(report, across_documents(holders, 0, writer, options.dedup), clock)
    report.seconds = time.perf_counter() - started
    clock.seconds["write"] += report.seconds - clock.seconds["deduplicate"]
    report.stages = dict(clock.seconds)
    return report


_NOT_DEDUP = (
    "text_field",
    "id_field",
    "fields",
    "max_file_bytes",
    "max_decompressed_bytes",
    "max_paragraphs",
    "follow_symlinks",
)


def clean_text(
    text: str | bytes, options: Options | None = None, kind: str = "article"
) -> Document:
    """Repair, split and de-duplicate one document; the library form of ``cleaner fix``.

    Bytes are decoded first (raising :class:`Rejected` for binary data). A web page (``kind``
    ``"html"``, or a text that starts like one) has its main text extracted, or raises
    :class:`Rejected` when it has none.
    """
    options = options or Options()
    encoding = "str"
    markup = kind == "html" or looks_like_html(text)
    if isinstance(text, bytes):
        text, encoding = decode_bytes(text, declared_charset(text) if markup else None)
    meta = Meta()
    if markup:
        text, meta = extract(text)
    lines, changed = repair(text)
    doc = Document("-", "-", encoding, changed, split_paragraphs(lines), meta=meta)
    _deduplicate_all([doc], options, Stopwatch())
    return doc
