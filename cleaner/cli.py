"""The command line: a thin layer over :func:`cleaner.clean` and :func:`cleaner.clean_text`.

Exit status: 0 the run completed; 1 the run failed, or ``--strict`` and something was
rejected; 2 usage error (bad option, input not found); 130 interrupted (Ctrl-C, SIGINT);
143 terminated (SIGTERM). An interrupted or terminated run stops its workers, removes its
temporary files and leaves earlier output as it was.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from cleaner.chain import clean_file, file_kind
from cleaner.deduplicate import DedupOptions
from cleaner.document import Rejected
from cleaner.engine import LocalPool
from cleaner.errors import InputError, WorkerLost
from cleaner.metadata import COLUMNS, TEXT_FIELDS
from cleaner.options import Options, cleaner_version
from cleaner.pipeline import clean, merge
from cleaner.sources import STDIN, listing
from cleaner.stops import raise_kept, stops_kept
from cleaner.tally import Report
from cleaner.terminal import shown

# What only some commands need is imported by them: `cleaner fix`, a filter in shell
# pipelines, starts without the progress bar, the explanations or the report.
if TYPE_CHECKING:
    from cleaner.engine import Engine
    from cleaner.explain import Diff, Explanation


class _OneLineErrors(typer.core.TyperGroup):
    """Usage errors as one line on stderr, saying what is wrong and where help is, instead
    of typer's four-line box: ``error: invalid value for '--scope': 'doc' is not one of
    'corpus', 'document' (see cleaner clean --help)``."""

    def main(self, *args: Any, **kwargs: Any) -> NoReturn:
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except typer.TyperException as exc:
            message = exc.format_message().replace("Value error, ", "").rstrip(".")
            context = getattr(exc, "ctx", None)
            where = f" (see {context.command_path} --help)" if context is not None else ""
            if message:  # else typer has printed the help a bare command asks for
                _say(f"error: {message[:1].lower()}{message[1:]}{where}")
            sys.exit(exc.exit_code)
        except typer.Abort:  # click's form of a Ctrl-C before the command's own handlers
            _say("error: interrupted")
            sys.exit(130)
        sys.exit(code or 0)


# typer shows each parameter's Python type beside its name (INPUT <list[str]>, --strict
# <bool>); a user reads the name of what to give: nothing for arguments and flags, the
# choices, or a word (PATH, NUMBER, INTEGER, TEXT).
_TYPE_WORDS = {"int": "INTEGER", "float": "NUMBER", "str": "TEXT", "path": "PATH"}


def _value_word(param: Any, ctx: Any) -> str | None:
    if isinstance(param, typer.core.TyperArgument) or getattr(param, "is_flag", False):
        return None
    if param.metavar is not None:
        return str(param.metavar)
    typed = str(param.display_type(ctx)).strip("<>").removesuffix(" range")
    inner = typed.removeprefix("list[").removesuffix("]")
    return _TYPE_WORDS.get(inner.lower(), inner)


typer.core.TyperArgument.display_type_rich = _value_word  # type: ignore[method-assign,assignment]
typer.core.TyperOption.display_type_rich = _value_word  # type: ignore[method-assign,assignment]

app = typer.Typer(
    cls=_OneLineErrors,
    context_settings={"help_option_names": ["-h", "--help"]},
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Turn folders of scraped news into a clean, de-duplicated Parquet corpus.",
)
err = Console(stderr=True)


class StdinFormat(str, Enum):  # cleaner.options.STDIN_FORMATS
    txt = "txt"
    jsonl = "jsonl"
    html = "html"
    xml = "xml"
    csv = "csv"
    tsv = "tsv"


class Scope(str, Enum):
    corpus = "corpus"
    document = "document"


class Keep(str, Enum):
    first = "first"
    longest = "longest"
    newest = "newest"


class EngineKind(str, Enum):
    local = "local"
    dask = "dask"


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
    str,
    typer.Option(
        "--output",
        "-o",
        help="Corpus to write; rejects and index go beside it. A folder (DIR/): a Parquet"
        " dataset of part files with a manifest, the rejects and the index inside.",
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
FollowSymlinks = Annotated[
    bool,
    typer.Option("--follow-symlinks", help="Read symbolic links that lead out of an input folder."),
]
Inputs = Annotated[
    list[str],
    typer.Argument(help="Folders (read recursively), files, or - for stdin.", metavar="INPUT"),
]
Corpora = Annotated[
    list[Path],
    typer.Argument(help="Corpora written by cleaner clean, in order.", metavar="CORPUS"),
]
Workers = Annotated[
    int,
    typer.Option(
        "--workers",
        "-j",
        min=0,
        help="Worker processes (of a local Dask cluster too); 0: one per core.",
    ),
]
EngineOption = Annotated[
    EngineKind,
    typer.Option(
        "--engine",
        help="local: worker processes of this machine; dask: a Dask cluster, started on this "
        "machine unless --scheduler names one.",
    ),
]
Scheduler = Annotated[
    str | None,
    typer.Option(
        help="Address of a running Dask scheduler (tcp://HOST:8786, tls://...); implies "
        "--engine dask. Its workers must see the inputs and the output's folder at the same paths."
    ),
]
StdinFormatOption = Annotated[
    StdinFormat,
    typer.Option(help="What - holds: one article, JSON lines, a web page, a feed or a table."),
]
AsJson = Annotated[
    bool,
    typer.Option("--json", help="Print the summary as one JSON object on stdout (see README)."),
]

DEFAULTS = DedupOptions()
DEFAULT_SCOPE, DEFAULT_KEEP = Scope(DEFAULTS.scope), Keep(DEFAULTS.keep)
LIMITS = Options()


def _limit(what: str, reason: str) -> Any:
    """A limit's option: what it bounds, and the reject reason past it."""
    return typer.Option(min=1, help=f"{what}; else {reason}.")


def _fail(message: str, code: int) -> NoReturn:
    err.print(f"error: {shown(message)}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


class _Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so that the same clean-up runs."""


# How long a run takes to stop: a further stop meanwhile is ignored, so that it cannot cut
# the clean-up short. A first stop that was swallowed is raised again all the same (stops_kept).
STOPPING_SECONDS = 5.0


@contextmanager
def _stops_raise_once() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt and SIGTERM :class:`_Terminated`, once while it stops,
    and the block ends by it even where it was swallowed (:func:`~cleaner.stops.stops_kept`).

    A second Ctrl-C must not cut the clean-up (workers, temporary files) short or end the run
    with a traceback. SIGINT stays ignored if it was (a job started in the background).
    """
    stopped_at: list[float] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if stopped_at and time.monotonic() - stopped_at[-1] < STOPPING_SECONDS:
            return
        stopped_at.append(time.monotonic())
        raise_kept(KeyboardInterrupt if signum == signal.SIGINT else _Terminated)

    stops = [signal.SIGTERM]
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        stops.append(signal.SIGINT)
    previous = {stop: signal.signal(stop, handler) for stop in stops}
    try:
        with stops_kept():
            yield
    finally:
        if not stopped_at:  # else it is stopping: a stop while it reports and exits is ignored
            for stop, action in previous.items():
                signal.signal(stop, action)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cleaner {cleaner_version()}")
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
    inputs: Inputs,
    output: Output = "corpus.parquet",
    against: Annotated[
        list[Path] | None,
        typer.Option(
            help="A corpus already written (repeatable): new documents and paragraphs are "
            "de-duplicated against it too, from its index, without reading its texts again."
        ),
    ] = None,
    text_field: Annotated[
        str | None,
        typer.Option(
            help="JSON field (or table column) holding the text \\[default: the first of "
            f"{', '.join(TEXT_FIELDS)} that holds a string].",
        ),
    ] = None,
    id_field: Annotated[
        str, typer.Option(help="JSON field (or table column) holding the record id.")
    ] = "id",
    field: Annotated[
        list[str] | None,
        typer.Option(
            "--field",
            help="COLUMN=FIELD (repeatable): the JSON field (or table column) that fills a "
            f"metadata column ({', '.join(COLUMNS)}), e.g. title=headline.",
        ),
    ] = None,
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
        int, _limit("Largest file to read, as stored (compressed, if it is)", "too_large")
    ] = LIMITS.max_file_bytes,
    max_decompressed_bytes: Annotated[
        int, _limit("Most bytes a compressed file may expand to", "too_large_decompressed")
    ] = LIMITS.max_decompressed_bytes,
    max_paragraphs: Annotated[
        int, _limit("Most paragraphs in one document", "too_many_paragraphs")
    ] = LIMITS.max_paragraphs,
    workers: Workers = 0,
    engine: EngineOption = EngineKind.local,
    scheduler: Scheduler = None,
    stdin_format: StdinFormatOption = StdinFormat.txt,
    follow_symlinks: FollowSymlinks = False,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Exit 1 when anything was rejected or nothing found."),
    ] = False,
    quiet: Quiet = False,
    as_json: AsJson = False,
) -> None:
    """Clean INPUTS into a Parquet corpus (-o), with a rejects table beside it."""
    options = Options(
        text_field=text_field,
        id_field=id_field,
        fields=_fields(field or []),
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
        stdin_format=stdin_format.value,
        follow_symlinks=follow_symlinks,
        against=tuple(str(path) for path in against or ()),
    )
    show_progress = not quiet and not as_json and err.is_terminal
    with _failures(Path(output)), _engine(engine, workers, scheduler) as running:
        if show_progress:
            from rich.progress import BarColumn, DownloadColumn, Progress, TimeElapsedColumn

            # In bytes, not files: a run over one large dump advances as it is read.
            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                DownloadColumn(),
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
                    running,
                )
        else:
            report = clean(inputs, output, options, engine=running)
    if not quiet:
        _summary(report, as_json)
    empty = report.nothing_found()
    if empty and strict:
        _fail(f"{empty} (--strict)", 1)
    if empty:
        _say(f"warning: {empty}")
    if strict and report.rejected:
        _fail(f"{report.rejected} input(s) rejected (--strict)", 1)


def _fields(pairs: list[str]) -> tuple[tuple[str, str], ...]:
    """``--field title=headline`` as (column, field) pairs."""
    found = []
    for pair in pairs:
        column, sep, name = pair.partition("=")
        if not sep or column not in COLUMNS or not name:
            raise typer.BadParameter(
                f"{pair!r}: expected COLUMN=FIELD with COLUMN one of {', '.join(COLUMNS)}",
                param_hint="--field",
            )
        found.append((column, name))
    return tuple(found)


# Below this much input a run's fixed costs (starting workers, writing three files) make
# throughput figures say more about start-up than about speed: they are left out.
SPEED_MIN_BYTES = 10_000_000


def _summary(report: Report, as_json: bool) -> None:
    """The run's numbers: one JSON object on stdout, or lines on stderr that add up."""
    figures = report.summary()
    if as_json:
        sys.stdout.write(json.dumps(figures, ensure_ascii=False) + "\n")
        return
    outputs, files = figures["outputs"], figures["files"]
    documents, paragraphs = figures["documents"], figures["paragraphs"]
    rejected_paragraphs = paragraphs["in_rejected_documents"]
    lines = [
        f"files read  {files['read']:,}",
        f"files of other formats {files['skipped']:,} (rejected: unsupported)",
        *(
            [f"WARC records {files['warc_records_skipped']:,} skipped (not HTML pages)"]
            if files.get("warc_records_skipped")
            else []
        ),
        f"documents   {documents['in']:,} in = {documents['out']:,} out "
        f"+ {documents['rejected']:,} rejected",
        *_by_reason("rejected", documents["rejected_by_reason"]),
        f"paragraphs  {paragraphs['in']:,} in = {paragraphs['out']:,} out "
        f"+ {paragraphs['removed']:,} removed"
        + (f" + {rejected_paragraphs:,} in rejected documents" if rejected_paragraphs else ""),
        *_by_reason("removed", paragraphs["removed_by_reason"]),
        f"seconds     {report.seconds:.2f}",
    ]
    if report.bytes_in >= SPEED_MIN_BYTES and report.seconds > 0:
        stages = " ".join(f"{k} {v:.1f}" for k, v in figures["seconds_by_stage"].items())
        lines.append(f"speed       {report.bytes_in / 1e6 / report.seconds:.1f} MB/s")
        lines.append(f"stages      {stages} (CPU seconds, all workers)")
    if report.index_bytes >= 1_000_000:
        lines.append(f"index held  {report.index_bytes / 1e6:.1f} MB in memory")
    lines += [f"{what:<11} {path}" for what, path in outputs.items()]
    for line in lines:
        _say(line)


def _by_reason(what: str, counts: dict[str, int]) -> list[str]:
    """One line per reason, counts aligned under the totals above."""
    width = max((len(f"{n:,}") for n in counts.values()), default=0)
    labels = [what, *[""] * len(counts)]
    return [
        f"  {label:<9} {n:>{width},} {reason}"
        for label, (reason, n) in zip(labels, counts.items(), strict=False)
    ]


def _say(line: str) -> None:
    """One line on stderr, as it is: no markup, no wrapping, control characters escaped."""
    err.print(shown(line), markup=False, highlight=False, soft_wrap=True)


@contextmanager
def _stops_unmasked() -> Iterator[None]:
    """A stop raised while a C extension module is imported (pyarrow imports pandas on the
    first conversion that may need it) reaches us as a SystemError "returned a result with
    an exception set" over it: the stop it carries is raised instead."""
    try:
        yield
    except SystemError as exc:
        stop = exc.__cause__ or exc.__context__
        if isinstance(stop, KeyboardInterrupt | _Terminated):
            raise stop from None
        raise


@contextmanager
def _failures(output: Path) -> Iterator[None]:
    """Every way a run can fail, as one line on stderr and its exit status."""
    try:
        with _stops_raise_once(), _stops_unmasked():
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


@contextmanager
def _engine(kind: EngineKind, workers: int, scheduler: str | None) -> Iterator[Engine]:
    """The engine the options name, shut down on leaving (a local Dask cluster with it)."""
    if kind is EngineKind.local and scheduler is None:
        yield LocalPool(workers)
        return
    from cleaner.dask_engine import dask_engine

    with dask_engine(scheduler, workers) as engine:
        yield engine


@app.command("merge")
def merge_command(
    corpora: Corpora,
    output: Output = "corpus.parquet",
    workers: Workers = 0,
    engine: EngineOption = EngineKind.local,
    scheduler: Scheduler = None,
    quiet: Quiet = False,
    as_json: AsJson = False,
) -> None:
    """Join corpora into one (-o), de-duplicating documents and boilerplate across them."""
    with _failures(Path(output)), _engine(engine, workers, scheduler) as running:
        report = merge(corpora, output, engine=running)
    if not quiet:
        _summary(report, as_json)


@app.command("explain")
def explain_command(
    corpus: Annotated[Path, typer.Argument(help="A corpus written by cleaner clean.")],
    doc_id: Annotated[str, typer.Argument(help="The doc_id of a document, kept or rejected.")],
    inputs: Annotated[
        list[Path] | None,
        typer.Option(
            "--input",
            "-i",
            help="A folder the corpus was cleaned from, or one above it (repeatable; "
            "default: the current one): a rejected document's text is read again from there.",
        ),
    ] = None,
) -> None:
    """Show one document in its original order: each paragraph kept or removed, and why."""
    from cleaner.explain import explain

    with _failures(corpus):
        explanation = explain(corpus, doc_id, inputs or [Path(".")])
    out = Console(highlight=False, soft_wrap=not sys.stdout.isatty())
    for line in _explained(explanation, plain=not out.is_terminal):
        out.print(line)


def _explained(e: Explanation, plain: bool) -> Iterator[Text]:
    """The lines of ``cleaner explain``: styled on a terminal, plain text (diffs marked
    ``[-dropped-]{+added+}``) when piped. Every scraped string goes through :func:`shown`."""
    from cleaner.deduplicate_corpus import BOILERPLATE
    from cleaner.explain import word_diff

    about = ", ".join(filter(None, [e.encoding, "repaired by ftfy" if e.repaired else ""]))
    yield Text(f"{shown(e.doc_id)}  (source {shown(e.source)}{', ' if about else ''}{about})")
    removed = sum(v.removal is not None for v in e.paragraphs)
    if e.outcome == "kept":
        kept = len(e.paragraphs) - removed
        yield Text(f"kept: {kept} of {len(e.paragraphs)} paragraphs, {removed} removed")
    else:
        yield Text(f"rejected: {e.outcome}: {shown(e.detail)}", style="bold")
    for v in e.paragraphs:
        r = v.removal
        if r is None and e.comparison:
            continue  # shown in the comparison below
        yield Text()
        if r is None:
            yield Text(f"[{v.index}] kept", style="green")
            yield Text("    ") + Text(shown(v.paragraph))
            continue
        where = f"[{r.repeats_index}]"
        if r.reason == BOILERPLATE:
            what = f"in {v.carriers} documents of the corpus, e.g. {shown(r.repeats_doc or '')}"
        else:
            what = f"repeats {where}"
        figures = f"Jaccard {r.similarity:.3f}, containment {r.containment:.3f}"
        yield Text(f"[{v.index}] removed: {r.reason}, {what} ({figures})", style="red")
        yield Text("    ") + _diff_text(v.diff, plain, whole=True)
    if e.comparison:
        yield Text()
        yield Text(f"paragraph by paragraph, against {shown(e.kept_instead or '')}:", style="bold")
        for ours, theirs in e.comparison:
            yield Text()
            if ours is not None and theirs is not None:
                same = ours == theirs
                yield Text("  same" if same else "  changed", style="dim" if same else "yellow")
                yield Text("    ") + _diff_text(word_diff(theirs, ours), plain, whole=False)
            else:
                side = "only here" if theirs is None else "only in the kept document"
                yield Text(f"  {side}", style="red" if theirs is None else "green")
                yield Text("    ") + Text(shown(ours or theirs or ""))
    if e.outcome != "kept" and not e.paragraphs:
        yield Text()
        yield Text(
            "its text is not in the corpus, and its source was not found under the "
            "inputs given (--input)"
        )


_DIFF_STYLE = {"=": "", "-": "red strike", "+": "green underline"}
_DIFF_MARK = {"=": ("", ""), "-": ("[-", "-]"), "+": ("{+", "+}")}
_CONTEXT = 6  # words shown at each end of a long unchanged run


def _diff_text(diff: Diff, plain: bool, whole: bool) -> Text:
    """A word diff on one line; long unchanged runs cut to their ends, unless ``whole`` and
    nothing changed."""
    text = Text()
    for n, (op, words) in enumerate(diff):
        if op == "=" and (len(diff) > 1 or not whole) and len(words) > 2 * _CONTEXT:
            alone = len(diff) == 1
            head = words[:_CONTEXT] if n > 0 or alone else []
            tail = words[-_CONTEXT:] if n < len(diff) - 1 or alone else []
            words = [*head, "…", *tail]
        start, end = _DIFF_MARK[op] if plain else ("", "")
        if len(text):
            text.append(" ")
        text.append(f"{start}{shown(' '.join(words))}{end}", style="" if plain else _DIFF_STYLE[op])
    return text


@app.command("report")
def report_command(
    corpus: Annotated[Path, typer.Argument(help="A corpus written by cleaner clean.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML page to write.")] = Path(
        "report.html"
    ),
    seed: Annotated[int, typer.Option(help="Chooses the sample of near repeats shown.")] = 1,
) -> None:
    """Write a self-contained HTML report of a corpus: figures, charts, samples (-o)."""
    from cleaner.report import build_report

    with _failures(output):
        build_report(corpus, output, seed)


@app.command("list")
def list_command(
    inputs: Annotated[
        list[str], typer.Argument(help="Folders (read recursively) or files.", metavar="INPUT")
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write the listing here, only when it changed (for make)."
        ),
    ] = None,
    follow_symlinks: FollowSymlinks = False,
) -> None:
    """List the files a clean of INPUTS would find: size, modification time, name."""
    from cleaner.atomic import write_if_changed

    with _failures(output or Path("-")):
        found = listing(inputs, follow_symlinks)
        if output is None:
            sys.stdout.write(found)
        else:
            write_if_changed(output, found)


@app.command("fix")
def fix_command(
    file: Annotated[
        str,
        typer.Argument(
            help="One article or web page, or JSON Lines (.jsonl, .json: one document per "
            "record); .gz, .bz2, .xz, .zst read transparently; - for stdin."
        ),
    ] = STDIN,
    stdin_format: StdinFormatOption = StdinFormat.txt,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Say on stderr what was removed, and why.")
    ] = False,
    threshold: Threshold = DEFAULTS.threshold,
    shingle_size: ShingleSize = DEFAULTS.shingle_size,
    containment: Containment = DEFAULTS.containment,
    min_words: MinWords = DEFAULTS.min_words,
) -> None:
    """Print an article's repaired, de-duplicated paragraphs, separated by blank lines; of
    JSON Lines, a feed or a table, one {"id", "text"} record per document."""
    dedup = DedupOptions(
        threshold=threshold, shingle_size=shingle_size, containment=containment, min_words=min_words
    )
    options = Options(dedup=dedup, stdin_format=stdin_format.value)
    many = file_kind(file, options)[0] in ("records", "json", "feed", "table")  # a record each
    try:
        found = clean_file(file, options)
    except InputError as exc:
        _fail(str(exc), 2)
    except Rejected as exc:
        _fail(f"{file}: {exc.reason}: {exc.detail}", 1)
    # On a terminal the text is shown, not obeyed; in a pipe it is the product, as it is.
    show = shown if sys.stdout.isatty() else str
    for item in found:
        if isinstance(item, Rejected):
            if many:
                _say(f"{file}#{item.key}: {item.reason}: {item.detail}")
            elif item.reason != "empty":  # an empty article prints nothing
                _fail(f"{file}: {item.reason}: {item.detail}", 1)
            continue
        if verbose:
            for r in item.removed:
                what = f"in {r.repeats_doc}" if r.repeats_doc else f"[{r.repeats_index}]"
                _say(
                    f"{item.doc_id}: removed [{r.index}] {r.reason}, repeats {what} "
                    f"(Jaccard {r.similarity:.3f}): {r.paragraph}"
                )
        if many:
            key = item.doc_id.removeprefix(f"{file}#")
            record = json.dumps({"id": key, "text": item.text}, ensure_ascii=False)
            sys.stdout.write(show(record) + "\n")
        elif item.paragraphs:
            sys.stdout.write("\n\n".join(map(show, item.paragraphs)) + "\n")


def main() -> None:
    app(prog_name="cleaner")
