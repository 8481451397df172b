"""``make identical``: every output file of every way of running ``cleaner``, hashed.

Builds the ``make bench`` workload (:mod:`bench.workload`; ``--mb`` for a smaller one), runs
the installed ``cleaner`` command on it in each configuration below, and writes one line per
output file (corpus, rejects, index) with its sha256 to ``--manifest``. Run it before and after
a change with the same ``--mb`` and ``--seed``; ``--compare`` against the other manifest
prints each file that differs and exits 1 if any does. It calls the command line only (or
the one ``--cleaner`` names), never the library, so one copy of this script can judge any
two versions.

The configurations, each in a folder of its own:

- ``document-j1``, ``document-j2``: ``clean SHARDS... --scope document -j 1`` and ``-j 2``;
- ``corpus-j1``, ``corpus-j2``: the same with the default ``--scope corpus``;
- ``first-half``: the first half of the shards, ``-j 2``;
- ``second-half``: the other half on its own, ``-j 2``;
- ``second-half-against``: the other half ``--against first-half/corpus.parquet``;
- ``merge``: ``merge first-half/corpus.parquet second-half/corpus.parquet``.

Every file of the workload gets one fixed modification time: the index records it (for
``--keep newest``), and a folder built twice would otherwise differ there. No output records
when it was written (the metadata holds the version and the options), so the file's bytes are
hashed whole. Beside that hash a line carries two more, of the table's rows (read with pyarrow,
without metadata) and of its key-value metadata, so that a difference can be told apart: the
rows, the metadata (a new option recorded), or only the Parquet encoding. The first line of a
manifest hashes the workload itself: two manifests of different workloads are not compared.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from bench import shared_data
from bench.workload import SEED, build_workload

# Any fixed time will do; this one is 2023-11-14, later than every date the corpora hold.
MTIME = 1_700_000_000
WORKLOAD = "workload"


@dataclass(frozen=True)
class Configuration:
    name: str
    command: tuple[str, ...]  # after the cleaner executable; {first}/{second}: shard halves


CONFIGURATIONS = (
    Configuration("document-j1", ("clean", "{all}", "--scope", "document", "-j", "1")),
    Configuration("document-j2", ("clean", "{all}", "--scope", "document", "-j", "2")),
    Configuration("corpus-j1", ("clean", "{all}", "-j", "1")),
    Configuration("corpus-j2", ("clean", "{all}", "-j", "2")),
    Configuration("first-half", ("clean", "{first}", "-j", "2")),
    Configuration("second-half", ("clean", "{second}", "-j", "2")),
    Configuration(
        "second-half-against",
        ("clean", "{second}", "--against", "{runs}/first-half/corpus.parquet", "-j", "2"),
    ),
    Configuration(
        "merge",
        ("merge", "{runs}/first-half/corpus.parquet", "{runs}/second-half/corpus.parquet"),
    ),
)


def command_line(
    cleaner: Path, configuration: Configuration, shards: Sequence[Path], runs: Path
) -> list[str]:
    """The command of one configuration, its corpus written to ``runs/<name>/corpus.parquet``.

    >>> c = Configuration("x", ("clean", "{first}", "--against", "{runs}/a.parquet"))
    >>> command_line(Path("cleaner"), c, [Path("s0"), Path("s1")], Path("r"))
    ['cleaner', 'clean', 's0', '--against', 'r/a.parquet', '-o', 'r/x/corpus.parquet', '-q']
    """
    half = len(shards) // 2
    parts = {
        "{all}": shards,
        "{first}": shards[:half],
        "{second}": shards[half:],
    }
    line = [str(cleaner)]
    for word in configuration.command:
        if word in parts:
            line += map(str, parts[word])
        else:
            line.append(word.replace("{runs}", str(runs)))
    return [*line, "-o", str(runs / configuration.name / "corpus.parquet"), "-q"]


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def workload_hash(folder: Path) -> tuple[str, int, int]:
    """(sha256 over every file's name and bytes in name order, files, bytes)."""
    digest = hashlib.sha256()
    files = size = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        digest.update(f"{path.relative_to(folder).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
        files += 1
        size += len(data)
    return digest.hexdigest(), files, size


def table_hashes(path: Path) -> tuple[str, str]:
    """(sha256 of the rows, sha256 of the key-value metadata) of a Parquet file.

    The rows as one Arrow IPC stream of the table with its chunks combined and its metadata
    dropped: the same rows in other row groups hash the same.
    """
    table = pq.read_table(path)
    metadata = table.schema.metadata or {}
    sink = pa.BufferOutputStream()
    rows = table.replace_schema_metadata(None).combine_chunks()
    with pa.ipc.new_stream(sink, rows.schema) as writer:
        writer.write_table(rows)
    meta = hashlib.sha256()
    for key in sorted(metadata):
        meta.update(key + b"\0" + metadata[key] + b"\0")
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest(), meta.hexdigest()


def manifest_lines(runs: Path) -> list[str]:
    """``<sha256>  <configuration>/<file>  rows=<sha256>  metadata=<sha256>`` per output file."""
    lines = []
    for path in sorted(runs.glob("*/*.parquet")):
        rows, metadata = table_hashes(path)
        name = path.relative_to(runs).as_posix()
        lines.append(f"{file_hash(path)}  {name}  rows={rows}  metadata={metadata}")
    return lines


def write_atomic(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def run(args: argparse.Namespace) -> int:
    work = args.keep or Path(tempfile.mkdtemp(prefix="cleaner-identical-"))
    try:
        started = time.perf_counter()
        folder = work / WORKLOAD
        if folder.exists():
            shutil.rmtree(folder)
        n_files, n_bytes = build_workload(folder, args.mb, args.seed)
        for path in folder.rglob("*"):
            os.utime(path, (MTIME, MTIME))
        digest, _, _ = workload_hash(folder)
        print(
            f"workload: {n_files:,} files, {n_bytes / 1e6:,.1f} MB, built in "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )
        shards = sorted(folder.iterdir())
        runs = work / "runs"
        for configuration in CONFIGURATIONS:
            out = runs / configuration.name
            if out.exists():
                shutil.rmtree(out)
            out.mkdir(parents=True)
            line = command_line(args.cleaner, configuration, shards, runs)
            began = time.perf_counter()
            done = subprocess.run(line, check=False)
            if done.returncode != 0:
                print(f"{configuration.name}: cleaner exited {done.returncode}", file=sys.stderr)
                return 2
            print(f"{configuration.name}: {time.perf_counter() - began:.1f} s", flush=True)
        header = f"{digest}  {WORKLOAD}  files={n_files}  bytes={n_bytes}  mb={args.mb}"
        write_atomic(args.manifest, "\n".join([header, *manifest_lines(runs)]) + "\n")
        print(f"manifest: {args.manifest}; took {time.perf_counter() - started:.0f} s")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def read_manifest(path: Path) -> dict[str, list[str]]:
    """Name -> the other fields of its line (the file's hash first)."""
    entries = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        digest, name, *rest = line.split("  ")
        entries[name] = [digest, *rest]
    return entries


def differences(ours: dict[str, list[str]], theirs: dict[str, list[str]]) -> list[str]:
    """One line per output file that differs, saying what differs in it.

    >>> a = {"x/corpus.parquet": ["1", "rows=r", "metadata=m"]}
    >>> differences(a, {"x/corpus.parquet": ["2", "rows=r", "metadata=n"]})
    ['x/corpus.parquet: the metadata differs, the rows are the same']
    >>> differences(a, {})
    ['x/corpus.parquet: only in this manifest']
    """
    found = []
    for name in sorted(ours.keys() | theirs.keys()):
        if name not in theirs or name not in ours:
            side = "this" if name in ours else "the other"
            found.append(f"{name}: only in {side} manifest")
            continue
        (digest, *parts), (other, *other_parts) = ours[name], theirs[name]
        if digest == other:
            continue
        changed = [p.split("=")[0] for p, q in zip(parts, other_parts, strict=True) if p != q]
        if not changed:
            found.append(f"{name}: the bytes differ, the rows and the metadata are the same")
        elif changed == ["metadata"]:
            found.append(f"{name}: the metadata differs, the rows are the same")
        else:
            found.append(f"{name}: {' and '.join(changed)} differ")
    return found


def compare(path: Path, other: Path) -> int:
    ours, theirs = read_manifest(path), read_manifest(other)
    if ours.get(WORKLOAD) != theirs.get(WORKLOAD):
        print(f"{path} and {other} hash different workloads (--mb or --seed): not comparable")
        return 1
    found = differences(ours, theirs)
    for line in found:
        print(line)
    same = len(ours.keys() - {WORKLOAD}) - len(found)
    print(f"{len(found)} output files differ, {same} are byte-identical")
    return 1 if found else 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--manifest", type=Path, required=True, help="write the hashes here")
    parser.add_argument(
        "--compare", type=Path, help="compare with this manifest; exit 1 if any file differs"
    )
    parser.add_argument(
        "--mb", type=float, default=200.0, help="workload size, MB (default 200, as make bench)"
    )
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the workload")
    parser.add_argument(
        "--cleaner",
        type=Path,
        default=Path(sys.executable).with_name("cleaner"),
        help="the cleaner command to run (default: the one beside this Python)",
    )
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument(
        "--compare-only",
        action="store_true",
        help="compare --manifest with --compare without running anything",
    )
    args = parser.parse_args(argv)
    if args.compare_only and not args.compare:
        parser.error("--compare-only needs --compare")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.compare_only:
        if not shared_data.available():
            print(f"make identical: skipped, {shared_data.missing_message()}")
            return 0
        status = run(args)
        if status:
            return status
    return compare(args.manifest, args.compare) if args.compare else 0


if __name__ == "__main__":
    raise SystemExit(main())
