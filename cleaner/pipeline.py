"""The pipeline: sources -> decode -> repair -> split -> fingerprint -> deduplicate -> write.

:func:`clean` is the library call behind ``cleaner clean``; :func:`clean_text` the one behind
``cleaner fix``. Per-file work happens in :func:`process_batch`, a plain function over a batch
of sources that an engine may run anywhere.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa

from cleaner import __version__, engine
from cleaner.decode import decode_bytes, records
from cleaner.deduplicate import DedupOptions, deduplicate
from cleaner.document import Document, Rejected
from cleaner.fingerprint import NORMALIZATION_VERSION, SCHEME, fingerprint
from cleaner.repair import ftfy_options, repair_lines
from cleaner.sources import Source, batched, discover, read_bytes, read_stdin
from cleaner.split import split_paragraphs
from cleaner.write import CorpusWriter, documents_table, reject_row

MiB = 1024 * 1024
BATCH_FILES = 64
# A worker holds one batch, as text, at a time. Small batches spread the work evenly: results
# come back in order, so one heavy batch (a few large feeds among 64 files) at the head of the
# queue left the other workers idle once they had run ahead of it.
BATCH_BYTES = 256 * 1024


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
    chars: list[int]  # characters per row
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
    documents: int = 0
    paragraphs_in: int = 0
    paragraphs_out: int = 0
    removed: Counter[str] = field(default_factory=Counter)
    rejects: Counter[str] = field(default_factory=Counter)
    bytes_in: int = 0
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage, all workers

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


def _deduplicate_all(docs: Sequence[Document], options: Options, clock: Stopwatch) -> None:
    dedup = options.dedup
    with clock("fingerprint"):
        paragraphs = [p for doc in docs for p in doc.paragraphs_in]
        fp = fingerprint(paragraphs, dedup.num_perm, dedup.seed, dedup.shingle_size)
    with clock("deduplicate"):
        removals = deduplicate([d.paragraphs_in for d in docs], fp, dedup)
    for doc, removed in zip(docs, removals, strict=True):
        doc.removed = removed


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
    _deduplicate_all(docs, options, clock)
    with clock("write"):
        table, chars = documents_table(docs)
    return BatchResult(
        table,
        chars,
        rejects,
        len(sources),
        bytes_in,
        dict(clock.seconds),
        len(docs),
        sum(len(d.paragraphs_in) for d in docs),
        sum(len(d.paragraphs_in) - len(d.removed) for d in docs),
        Counter(r.reason for d in docs for r in d.removed),
    )


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
    with CorpusWriter(Path(output), metadata(options)) as writer:
        for result in engine.run(work, batches, options.workers):
            with clock("write"):
                writer.add_corpus_table(result.table, result.chars)
                writer.add_rejects(result.rejects)
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
        closing = time.perf_counter()  # the rest of "write": flush, fsync, rename
    clock.seconds["write"] += time.perf_counter() - closing
    report.seconds = time.perf_counter() - started
    report.stages = dict(clock.seconds)
    return report


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
