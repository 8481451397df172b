"""The command line: a thin layer over :func:`cleaner.clean` and :func:`cleaner.clean_text`.

Exit status: 0 the run completed; 1 the run failed, or ``--strict`` and something was
rejected; 2 usage error (bad option, input not found); 130 interrupted (Ctrl-C, SIGINT);
143 terminated (SIGTERM). An interrupted or terminated run stops its workers, removes its
temporary files and leaves earlier output as it was.
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from types import FrameType
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from cleaner import __version__
from cleaner.deduplicate import DedupOptions
from cleaner.document import Rejected
from cleaner.engine import WorkerLost, default_workers
from cleaner.pipeline import STAGES, Options, Report, clean, clean_text, merge
from cleaner.sources import STDIN, InputError, Source, portable_name, read_bytes, read_stdin

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Turn folders of scraped news into a clean, de-duplicated Parquet corpus.",
)
err = Console(stderr=True)


class StdinFormat(str, Enum):
    txt = "txt"
    jsonl = "jsonl"


class Scope(str, Enum):
    corpus = "corpus"
    document = "document"


class Keep(str, Enum):
    first = "first"
    longest = "longest"


Threshold = Annotated[
    float,
    typer.Option(
        min=0.0, max=1.0, help="Jaccard similarity at which a paragraph is a near repeat."
    ),
]
ShingleSize = Annotated[int, typer.Option(min=1, help="Words per shingle.")]
NumPerm = Annotated[int, typer.Option(min=16, max=1024, help="MinHash permutations.")]
Seed = Annotated[int, typer.Option(help="MinHash seed (datasketch's).")]
Containment = Annotated[
    float,
    typer.Option(
        min=0.0,
        max=1.0,
        help="Share of a copy's shingles found in the original that makes a trimmed copy "
        "(or one with a dateline added) a near repeat.",
    ),
]
MinWords = Annotated[
    int, typer.Option(min=1, help="Paragraphs with fewer words are only exact repeats.")
]

Output = Annotated[
    Path, typer.Option("--output", "-o", help="Corpus to write; rejects and index go beside it.")
]

DEFAULTS = DedupOptions()
DEFAULT_SCOPE, DEFAULT_KEEP = Scope(DEFAULTS.scope), Keep(DEFAULTS.keep)
LIMITS = Options()


def _fail(message: str, code: int) -> NoReturn:
    err.print(f"error: {_shown(message)}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _shown(text: str) -> str:
    """Text on one line: control characters (a newline in a file name) escaped."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


class _Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so that the same clean-up runs."""


# How long a run takes to stop: a further stop meanwhile is ignored, so that it cannot cut
# the clean-up short; one after it means the first was lost (swallowed in a finaliser).
STOPPING_SECONDS = 5.0


@contextmanager
def _stops_raise_once() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt and SIGTERM :class:`_Terminated`, once while it stops.

    A second Ctrl-C must not cut the clean-up (workers, temporary files) short or end the run
    with a traceback. SIGINT stays ignored if it was (a job started in the background).
    """
    stopped_at: list[float] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if stopped_at and time.monotonic() - stopped_at[-1] < STOPPING_SECONDS:
            return
        stopped_at.append(time.monotonic())
        raise KeyboardInterrupt if signum == signal.SIGINT else _Terminated

    stops = [signal.SIGTERM]
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        stops.append(signal.SIGINT)
    previous = {stop: signal.signal(stop, handler) for stop in stops}
    try:
        yield
    finally:
        if not stopped_at:  # else it is stopping: a stop while it reports and exits is ignored
            for stop, action in previous.items():
                signal.signal(stop, action)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cleaner {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Turn folders of scraped news into a clean, de-duplicated Parquet corpus."""


@app.command("clean")
def clean_command(
    inputs: Annotated[
        list[str],
        typer.Argument(help="Folders (read recursively), files, or - for stdin.", metavar="INPUT"),
    ],
    output: Output = Path("corpus.parquet"),
    against: Annotated[
        list[Path] | None,
        typer.Option(
            help="A corpus already written (repeatable): new documents and paragraphs are "
            "de-duplicated against it too, from its index, without reading its texts again."
        ),
    ] = None,
    text_field: Annotated[str, typer.Option(help="JSON field holding the text.")] = "text",
    id_field: Annotated[str, typer.Option(help="JSON field holding the record id.")] = "id",
    threshold: Threshold = DEFAULTS.threshold,
    shingle_size: ShingleSize = DEFAULTS.shingle_size,
    containment: Containment = DEFAULTS.containment,
    min_words: MinWords = DEFAULTS.min_words,
    num_perm: NumPerm = DEFAULTS.num_perm,
    seed: Seed = DEFAULTS.seed,
    scope: Annotated[
        Scope,
        typer.Option(
            help="corpus: also drop duplicate documents and boilerplate paragraphs across "
            "documents; document: repeats inside each document only."
        ),
    ] = DEFAULT_SCOPE,
    keep: Annotated[
        Keep, typer.Option(help="Which of a cluster of duplicate documents stays.")
    ] = DEFAULT_KEEP,
    document_threshold: Annotated[
        float,
        typer.Option(
            min=0.0, max=1.0, help="Jaccard similarity at which two documents are duplicates."
        ),
    ] = DEFAULTS.document_threshold,
    boilerplate_min_docs: Annotated[
        int,
        typer.Option(
            min=2, help="Documents a paragraph must recur in to be removed as boilerplate."
        ),
    ] = DEFAULTS.boilerplate_min_docs,
    max_file_bytes: Annotated[
        int,
        typer.Option(
            min=1, help="Largest file to read, as stored (compressed, for .gz); else too_large."
        ),
    ] = LIMITS.max_file_bytes,
    max_decompressed_bytes: Annotated[
        int,
        typer.Option(
            min=1, help="Most bytes a .gz file may expand to; else too_large_decompressed."
        ),
    ] = LIMITS.max_decompressed_bytes,
    max_paragraphs: Annotated[
        int,
        typer.Option(min=1, help="Most paragraphs in one document; else too_many_paragraphs."),
    ] = LIMITS.max_paragraphs,
    workers: Annotated[
        int, typer.Option("--workers", "-j", min=0, help="Worker processes; 0 means one per core.")
    ] = 0,
    stdin_format: Annotated[
        StdinFormat, typer.Option(help="What - holds: one article, or JSON lines.")
    ] = StdinFormat.txt,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when anything was rejected.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, no summary.")] = False,
) -> None:
    """Clean INPUTS into a Parquet corpus (-o), with a rejects table beside it."""
    options = Options(
        text_field=text_field,
        id_field=id_field,
        dedup=DedupOptions(
            threshold,
            shingle_size,
            num_perm,
            seed,
            containment,
            min_words,
            scope.value,
            keep.value,
            document_threshold,
            boilerplate_min_docs,
        ),
        max_file_bytes=max_file_bytes,
        max_decompressed_bytes=max_decompressed_bytes,
        max_paragraphs=max_paragraphs,
        stdin_kind="article" if stdin_format is StdinFormat.txt else "records",
        workers=workers or default_workers(),
        against=tuple(str(path) for path in against or ()),
    )
    show_progress = not quiet and err.is_terminal
    with _failures(output):
        if show_progress:
            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            ) as bar:
                task = bar.add_task("cleaning", total=None)
                report = clean(
                    inputs,
                    output,
                    options,
                    lambda done, total: bar.update(task, completed=done, total=total),
                )
        else:
            report = clean(inputs, output, options)
    if not quiet:
        _summary(report)
    if strict and report.rejected:
        _fail(f"{report.rejected} input(s) rejected (--strict)", 1)


def _stages(report: Report) -> str:
    return " ".join(f"{stage} {report.stages.get(stage, 0.0):.2f}" for stage in STAGES)


def _summary(report: Report) -> None:
    table = Table(title=f"cleaner: {report.output}", show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    mb = report.bytes_in / 1e6
    rows = [
        ("files read", f"{report.files:,}"),
        ("files skipped (other formats, folder links)", f"{len(report.skipped):,}"),
        ("documents in", f"{report.documents:,}"),
        ("documents out", f"{report.documents_out:,}"),
        ("paragraphs in", f"{report.paragraphs_in:,}"),
        ("paragraphs out", f"{report.paragraphs_out:,}"),
        *((f"removed: {reason}", f"{n:,}") for reason, n in sorted(report.removed.items())),
        *((f"rejected: {reason}", f"{n:,}") for reason, n in sorted(report.rejects.items())),
        ("rejected", f"{report.rejected:,}"),
        ("seconds", f"{report.seconds:.2f}"),
        ("seconds by stage (all workers)", _stages(report)),
        ("MB/s", f"{mb / report.seconds:.2f}" if report.seconds > 0 else "-"),
    ]
    if report.index_bytes:
        rows.append(("corpus-wide index (MB)", f"{report.index_bytes / 1e6:.1f}"))
    for what, count in rows:
        table.add_row(what, count)
    err.print(table)
    for path in report.skipped[:10]:
        err.print(f"skipped: {_shown(portable_name(path))}", markup=False, highlight=False)
    if len(report.skipped) > 10:
        err.print(f"skipped: ... and {len(report.skipped) - 10} more", highlight=False)


@contextmanager
def _failures(output: Path) -> Iterator[None]:
    """Every way a run can fail, as one line on stderr and its exit status."""
    try:
        with _stops_raise_once():
            yield
    except InputError as exc:
        _fail(str(exc), 2)
    except KeyboardInterrupt:
        _fail("interrupted; earlier output left as it was", 130)
    except _Terminated:
        _fail("terminated; earlier output left as it was", 143)
    except WorkerLost as exc:
        _fail(f"{exc}; earlier output left as it was", 1)
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}", 1)


@app.command("merge")
def merge_command(
    corpora: Annotated[
        list[Path],
        typer.Argument(help="Corpora written by cleaner clean, in order.", metavar="CORPUS"),
    ],
    output: Output = Path("corpus.parquet"),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary.")] = False,
) -> None:
    """Join corpora into one (-o), de-duplicating documents and boilerplate across them."""
    with _failures(output):
        report = merge(corpora, output)
    if not quiet:
        _summary(report)


@app.command("fix")
def fix_command(
    file: Annotated[
        str, typer.Argument(help="One article (.gz read transparently), or -.")
    ] = STDIN,
    threshold: Threshold = DEFAULTS.threshold,
    shingle_size: ShingleSize = DEFAULTS.shingle_size,
    containment: Containment = DEFAULTS.containment,
    min_words: MinWords = DEFAULTS.min_words,
) -> None:
    """Print one article's repaired, de-duplicated paragraphs, separated by blank lines."""
    if file != STDIN and not Path(file).is_file():
        _fail(f"input not found: {file}", 2)
    dedup = DedupOptions(
        threshold=threshold, shingle_size=shingle_size, containment=containment, min_words=min_words
    )
    options = Options(dedup=dedup)
    source = Source(file, file, "article", gzipped=file.lower().endswith(".gz"))
    try:
        data = read_bytes(
            read_stdin(source, options.max_file_bytes),
            options.max_file_bytes,
            options.max_decompressed_bytes,
        )
        paragraphs = clean_text(data, options).paragraphs
    except Rejected as exc:
        _fail(f"{file}: {exc.reason}: {exc.detail}", 1)
    sys.stdout.write("\n\n".join(paragraphs) + ("\n" if paragraphs else ""))


def main() -> None:
    app(prog_name="cleaner")
