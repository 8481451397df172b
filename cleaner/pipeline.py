"""The drivers: :func:`clean` and :func:`merge`, the library calls behind ``cleaner clean``
and ``cleaner merge``.

A driver walks the inputs, has an engine run the per-document chain (:mod:`cleaner.chain`)
over batches of them, and writes what comes back; at corpus scope, it then runs the
corpus-wide pass. It decides nothing itself.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cleaner.chain import BATCH_BYTES, BATCH_FILES, Batch, BatchResult, file_kind, process_batch
from cleaner.decode import no_records, unique_key
from cleaner.errors import InputError
from cleaner.options import Options, metadata
from cleaner.pieces import batched, cut
from cleaner.sources import STDIN, Walk, read_stdin
from cleaner.tally import Report, Stopwatch

if TYPE_CHECKING:
    import pyarrow as pa
    from numpy.typing import NDArray

    from cleaner.corpus_steps import Outcome
    from cleaner.engine import Engine


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

    from cleaner.atomic import Staging, own_files
    from cleaner.corpus_steps import Summaries, across_documents
    from cleaner.document_sets import DocumentSet, ExistingCorpus, RowFile
    from cleaner.engine import InProcess
    from cleaner.formats import is_dataset, output_paths, read_index, read_ipc
    from cleaner.write import CorpusWriter, DatasetWriter, check_outputs

    options = options or Options()
    engine = engine or InProcess()
    dataset = is_dataset(output)
    output = Path(output)
    started = time.perf_counter()
    if options.against and options.dedup.scope != "corpus":
        raise InputError("--against compares documents across corpora: it needs --scope corpus")
    stdin_kind = file_kind(STDIN, options)[0]
    limits = options.max_file_bytes, options.max_decompressed_bytes
    walk = Walk(inputs, stdin_kind, options.follow_symlinks, own_files(output), limits)
    folders = [item for item in inputs if item != STDIN and os.path.isdir(item)]
    files = [item for item in inputs if item != STDIN and item not in folders]
    against = [path for corpus in options.against for path in output_paths(Path(corpus))]
    check_outputs(output, [*files, *against], folders, dataset)
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
    num_perm = options.dedup.num_perm
    across = options.dedup.scope == "corpus"
    rows: list[RowFile] = []
    # The staging folder goes before the writer commits or abandons the outputs.
    writing = DatasetWriter if dataset else CorpusWriter
    with writing(output, metadata(options)) as writer, Staging(output) as staging:
        if across:
            summaries = Summaries(staging.path, options.dedup.num_perm)
            for corpus in existing:
                summaries.add(corpus.index, corpus.doc_ids)
        shards = (Batch(n, batch, str(staging.path)) for n, batch in enumerate(batches))
        for result in engine.map(work, shards):
            with clock("write"):
                index_part = names(result, read_ipc(result.index))
                if across:  # the rows wait in their part files for the corpus-wide pass
                    summaries.add(read_index(index_part, num_perm), index_part.column("doc_id"))
                    rows.append(RowFile(result.rows, result.documents))
                else:
                    writer.add_corpus_rows(RowFile(result.rows, result.documents))
                    writer.add_index_table(index_part)
                    if not dataset:  # written: a dataset's workers read it at the end
                        os.remove(result.rows)
                    os.remove(result.index)
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
        if across:
            documents = sum(row_file.documents for row_file in rows)
            run = DocumentSet(documents, tuple(rows), "this run's inputs")
            read_only = sum(corpus.index.documents for corpus in existing)
            sets = [*(corpus.document_set() for corpus in existing), run]
            outcome = across_documents(sets, summaries, read_only, writer, options.dedup, engine)
            _count(report, outcome, clock)
        with clock("write"):
            writer.write_parts(engine)
        closing_at = time.perf_counter()  # the rest of "write": flush, fsync, rename
    clock.seconds["write"] += time.perf_counter() - closing_at
    report.seconds = time.perf_counter() - started
    report.stages = dict(clock.seconds)
    return report


class _Names:
    """The doc_ids of the records of files that were cut, made unique over each whole file
    as a whole read makes them (``7@12``: :func:`cleaner.decode.unique_key`), as the pieces'
    results come back in order."""

    def __init__(self) -> None:
        self.seen: dict[str, _Seen] = {}
        self.records: Counter[str] = Counter()

    def __call__(self, result: BatchResult, index_part: pa.Table) -> pa.Table:
        """The batch's index part with its records named; its rows' part file and its
        rejects renamed alike (a rename is rare: an id that a file repeats)."""
        from cleaner.formats import read_ipc, reject_row, write_ipc

        part = result.part
        if part is None:
            return index_part
        seen = self.seen.setdefault(part.name, _Seen())
        ids = index_part.column("doc_id").to_pylist()
        rows = sorted(
            [(line, True, n) for n, line in enumerate(part.documents) if line is not None]
            + [(line, False, n) for n, line in enumerate(part.rejects) if line is not None]
        )
        found = [ids[n] if document else result.rejects[n]["doc_id"] for _, document, n in rows]
        here: set[str | None] = set()  # the piece's own, named
        renamed = False
        for (line, document, n), doc_id, earlier in zip(rows, found, seen.have(found), strict=True):
            named = unique_key(doc_id, line, here) if not earlier else f"{doc_id}@{line}"
            here.add(named)
            if named != doc_id:
                if document:
                    ids[n], renamed = named, True
                else:
                    result.rejects[n]["doc_id"] = named
        seen.add(here)
        self.records[part.name] += len(rows)
        if renamed:
            index_part = _with_doc_ids(index_part, ids)
            # the rows are memory-mapped from their file: the renamed ones go to a new file
            renamed_rows = f"{result.rows}.renamed"
            write_ipc(Path(renamed_rows), _with_doc_ids(read_ipc(result.rows), ids))
            os.replace(renamed_rows, result.rows)
        if part.last:
            del self.seen[part.name]
            if not self.records.pop(part.name) and None not in part.rejects:
                result.rejects.append(reject_row(part.name, part.name, no_records()))
        return index_part


def _with_doc_ids(table: pa.Table, doc_ids: list[str]) -> pa.Table:
    column = table.schema.get_field_index("doc_id")
    return table.set_column(column, "doc_id", [doc_ids])


class _Seen:
    """The doc_ids a file's records have had so far, as 64-bit hashes in sorted runs that
    merge as they grow (a log-structured set): 8 bytes an id where a set of the strings takes
    about 110, so that a file of ten million records keeps 80 MB, not a gigabyte. Two ids
    share a hash with probability about n²/2⁶⁵ (3e-8 for a million records in one file),
    the only way it differs from a set of the ids; the hash is the same in every run, so a
    run's output does not depend on Python's hash seed."""

    def __init__(self) -> None:
        self.runs: list[NDArray[np.int64]] = []

    def have(self, ids: Sequence[str | None]) -> NDArray[np.bool_]:
        """Which of ``ids`` were added before."""
        from cleaner.fingerprint import string_hashes

        hashes = string_hashes(ids)
        found = np.zeros(len(ids), dtype=bool)
        for run in self.runs:
            at = np.searchsorted(run, hashes).clip(max=len(run) - 1)
            found |= run[at] == hashes
        return found

    def add(self, ids: set[str | None]) -> None:
        if not ids:
            return
        from cleaner.fingerprint import string_hashes

        self.runs.append(np.sort(string_hashes(ids)))
        while len(self.runs) > 1 and len(self.runs[-2]) <= 2 * len(self.runs[-1]):
            last = self.runs.pop()
            self.runs[-1] = np.sort(np.concatenate([self.runs[-1], last]))


def _count(report: Report, outcome: Outcome, clock: Stopwatch) -> None:
    """Fold what the corpus-wide pass did into the report."""
    report.index_bytes = outcome.index_bytes
    report.documents_out = outcome.documents_out
    report.paragraphs_out -= outcome.paragraphs_removed
    report.paragraphs_rejected += outcome.paragraphs_removed - sum(outcome.removed.values())
    report.removed.update(outcome.removed)
    report.rejects.update(outcome.rejects)
    clock.seconds["deduplicate"] += outcome.decide_seconds
    clock.seconds["extract"] += outcome.language_seconds  # where the chain counts it


def merge(
    corpora: Sequence[str | Path], output: str | Path, engine: Engine | None = None
) -> Report:
    """Join corpora written by :func:`clean` into one at ``output``, de-duplicating across them.

    Documents keep the order of ``corpora``; duplicates and boilerplate are decided over all
    of them, with the options the first one was cleaned with (their fingerprint settings must
    agree), and the rejects of every corpus are carried over. Raises
    :class:`cleaner.InputError` for a corpus that is missing, has no index or does not
    compare. ``engine`` runs the corpus-wide pass's steps (by default this process alone).
    """
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from cleaner.atomic import Staging
    from cleaner.corpus_steps import Summaries, across_documents
    from cleaner.document_sets import ExistingCorpus
    from cleaner.engine import InProcess
    from cleaner.formats import is_dataset, output_paths, rejects_path
    from cleaner.write import CorpusWriter, DatasetWriter, check_outputs

    started = time.perf_counter()
    dataset = is_dataset(output)
    output = Path(output)
    reads = [p for corpus in corpora for p in output_paths(Path(corpus))]
    check_outputs(output, reads, [], dataset)
    first = ExistingCorpus.open(Path(corpora[0]))
    opened = [first] + [
        ExistingCorpus.open(Path(path), first.metadata["fingerprint"]) for path in corpora[1:]
    ]
    # The merged corpus is made of the corpora named here, not of what they were checked
    # against.
    options = replace(Options.from_recorded(first.metadata["options"]), against=())
    report = Report(Path(output))
    clock = Stopwatch()
    writing = DatasetWriter if dataset else CorpusWriter
    with writing(output, metadata(options)) as writer, Staging(output) as staging:
        for corpus in opened:
            kept = pq.read_table(corpus.path, columns=["n_paragraphs_out"]).column(0)
            report.paragraphs_out += pc.sum(kept).as_py() or 0
            carried = pq.read_table(rejects_path(corpus.path)).to_pylist()
            report.documents += corpus.index.documents + len(carried)
            report.rejects.update(row["reason"] for row in carried)
            writer.add_rejects(carried)
        report.paragraphs_in = report.paragraphs_out
        report.documents_out = report.documents - report.rejected
        summaries = Summaries(staging.path, options.dedup.num_perm)
        for corpus in opened:
            summaries.add(corpus.index, corpus.doc_ids)
        sets = [corpus.document_set() for corpus in opened]
        engine = engine or InProcess()
        outcome = across_documents(sets, summaries, 0, writer, options.dedup, engine)
        _count(report, outcome, clock)
        writer.write_parts(engine)
    report.seconds = time.perf_counter() - started
    clock.seconds["write"] += report.seconds - clock.seconds["deduplicate"]
    report.stages = dict(clock.seconds)
    return report
