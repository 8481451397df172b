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
``--keep newest``), and a folder built twice would otherwise differ there. The commands run in
the work folder with relative paths, since the metadata records ``--against`` as given. No
output records when it was written (the metadata holds the version and the options), so the
file's bytes are hashed whole. Beside that hash a line carries two more, of the table's rows
(read with pyarrow, without metadata) and of its key-value metadata, so that a difference can
be told apart: the rows, the metadata (a new option recorded), or only the Parquet encoding;
the manifest ends with each metadata in full, so that a comparison names the keys that differ.
The first line hashes the workload itself: two manifests of different workloads are not
compared.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from bench import shared_data
from bench.workload import SEED, build_workload

# Any fixed time will do; this one is 2023-11-14, later than every date the corpora hold.
MTIME = 1_700_000_000
WORKLOAD = "workload"
METADATA = "metadata"
METADATA_KEY = b"cleaner"  # the key of cleaner's own record in a Parquet file's metadata


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


def readable(metadata: dict[bytes, bytes]) -> dict[str, Any]:
    """A file's key-value metadata as JSON: cleaner's own record parsed, any other value (the
    Arrow schema) by its sha256."""
    return {
        key.decode(): json.loads(value)
        if key == METADATA_KEY
        else hashlib.sha256(value).hexdigest()[:16]
        for key, value in metadata.items()
    }


def table_hashes(path: Path) -> tuple[str, dict[str, Any]]:
    """(sha256 of the rows, :func:`readable` metadata) of a Parquet file.

    The rows as one Arrow IPC stream of the table with its chunks combined and its metadata
    dropped: the same rows in other row groups hash the same.
    """
    table = pq.read_table(path)
    sink = pa.BufferOutputStream()
    rows = table.replace_schema_metadata(None).combine_chunks()
    with pa.ipc.new_stream(sink, rows.schema) as writer:
        writer.write_table(rows)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest(), readable(
        table.schema.metadata or {}
    )


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def manifest_lines(runs: Path) -> list[str]:
    """``<sha256>  <configuration>/<file>  rows=<sha256>  metadata=<sha256>`` per output file,
    then ``<sha256>  metadata  <JSON>`` for each metadata they hold, to say what differs."""
    lines, metadata = [], {}
    for path in sorted(runs.glob("*/*.parquet")):
        rows, record = table_hashes(path)
        text = canonical(record)
        digest = hashlib.sha256(text.encode()).hexdigest()
        metadata[digest] = text
        name = path.relative_to(runs).as_posix()
        lines.append(f"{file_hash(path)}  {name}  rows={rows}  metadata={digest}")
    return [*lines, *(f"{digest}  {METADATA}  {text}" for digest, text in metadata.items())]


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
            # Paths relative to the work folder: an output records its --against as given.
            relative = [shard.relative_to(work) for shard in shards]
            line = command_line(args.cleaner.resolve(), configuration, relative, Path("runs"))
            began = time.perf_counter()
            done = subprocess.run(line, check=False, cwd=work)
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


@dataclass
class Manifest:
    files: dict[str, list[str]]  # name -> the other fields of its line (the file's hash first)
    metadata: dict[str, Any]  # metadata=<sha256> -> the metadata


def read_manifest(path: Path) -> Manifest:
    manifest = Manifest({}, {})
    for line in path.read_text(encoding="utf-8").splitlines():
        digest, name, rest = line.split("  ", 2)
        if name == METADATA:
            manifest.metadata[f"metadata={digest}"] = json.loads(rest)
        else:
            manifest.files[name] = [digest, *rest.split("  ")]
    return manifest


def flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested objects as one level of dotted keys.

    >>> flat({"cleaner": {"options": {"scope": "corpus"}, "version": "1"}})
    {'cleaner.options.scope': 'corpus', 'cleaner.version': '1'}
    """
    if not isinstance(value, dict):
        return {prefix: value}
    inner = (flat(item, f"{prefix}.{key}" if prefix else key) for key, item in value.items())
    return {key: item for found in inner for key, item in found.items()}


def changed_keys(ours: Any, theirs: Any, shown: int = 4) -> str:
    """The metadata keys two files disagree on, with this side's value and the other's.

    >>> changed_keys({"o": {"a": 1, "b": 2}}, {"o": {"a": 1, "c": 3}})
    'o.b 2 / absent, o.c absent / 3'
    """
    mine, other = flat(ours), flat(theirs)
    keys = sorted(k for k in mine.keys() | other.keys() if mine.get(k, ...) != other.get(k, ...))
    told = [
        f"{key} {canonical(mine[key]) if key in mine else 'absent'} / "
        f"{canonical(other[key]) if key in other else 'absent'}"
        for key in keys[:shown]
    ]
    return ", ".join(told) + (f" and {len(keys) - shown} more" if len(keys) > shown else "")


def differences(ours: Manifest, theirs: Manifest) -> list[str]:
    """One line per output file that differs, saying what differs in it.

    >>> a = Manifest({"x/c.parquet": ["1", "rows=r", "metadata=m"]}, {"metadata=m": {"v": 1}})
    >>> b = Manifest({"x/c.parquet": ["2", "rows=r", "metadata=n"]}, {"metadata=n": {"v": 2}})
    >>> differences(a, b)
    ['x/c.parquet: the metadata differs (v 1 / 2), the rows are the same']
    >>> differences(a, Manifest({}, {}))
    ['x/c.parquet: only in this manifest']
    """
    found = []
    for name in sorted(ours.files.keys() | theirs.files.keys()):
        if name not in theirs.files or name not in ours.files:
            side = "this" if name in ours.files else "the other"
            found.append(f"{name}: only in {side} manifest")
            continue
        (digest, *parts), (other, *other_parts) = ours.files[name], theirs.files[name]
        if digest == other:
            continue
        changed = [p.split("=")[0] for p, q in zip(parts, other_parts, strict=True) if p != q]
        meta, other_meta = parts[-1], other_parts[-1]
        detail = ""
        if "metadata" in changed and meta in ours.metadata and other_meta in theirs.metadata:
            detail = f" ({changed_keys(ours.metadata[meta], theirs.metadata[other_meta])})"
        if not changed:
            found.append(f"{name}: the bytes differ, the rows and the metadata are the same")
        elif changed == ["metadata"]:
            found.append(f"{name}: the metadata differs{detail}, the rows are the same")
        else:
            found.append(f"{name}: {' and '.join(changed)} differ{detail}")
    return found


def compare(path: Path, other: Path) -> int:
    ours, theirs = read_manifest(path), read_manifest(other)
    if ours.files.get(WORKLOAD) != theirs.files.get(WORKLOAD):
        print(f"{path} and {other} hash different workloads (--mb or --seed): not comparable")
        return 1
    found = differences(ours, theirs)
    for line in found:
        print(line)
    same = len(ours.files.keys() - {WORKLOAD}) - len(found)
    print(f"{len(found)} output files differ, {same} are byte-identical")
    return 1 if found else 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--manifest", type=Path, required=True, help="write the hashes here")
    parser.add_argument(
        "--compare", type=Path, help="compare with this manifest; exit 1 if any file differs"
    )
    parser.add_argument("--mb", type=float, default=200.0, help="workload size, MB (default 200)")
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
