"""Speed on web pages: pages per second for HTML and records per second for WARC.

The pages are the real ones of ``../shared/data`` (``fundus_eval_news_html`` and the cached
pages of ``trafilatura_eval_html``), copied to a temporary folder, and packed into a
``.warc.gz`` (each page a response record after its request record) and an uncompressed
``.warc``. Measured, each in one process:

- the baseline a user would write: ``trafilatura.extract`` on each page's bytes, in a loop
  (for the WARC, the same loop over FastWARC's records);
- ``cleaner clean --scope document`` on the page folder and on the WARC, with 1 and 2 workers
  (a WARC is read by one worker: its figure is the same with 2);
- the WARC readers alone, FastWARC against warcio (when installed: ``make bench`` installs
  it), iterating the response records and reading their bodies.

Needs ``../shared/data``; without it, says so and exits 0.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import io
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from rich.console import Console
from rich.table import Table

from bench import shared_data
from tests import warcs

SETS = (("fundus_eval_news_html", "html"), ("trafilatura_eval_html", "cache"))


def pages(root: Path) -> list[tuple[str, bytes]]:
    found = []
    for name, folder in SETS:
        for path in sorted((root / name / folder).glob("*.htm*")):
            data = path.read_bytes()
            found.append(
                (
                    path.name.removesuffix(".gz"),
                    gzip.decompress(data) if path.suffix == ".gz" else data,
                )
            )
    return found


class Timing(NamedTuple):
    wall: float  # seconds
    cpu: float  # CPU seconds, of this process or of the child (all its workers)


def best_of(rounds: int, work: Callable[[], object]) -> Timing:
    """The fastest of some rounds by the clock, with its CPU time: the machine is shared,
    and the CPU time is what its load changes least."""
    found = []
    for _ in range(rounds):
        started, cpu = time.perf_counter(), time.process_time()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        work()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        child = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
        found.append(Timing(time.perf_counter() - started, time.process_time() - cpu + child))
    return min(found)


def plain_pages(found: Sequence[tuple[str, bytes]]) -> None:
    import trafilatura

    for _, data in found:
        trafilatura.extract(data)


def plain_warc(path: Path) -> None:
    import trafilatura
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    with path.open("rb") as stream:
        for record in ArchiveIterator(stream, record_types=WarcRecordType.response):
            trafilatura.extract(record.reader.read())


def read_fastwarc(data: bytes) -> int:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    n = 0
    for record in ArchiveIterator(io.BytesIO(data), record_types=WarcRecordType.response):
        record.reader.read()
        n += 1
    return n


def read_warcio(data: bytes) -> int:
    from warcio.archiveiterator import ArchiveIterator

    n = 0
    for record in ArchiveIterator(io.BytesIO(data)):
        if record.rec_type == "response":
            record.content_stream().read()
            n += 1
    return n


def cleaner_run(inputs: Path, out: Path, workers: int) -> None:
    """``cleaner clean`` as a process of its own, as a user runs it."""
    command = [sys.executable, "-m", "cleaner", "clean", str(inputs), "-o", str(out)]
    subprocess.run([*command, "-q", "-j", str(workers), "--scope", "document"], check=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=1, help="rounds of each measure (best)")
    args = parser.parse_args(argv)
    console = Console(width=None)
    root = shared_data.data_dir()
    if not all((root / name).is_dir() for name, _ in SETS):
        print(f"HTML speed skipped: {', '.join(n for n, _ in SETS)} not found in {root}")
        return 0
    found = pages(root)
    with tempfile.TemporaryDirectory(prefix="cleaner-speed-html-") as name:
        tmp = Path(name)
        folder = tmp / "pages"
        folder.mkdir()
        for page_name, data in found:
            (folder / page_name).write_bytes(data)
        records = []
        for page_name, data in found:
            uri = f"https://pages.example/{page_name}"
            records += [warcs.request(uri), warcs.response(uri, data)]
        plain = b"".join(records)
        (tmp / "pages.warc").write_bytes(plain)
        (tmp / "pages.warc.gz").write_bytes(warcs.gzipped(records))
        mb = sum(len(data) for _, data in found) / 1e6
        n = len(found)
        console.print(f"{n} pages, {mb:.1f} MB of HTML; WARC {len(plain) / 1e6:.1f} MB")

        table = Table(title="pages/s (HTML) and records/s (WARC); CPU: all processes")
        columns = ("what", "input", "seconds", "per second", "CPU s", "per CPU s", "vs loop (CPU)")
        for column in columns:
            table.add_column(column, justify="left" if column in ("what", "input") else "right")
        warc = tmp / "pages.warc.gz"
        out = tmp / "out.parquet"
        runs = [
            ("trafilatura.extract loop", "pages", lambda: plain_pages(found)),
            ("cleaner clean -j 1", "pages", lambda: cleaner_run(folder, out, 1)),
            ("cleaner clean -j 2", "pages", lambda: cleaner_run(folder, out, 2)),
            ("FastWARC + trafilatura.extract loop", "WARC records", lambda: plain_warc(warc)),
            ("cleaner clean -j 1", "WARC records", lambda: cleaner_run(warc, out, 1)),
        ]
        base = None
        for what, unit, work in runs:
            timing = best_of(args.rounds, work)
            if what.endswith("loop"):
                base = timing
            assert base is not None
            table.add_row(
                what,
                unit,
                f"{timing.wall:.1f}",
                f"{n / timing.wall:.1f}",
                f"{timing.cpu:.1f}",
                f"{n / timing.cpu:.1f}",
                f"{base.cpu / timing.cpu:.2f}x",
            )
        console.print(table)

        readers = Table(title="WARC readers alone: response records read per second")
        for column in ("reader", ".warc", ".warc.gz"):
            readers.add_column(column, justify="left" if column == "reader" else "right")
        gz = warc.read_bytes()
        candidates: list[tuple[str, Callable[[bytes], int]]] = [("FastWARC", read_fastwarc)]
        if importlib.util.find_spec("warcio") is not None:
            candidates.append(("warcio", read_warcio))
        for reader_name, read in candidates:
            rates = [
                n / best_of(max(3, args.rounds), lambda d=d, r=read: r(d)).wall for d in (plain, gz)
            ]
            readers.add_row(reader_name, *(f"{rate:,.0f}" for rate in rates))
        console.print(readers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
