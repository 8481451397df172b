"""What the evaluations share: running the cleaner on a folder, reading what it wrote, and
printing examples, sweeps and the command line around them.

The one place that knows where the cleaner's library keeps its output helpers: the paths of
the files beside a corpus and the inverse of a corpus row.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

import cleaner
from bench import shared_data
from cleaner import Document as Document  # the evaluations import these two from here
from cleaner import Removal as Removal
from cleaner.formats import document_of, rejects_path
from cleaner.sources import input_labels

DEFAULT_SEED = 20240601  # draws the cases of every evaluation

# --- Running the cleaner ----------------------------------------------------------------------


@dataclass
class Outcome:
    """What one run of the cleaner made of a folder."""

    documents: dict[str, Document]  # kept doc_id -> its document, removed paragraphs included
    rejects: dict[str, dict[str, Any]]  # doc_id -> its reject row
    report: cleaner.Report

    @property
    def seconds(self) -> float:
        return self.report.seconds

    @property
    def megabytes(self) -> float:
        return self.report.bytes_in / 1e6

    def paragraphs(self, doc_id: str) -> list[str]:
        """Every paragraph of a kept document as the cleaner read it, removed ones included."""
        return self.documents[doc_id].paragraphs_in


def read_outcome(corpus: Path, report: cleaner.Report, folder: Path) -> Outcome:
    """The corpus and its rejects as written, documents in corpus order, each document named
    by its path in ``folder``, as the evaluations' truth names it: the cleaner's doc_ids
    begin with the folder's own name, which is a temporary one."""
    prefix = f"{input_labels([str(folder)])[0]}/"

    def named(doc_id: str | None) -> str | None:
        return None if doc_id is None else doc_id.removeprefix(prefix)

    documents = {}
    for row in pq.read_table(corpus).to_pylist():
        row["doc_id"] = named(row["doc_id"])
        for removal in row["removed"]:
            removal["repeats_doc"] = named(removal["repeats_doc"])
        documents[row["doc_id"]] = document_of(row)
    rejects = {}
    for row in pq.read_table(rejects_path(corpus)).to_pylist():
        row["doc_id"], row["duplicate_of"] = named(row["doc_id"]), named(row["duplicate_of"])
        rejects[str(row["doc_id"])] = row
    return Outcome(documents, rejects, report)


def run_cleaner(folder: Path, dedup: cleaner.DedupOptions, workers: int) -> Outcome:
    """Clean ``folder`` with the public library call into a temporary corpus and read it back."""
    with tempfile.TemporaryDirectory(prefix="cleaner-eval-out-") as out_dir:
        out = Path(out_dir) / "corpus.parquet"
        report = cleaner.clean(
            [str(folder)], out, cleaner.Options(dedup=dedup), engine=cleaner.LocalPool(workers)
        )
        return read_outcome(out, report, folder)


def speed_line(outcome: Outcome) -> str:
    rate = outcome.megabytes / outcome.seconds if outcome.seconds else float("nan")
    return (
        f"cleaner: {len(outcome.documents) + len(outcome.rejects)} documents, "
        f"{outcome.megabytes:.2f} MB in {outcome.seconds:.2f} s = {rate:.2f} MB/s"
    )


# --- Figures ----------------------------------------------------------------------------------


def share(part: float, whole: float) -> float | None:
    """``part / whole``, or None when there is no whole (a precision with nothing removed)."""
    return part / whole if whole else None


def f1(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None or not precision + recall:
        return None
    return 2 * precision * recall / (precision + recall)


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def met(ok: bool) -> Text:
    return Text("yes", "green") if ok else Text("no", "red")


# --- Examples ---------------------------------------------------------------------------------


@dataclass
class Example:
    """A false positive, a miss or an adjudicated pair, beside what it was compared to."""

    kind: str  # "false positive", "miss", "adjudicated"
    label: str  # the kind of case or pair
    case: str  # which case, or which two documents
    left: str  # the removed paragraph or the copy left in; the first document's text
    right: str  # what it was taken for or copies; the second document's text
    figures: dict[str, float | None]  # measures of the pair, by name
    note: str


def spread(
    examples: Sequence[Example], count: int, order: Callable[[str], Any] = str
) -> list[Example]:
    """The first ``count`` examples taking one label after another, so each kind shows.

    >>> found = [Example("miss", label, str(n), "", "", {}, "") for n, label in
    ...          enumerate(["b", "b", "b", "a", "a"])]
    >>> [e.case for e in spread(found, 4)]
    ['3', '0', '4', '1']
    """
    by_label: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_label[example.label].append(example)
    queues = [by_label[label] for label in sorted(by_label, key=order)]
    chosen: list[Example] = []
    for rank in range(max(map(len, queues), default=0)):
        chosen.extend(queue[rank] for queue in queues if rank < len(queue))
    return chosen[:count]


def word_diff(left: str, right: str, limit: int = 600) -> tuple[Text, Text]:
    """Both texts with the words that differ highlighted, trimmed for a terminal."""
    a, b = left.split(), right.split()
    out_a, out_b = Text(), Text()
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        style = None if op == "equal" else "bold red"
        out_a.append(" ".join(a[i1:i2]) + (" " if i2 > i1 else ""), style)
        out_b.append(" ".join(b[j1:j2]) + (" " if j2 > j1 else ""), style)
    for text in (out_a, out_b):
        text.rstrip()
        text.truncate(limit, overflow="ellipsis")
    return out_a, out_b


def examples_table(
    title: str,
    examples: Sequence[Example],
    show: int,
    columns: tuple[str, str],
    order: Callable[[str], Any] = str,
    limit: int = 600,
) -> Table:
    """``show`` of the examples, spread over their labels, the two texts side by side."""
    shown = spread(examples, show, order)
    table = Table(title=f"{title}: {len(shown)} of {len(examples)}", title_justify="left")
    table.add_column("case", max_width=30)
    table.add_column(columns[0], ratio=1)
    table.add_column(columns[1], ratio=1)
    table.add_column("measures", justify="right", max_width=22)
    for example in shown:
        measures = [f"{name} {fmt(value)}" for name, value in example.figures.items()]
        table.add_row(
            f"{example.case}\n{example.label}",
            *word_diff(example.left, example.right, limit),
            "\n".join([*measures, example.note]),
        )
    return table


# --- Sweeps -----------------------------------------------------------------------------------

Setting = TypeVar("Setting")


def sweep(
    console: Console,
    title: str,
    columns: Sequence[str],
    settings: Sequence[Setting],
    measure: Callable[[Setting], tuple[Sequence[str | Text], dict[str, Any]]],
) -> list[dict[str, Any]]:
    """One run per setting on the same cases: a table row each, printed at the end, and the
    JSON-able results in order."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, justify="right")
    rows = []
    # The bar shows on a terminal only and vanishes; a log gets just the table.
    with Progress(
        console=Console(stderr=True), transient=True, disable=not sys.stderr.isatty()
    ) as progress:
        task = progress.add_task("sweeping", total=len(settings))
        for setting in settings:
            cells, row = measure(setting)
            table.add_row(*cells)
            rows.append(row)
            progress.advance(task)
    console.print(table)
    return rows


# --- Command line -----------------------------------------------------------------------------


def parser(doc: str | None) -> argparse.ArgumentParser:
    """The options every evaluation takes: paragraph de-duplication's, workers, output."""
    defaults = cleaner.DedupOptions()
    found = argparse.ArgumentParser(description=doc.split("\n\n")[0] if doc else None)
    found.add_argument(
        "--threshold",
        type=float,
        default=defaults.threshold,
        help=f"Jaccard threshold for DedupOptions (default {defaults.threshold})",
    )
    found.add_argument(
        "--shingle-size",
        type=int,
        default=defaults.shingle_size,
        help=f"words per shingle for DedupOptions (default {defaults.shingle_size})",
    )
    found.add_argument(
        "--containment",
        type=float,
        default=defaults.containment,
        help=f"containment threshold for DedupOptions (default {defaults.containment})",
    )
    found.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the cases")
    found.add_argument("--workers", type=int, default=1, help="cleaner worker processes")
    found.add_argument("--show", type=int, default=5, help="false positives and misses shown")
    found.add_argument("--json", type=Path, help="also write the scores here as JSON")
    return found


def main(
    args: argparse.Namespace,
    parts: Iterable[tuple[str, Callable[[Console, argparse.Namespace], Any]]],
    width: int,
) -> int:
    """Run each part that the corpora allow, print the total time, write ``--json``."""
    console = Console(width=None if sys.stdout.isatty() else width)
    if not shared_data.available():
        print(f"eval skipped: {shared_data.missing_message()}")
        return 0
    started = time.perf_counter()
    result = {name: part(console, args) for name, part in parts}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    console.print(f"total {time.perf_counter() - started:.1f} s")
    return 0
