"""What a run did: its counts, which add up, and the time each stage took.

:class:`Report` is what :func:`cleaner.clean` and :func:`cleaner.merge` return and what the
CLI's summary prints; :class:`Stopwatch` sums the seconds of each stage, in every process.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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
        from cleaner.formats import index_path, rejects_path

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

    def __call__(self, stage: str) -> _Timed:
        """A context that adds the time spent in it to ``stage``, however it ends."""
        return _Timed(self.seconds, stage)


class _Timed:
    """:meth:`Stopwatch.__call__`'s context: a class, as a generator-based context manager
    costs a few microseconds more, twice for every file read."""

    def __init__(self, seconds: defaultdict[str, float], stage: str) -> None:
        self.seconds, self.stage, self.started = seconds, stage, 0.0

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.seconds[self.stage] += time.perf_counter() - self.started
