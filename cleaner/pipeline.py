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
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleaner import __version__, engine
from cleaner.corpora import ExistingCorpus, Outcome, SpilledRows, across_documents
from cleaner.decode import decode_bytes, records
from cleaner.deduplicate import DedupOptions, deduplicate
from cleaner.deduplicate_corpus import CorpusIndex, index_table, summarise
from cleaner.document import Document, Rejected
from cleaner.fingerprint import NORMALIZATION_VERSION, SCHEME, Fingerprints, fingerprint
from cleaner.repair import ftfy_options, repair_lines
from cleaner.sources import InputError, Source, Walk, batched, read_bytes, read_stdin
from cleaner.split import split_paragraphs
from cleaner.write import CorpusWriter, documents_table, reject_row, rejects_path

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
    # Corpora already written whose documents the new ones are de-duplicated against.
    against: tuple[str, ...] = ()

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
    index: CorpusIndex  # the documents summed up for corpus-wide de-duplication
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
        started = time.perf_counter()
        lines, changed = repair_lines(record.text)
        repaired = clock.lap("repair", started)
        paragraphs = split_paragraphs(lines)
        clock.lap("split", repaired)
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
) -> Report:
    """Clean files, folders or ``-`` (stdin) into a Parquet corpus at ``output``.

    Writes ``output``, and ``<stem>.rejects.parquet`` and ``<stem>.index.parquet`` beside it,
    atomically, and returns a :class:`Report`. ``progress(done_files, total_files)`` is called
    after each batch; ``total_files`` is None while the inputs are still being walked (the
    first batches are at work before a large folder has been listed to its end). Raises
    :class:`cleaner.sources.InputError` when an input does not exist, or when a corpus given
    in ``options.against`` is missing, has no index or does not compare, and
    :class:`cleaner.WorkerLost` when a worker process dies (killed, out of memory).
    """
    options = options or Options()
    started = time.perf_counter()
    if options.against and options.dedup.scope != "corpus":
        raise InputError("--against compares documents across corpora: it needs --scope corpus")
    fingerprint = metadata(options)["fingerprint"]
    existing = [ExistingCorpus.open(Path(p), fingerprint, "--against ") for p in options.against]
    walk = Walk(inputs, options.stdin_kind)
    report = Report(Path(output), skipped=walk.skipped)
    sources = (read_stdin(source, options.max_file_bytes) for source in walk)
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
            report.documents += result.documents
            report.paragraphs_in += result.paragraphs_in
            report.paragraphs_out += result.paragraphs_out
            report.removed.update(result.removed)
            report.rejects.update(row["reason"] for row in result.rejects)
            if progress is not None:
                progress(report.files, walk.found if walk.done else None)
        report.documents_out = report.documents
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
    report.removed.update(outcome.removed)
    report.rejects.update(outcome.rejects)
    clock.seconds["deduplicate"] += outcome.deciding


def merge(corpora: Sequence[str | Path], output: str | Path) -> Report:
    """Join corpora written by :func:`clean` into one at ``output``, de-duplicating across them.

    Documents keep the order of ``corpora``; duplicates and boilerplate are decided over all
    of them, with the options the first one was cleaned with (their fingerprint settings must
    agree), and the rejects of every corpus are carried over. Raises
    :class:`cleaner.sources.InputError` for a corpus that is missing, has no index or does not
    compare.
    """
    started = time.perf_counter()
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
            report.documents += holder.index.documents
            kept = pq.read_table(holder.path, columns=["n_paragraphs_out"]).column(0)
            report.paragraphs_out += pc.sum(kept).as_py() or 0
            carried = pq.read_table(rejects_path(holder.path)).to_pylist()
            report.rejects.update(row["reason"] for row in carried)
            writer.add_rejects(carried)
        report.paragraphs_in = report.paragraphs_out
        report.documents_out = report.documents
        _count(report, across_documents(holders, 0, writer, options.dedup), clock)
    report.seconds = time.perf_counter() - started
    clock.seconds["write"] += report.seconds - clock.seconds["deduplicate"]
    report.stages = dict(clock.seconds)
    return report


_NOT_DEDUP = (
    "text_field",
    "id_field",
    "max_file_bytes",
    "max_decompressed_bytes",
    "max_paragraphs",
)


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
