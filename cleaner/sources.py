"""Sources: find the input files and read their bytes.

A folder is walked recursively and its files sorted, so document order is the same on every
run and every machine. ``.txt``/``.md`` files hold one article, ``.jsonl``/``.json`` hold
records; a ``.gz`` suffix on any of them is read transparently. Other files are *skipped*
(counted and listed in the summary, never silently ignored). ``-`` is standard input.
"""

from __future__ import annotations

import gzip
import io
import os
import sys
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from cleaner.document import Rejected

ARTICLE_SUFFIXES = (".txt", ".md")
RECORD_SUFFIXES = (".jsonl", ".json")
STDIN = "-"


@dataclass(frozen=True)
class Source:
    """One input file: where it is, how to name it, and how to read it."""

    path: str  # filesystem path, or "-" for standard input
    name: str  # path relative to its input root (POSIX separators); used in doc_id
    kind: str  # "article" or "records"
    gzipped: bool = False
    payload: bytes | None = None  # standard input, read by the parent (workers have no stdin)


@dataclass(frozen=True)
class Discovery:
    sources: list[Source]
    skipped: list[str]  # files with a suffix we do not read


class InputError(Exception):
    """An input named on the command line does not exist (a usage error, not a reject)."""


def classify(filename: str) -> tuple[str, bool] | None:
    """Return (kind, gzipped) for a file name, or None when it is not a format we read.

    >>> classify("news/a.jsonl.gz")
    ('records', True)
    """
    lower = filename.lower()
    gzipped = lower.endswith(".gz")
    if gzipped:
        lower = lower[:-3]
    if lower.endswith(ARTICLE_SUFFIXES):
        return "article", gzipped
    if lower.endswith(RECORD_SUFFIXES):
        return "records", gzipped
    return None


def discover(inputs: Sequence[str], stdin_kind: str = "article") -> Discovery:
    """Expand files, folders (recursively) and ``-`` into an ordered list of sources."""
    sources: list[Source] = []
    skipped: list[str] = []
    for item in inputs:
        if item == STDIN:
            sources.append(Source(STDIN, STDIN, stdin_kind))
            continue
        path = Path(item)
        if path.is_dir():
            root = path
            files = sorted(_walk(path))
        elif path.exists() or path.is_symlink():
            root = path.parent
            files = [path]
        else:
            raise InputError(f"input not found: {item}")
        for file in files:
            name = file.relative_to(root).as_posix() if file != root else file.name
            found = classify(file.name)
            if found is None:
                skipped.append(str(file))
            else:
                sources.append(Source(str(file), name, found[0], found[1]))
    return Discovery(sources, skipped)


def _walk(folder: Path) -> Iterable[Path]:
    # os.walk does not follow symlinked folders, so a symlink loop cannot trap it.
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for filename in filenames:
            yield Path(dirpath, filename)


def read_stdin(source: Source, max_bytes: int) -> Source:
    """Read standard input into the source, so that any process can handle it."""
    if source.path != STDIN or source.payload is not None:
        return source
    return replace(source, payload=sys.stdin.buffer.read(max_bytes + 1))


def read_bytes(source: Source, max_bytes: int) -> bytes:
    """Read a source's bytes, decompressed, refusing more than ``max_bytes``."""
    try:
        if source.payload is not None:
            stream: IO[bytes] = io.BytesIO(source.payload)
        else:
            stream = open(source.path, "rb")  # noqa: SIM115 - closed below, gzip or not
        with stream, gzip.GzipFile(fileobj=stream) if source.gzipped else stream as handle:
            data = handle.read(max_bytes + 1)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise Rejected("bad_gzip", str(exc) or type(exc).__name__) from None
    except OSError as exc:
        raise Rejected("unreadable", exc.strerror or str(exc)) from None
    if len(data) > max_bytes:
        raise Rejected("too_large", f"more than {max_bytes} bytes (see --max-bytes)")
    return data
