"""The pipeline: sources -> decode -> repair -> split -> fingerprint -> deduplicate -> write.

:func:`clean` is the library call behind ``cleaner clean``; :func:`clean_text` the one behind
``cleaner fix``. Per-file work happens in :func:`process_batch`, a plain function over a batch
of sources that an engine may run anywhere.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, closing, contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from cleaner import __version__, engine
from cleaner.decode import decode_bytes, records
from cleaner.deduplicate import DedupOptions, deduplicate
from cleaner.deduplicate_corpus import (
    BOILERPLATE,
    DUPLICATE,
    CorpusIndex,
    Decisions,
    decide,
    summarise,
)
from cleaner.document import Document, Rejected, Removal
from cleaner.fingerprint import NORMALIZATION_VERSION, SCHEME, Fingerprints, fingerprint
from cleaner.repair import ftfy_options, repair_lines
from cleaner.sources import Source, batched, discover, read_bytes, read_stdin
from cleaner.split import split_paragraphs
from cleaner.write import CorpusWriter, Spill, document_of, documents_table, reject_row

MiB = 1024 * 1024
BATCH_FILES = 64
BATCH_BYTES = 64 * MiB  # a worker holds one batch, as text, at a time


@dataclass(frozen=True)
class Options:
    """Everything that shapes a run. All but ``workers`` are recorded in the output."""

    text_field: str = "text"
    id_field: str = "id"
    dedup: DedupOptions = field(default_factory=DedupOptions)
    # Limits, each a reject with its own reason when hit. A file is held whole in memory,
    # several times over while it is processed, so its size is bounded (a JSON Lines dump may
    # be large; no article is). A news article has tens of paragraphs, a long one hundreds;
    # de-duplicating a document costs up to the square of its paragraph count.
    max_file_bytes: int = 256 * MiB
    max_decompressed_bytes: int = 256 * MiB
    max_paragraphs: int = 1000
    stdin_kind: str = "article"
    workers: int = 1

    def recorded(self) -> dict[str, Any]:
        """The options that change the output, as stored in the Parquet metadata."""
        return {
            "text_field": self.text_field,
            "id_field": self.id_field,
            "max_file_bytes": self.max_file_bytes,
            "max_decompressed_bytes": self.max_decompressed_bytes,
            "max_paragraphs": self.max_paragraphs,
            **asdict(self.dedup),
        }


@dataclass
class BatchResult:
    """What a worker hands back: the batch's rows in Arrow form and its counts."""

    table: pa.Table  # corpus rows
    index: CorpusIndex | None  # the documents summed up for corpus-wide de-duplication
    rejects: list[dict[str, Any]]
    files: int
    bytes_in: int
    stages: dict[str, float]
    documents: int
    paragraphs_in: int
    paragraphs_out: int
    removed: Counter[str]


@dataclass
class Report:
    """What a run did, as the summary shows it."""

    output: Path
    files: int = 0
    skipped: list[str] = field(default_factory=list)
    documents: int = 0  # read; those written are documents_out
    documents_out: int = 0
    paragraphs_in: int = 0
    paragraphs_out: int = 0
    removed: Counter[str] = field(default_factory=Counter)
    rejects: Counter[str] = field(default_factory=Counter)
    bytes_in: int = 0
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage, all workers
    index_bytes: int = 0  # memory held by the corpus-wide index (scope "corpus")

    @property
    def rejected(self) -> int:
        return sum(self.rejects.values())


def metadata(options: Options) -> dict[str, Any]:
    return {
        "version": __version__,
        "options": options.recorded(),
        "ftfy": ftfy_options(),
        "fingerprint": {
            "scheme": SCHEME,
            "normalization_version": NORMALIZATION_VERSION,
            "num_perm": options.dedup.num_perm,
            "seed": options.dedup.seed,
            "shingle_size": options.dedup.shingle_size,
        },
    }


# The stages in the order data flows through them; Stopwatch names them so.
STAGES = ("read", "decode", "repair", "split", "fingerprint", "deduplicate", "write")


class Stopwatch:
    """Seconds spent in each stage, summed over calls (and, across workers, CPU-seconds)."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)

    def add(self, other: dict[str, float]) -> None:
        for stage, seconds in other.items():
            self.seconds[stage] += seconds

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] += time.perf_counter() - started


def _documents_of(
    source: Source, data: bytes, options: Options, clock: Stopwatch
) -> Iterator[Document | Rejected]:
    """Decode, repair and split one file's bytes; a Rejected for whatever cannot be a document."""
    with clock("decode"):
        text, encoding = decode_bytes(data)
        found = list(records(text, source.kind, options.text_field, options.id_field))
    for record in found:
        if isinstance(record, Rejected):
            yield record
            continue
        with clock("repair"):
            lines, changed = repair_lines(record.text)
        with clock("split"):
            paragraphs = split_paragraphs(lines)
        doc_id = _doc_id(source, record.key)
        if not paragraphs:
            yield Rejected("empty", "no text after repair and splitting", key=record.key)
        elif len(paragraphs) > options.max_paragraphs:
            detail = f"{len(paragraphs)} paragraphs, more than {options.max_paragraphs}"
            yield Rejected("too_many_paragraphs", f"{detail} (--max-paragraphs)", key=record.key)
        else:
            yield Document(doc_id, source.name, encoding, changed, paragraphs)


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


def process_batch(sources: Sequence[Source], options: Options) -> BatchResult:
    """Read, decode, repair, split, fingerprint and de-duplicate a batch of files."""
    docs: list[Document] = []
    rejects: list[dict[str, Any]] = []
    bytes_in = 0
    clock = Stopwatch()
    for source in sources:
        try:
            with clock("read"):
                data = read_bytes(source, options.max_file_bytes, options.max_decompressed_bytes)
            bytes_in += len(data)
            for item in _documents_of(source, data, options, clock):
                if isinstance(item, Rejected):
                    doc_id = _doc_id(source, item.key)
                    rejects.append(reject_row(source.name, doc_id, item))
                else:
                    docs.append(item)
        except Rejected as exc:
            rejects.append(reject_row(source.name, source.name, exc))
        except Exception as exc:  # a bug must cost one file, not the run; keep the evidence
            rejects.append(reject_row(source.name, source.name, _internal(exc)))
    fp = _deduplicate_all(docs, options, clock)
    index = None
    if options.dedup.scope == "corpus":
        with clock("deduplicate"):
            index = summarise(docs, fp)
    with clock("write"):
        table = documents_table(docs)
    return BatchResult(
        table,
        index,
        rejects,
        len(sources),
        bytes_in,
        dict(clock.seconds),
        len(docs),
        sum(len(d.paragraphs_in) for d in docs),
        sum(len(d.paragraphs_in) - len(d.removed) for d in docs),
        Counter(r.reason for d in docs for r in d.removed),
    )


def _indices(rows: list[int]) -> pa.Array:
    return pa.array(rows, type=pa.int64())  # typed: an empty list would be of nulls


def _doc_id(source: Source, key: str | None) -> str:
    """The file's name, plus ``#<id or position>`` for a record of a JSON file."""
    return source.name if key is None else f"{source.name}#{key}"


def _internal(exc: Exception) -> Rejected:
    return Rejected("internal_error", f"{type(exc).__name__}: {exc}")


def clean(
    inputs: Sequence[str],
    output: str | Path,
    options: Options | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Clean files, folders or ``-`` (stdin) into a Parquet corpus at ``output``.

    Writes ``output`` and ``<stem>.rejects.parquet`` beside it, atomically, and returns a
    :class:`Report`. ``progress(done_files, total_files)`` is called after each batch.
    Raises :class:`cleaner.sources.InputError` when an input does not exist.
    """
    options = options or Options()
    started = time.perf_counter()
    found = discover(inputs, options.stdin_kind)
    report = Report(Path(output), skipped=found.skipped)
    sources = [read_stdin(source, options.max_file_bytes) for source in found.sources]
    batches = batched(sources, BATCH_FILES, BATCH_BYTES)
    work = partial(process_batch, options=options)
    clock = Stopwatch()
    parts: list[CorpusIndex] = []
    with CorpusWriter(Path(output), metadata(options)) as writer, ExitStack() as stack:
        spill = None
        if options.dedup.scope == "corpus":
            spill = stack.enter_context(closing(writer.spill()))
        for result in engine.run(work, batches, options.workers):
            with clock("write"):
                (spill or writer).add_corpus_table(result.table)
                writer.add_rejects(result.rejects)
            if result.index is not None:
                parts.append(result.index)
            clock.add(result.stages)
            report.files += result.files
            report.bytes_in += result.bytes_in
            report.documents += result.documents
            report.paragraphs_in += result.paragraphs_in
            report.paragraphs_out += result.paragraphs_out
            report.removed.update(result.removed)
            report.rejects.update(row["reason"] for row in result.rejects)
            if progress is not None:
                progress(report.files, len(found.sources))
        report.documents_out = report.documents
        if spill is not None:
            _across_documents(spill, parts, writer, options, report, clock)
        closing_at = time.perf_counter()  # the rest of "write": flush, fsync, rename
    clock.seconds["write"] += time.perf_counter() - closing_at
    report.seconds = time.perf_counter() - started
    report.stages = dict(clock.seconds)
    return report


def _across_documents(
    spill: Spill,
    parts: list[CorpusIndex],
    writer: CorpusWriter,
    options: Options,
    report: Report,
    clock: Stopwatch,
) -> None:
    """Decide the corpus-wide removals, then write the spilled rows with them applied."""
    table = spill.read()
    paragraphs, doc_ids = table.column("paragraphs"), table.column("doc_id")
    with clock("deduplicate"):
        index = CorpusIndex.concat(parts, options.dedup.num_perm)
        parts.clear()
        report.index_bytes = index.nbytes
        decisions = decide(
            index, options.dedup, lambda docs: paragraphs.take(pa.array(docs)).to_pylist()
        )
        del index
    with clock("write"):
        offset = 0
        for batch in table.to_batches():
            rows, rejects = _apply(batch, offset, decisions, doc_ids, report)
            writer.add_corpus_table(rows)
            writer.add_rejects(rejects)
            offset += batch.num_rows


def _apply(
    batch: pa.RecordBatch,
    offset: int,
    decisions: Decisions,
    doc_ids: pa.ChunkedArray,
    report: Report,
) -> tuple[pa.Table, list[dict[str, Any]]]:
    """A batch of spilled rows (document ``offset`` first) with the decisions applied: the
    rows to write, and the reject rows of the documents that leave."""
    numbers = range(batch.num_rows)
    gone = [n for n in numbers if offset + n in decisions.duplicate_of]
    edited = [n for n in numbers if offset + n in decisions.boilerplate]
    if not gone and not edited:
        return pa.Table.from_batches([batch]), []
    rejects: list[dict[str, Any]] = []
    gone_rows = batch.select(["source", "doc_id", "n_paragraphs_out"]).take(_indices(gone))
    columns = gone_rows.to_pylist()
    for n, row in zip(gone, columns, strict=True):
        kept, similarity = decisions.duplicate_of[offset + n]
        kept_id = doc_ids[kept].as_py()
        why = Rejected(DUPLICATE, f"repeats {kept_id} (Jaccard similarity {similarity:.3f})")
        rejects.append(reject_row(row["source"], row["doc_id"], why, kept_id, similarity))
        report.paragraphs_out -= row["n_paragraphs_out"]
    changed, changed_at = [], []
    for n, row in zip(edited, batch.take(_indices(edited)).to_pylist(), strict=True):
        document = document_of(row)
        for i, other, j in decisions.boilerplate[offset + n]:
            text = document.paragraphs_in[i]
            document.removed.append(
                Removal(i, text, BOILERPLATE, j, 1.0, 1.0, doc_ids[other].as_py())
            )
        document.removed.sort(key=lambda r: r.index)
        report.removed[BOILERPLATE] += len(decisions.boilerplate[offset + n])
        report.paragraphs_out -= len(decisions.boilerplate[offset + n])
        if document.paragraphs:
            changed.append(document)
            changed_at.append(n)
        else:
            why = Rejected("empty", "every paragraph is boilerplate (--boilerplate-min-docs)")
            rejects.append(reject_row(document.source, document.doc_id, why))
    for row in rejects:
        report.rejects[row["reason"]] += 1
        report.documents_out -= 1
    untouched = sorted(set(numbers) - set(gone) - set(edited))
    rows = pa.concat_tables(
        [pa.Table.from_batches([batch.take(_indices(untouched))]), documents_table(changed)]
    )
    return rows.take(np.argsort(untouched + changed_at, kind="stable")), rejects


def clean_text(text: str | bytes, options: Options | None = None) -> Document:
    """Repair, split and de-duplicate one document; the library form of ``cleaner fix``.

    Bytes are decoded first (raising :class:`Rejected` for binary data).
    """
    options = options or Options()
    encoding = "str"
    if isinstance(text, bytes):
        text, encoding = decode_bytes(text)
    lines, changed = repair_lines(text)
    doc = Document("-", "-", encoding, changed, split_paragraphs(lines))
    _deduplicate_all([doc], options, Stopwatch())
    return doc
