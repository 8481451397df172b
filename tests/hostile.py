"""Folders that a scraper might leave behind, built by the robustness tests in a temporary place.

:func:`build_hostile` makes one file (or link, or folder) per kind of damage and records what
the cleaner must make of each: a document, a reject with a given reason, or a skip.
:func:`build_news` makes plain, healthy articles, many of them, for runs that must last long
enough to be interrupted.
"""

from __future__ import annotations

import codecs
import ctypes
import gzip
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.packed import REASON, SUFFIXES, bomb, pack

DOCUMENT = "document"
CASES = Path(__file__).resolve().parent / "cases"
FEED = "json/feed.jsonl"
_VOCABULARY = """
the council said on monday that the budget for the new metro line would rise by about a third
after engineers found the tunnels under the river needed more work than planned officials told
reporters prices rose shares fell markets trading week minister city
"""
WORDS = _VOCABULARY.split()


def article(rng: random.Random, paragraphs: int = 5) -> str:
    """A plausible article: sentences of common words, its lead repeated as scrapers do."""
    paras = [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 60))).capitalize() + "."
        for _ in range(paragraphs)
    ]
    return "\n\n".join([paras[0], *paras]) + "\n"


@dataclass
class Hostile:
    """A hostile folder and what the cleaner must make of it."""

    root: Path
    # The name (as stored: the root's name and the path in it) of every input that must come
    # out as a document or a reject; JSON files appear once per record, as ``name#key``.
    expected: dict[str, str] = field(default_factory=dict)
    unsure: set[str] = field(default_factory=set)  # names whose fate is not fixed (random bytes)
    skipped: int = 0
    kinds: list[str] = field(default_factory=list)
    deep: Path | None = None

    def add(self, kind: str, name: str, outcome: str | None) -> None:
        """``name``: the path in the root, as stored."""
        name = f"{self.root.name}/{name}"
        if kind not in self.kinds:
            self.kinds.append(kind)
        if outcome is None:
            self.unsure.add(name)
        else:
            self.expected[name] = outcome

    def put(self, name: bytes | str, data: bytes) -> Path:
        path = self.root / os.fsdecode(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def write(self, kind: str, name: bytes | str, data: bytes, outcome: str | None) -> Path:
        path = self.put(name, data)
        self.add(kind, stored(path.relative_to(self.root)), outcome)
        return path

    def skip(self, kind: str, name: str, data: bytes) -> None:
        """A file of a format the cleaner does not read: an ``unsupported`` reject."""
        self.write(kind, name, data, "unsupported")
        self.skipped += 1

    @property
    def files(self) -> int:
        """How many inputs were tried: expected or unsure outcomes."""
        return len(
            {n.split("#")[0] for n in self.expected} | {n.split("#")[0] for n in self.unsure}
        )


def stored(path: Path) -> str:
    r"""The name the cleaner must store for a path: bytes that are not UTF-8 as ``\xNN``.

    Spelled out byte by byte here, independently of how the cleaner does it.
    """
    raw = os.fsencode(path.as_posix())
    out, i = [], 0
    while i < len(raw):
        for size in (4, 3, 2, 1):
            try:
                out.append(raw[i : i + size].decode("utf-8"))
            except UnicodeDecodeError:
                continue
            i += size
            break
        else:
            out.append(f"\\x{raw[i]:02x}")
            i += 1
    return "".join(out)


def build_hostile(
    root: Path,
    *,
    tiny_files: int,
    long_line_bytes: int,
    bomb_bytes: int,
    max_file_bytes: int,
    max_paragraphs: int,
    permissions_enforced: bool,
    seed: int = 7,
) -> Hostile:
    """Write one of each kind of damage under ``root``; see the module docstring."""
    rng = random.Random(seed)
    h = Hostile(root)
    root.mkdir(parents=True, exist_ok=True)
    good = article(rng).encode()

    for n in range(12):
        size = rng.choice([1, 7, 100, 4096, 65536])
        data = rng.randbytes(size)
        suffix = rng.choice([".txt", ".md", ".jsonl", ".json"])
        h.write("random binary files", f"random/{n:02d}{suffix}", data, None)
        h.write("random binary files", f"random/{n:02d}{suffix}.gz", b"\x00" + data, "bad_gzip")
    h.skip("random binary files", "random/blob.bin", rng.randbytes(1000))

    russian = ("Городские власти сообщили о запуске новой линии метро. " * 30).encode()
    h.write("truncated UTF-8", "encodings/truncated_utf8.txt", russian[:-3], DOCUMENT)
    text = article(rng)
    for name, data in {
        "utf16le_bom.txt": codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
        "utf16be_bom.txt": codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
        "utf16le_no_bom.txt": text.encode("utf-16-le"),
        "utf16be_no_bom.txt": text.encode("utf-16-be"),
    }.items():
        h.write("UTF-16 with and without BOM", f"encodings/{name}", data, DOCUMENT)
    h.write(
        "UTF-16 with and without BOM",
        "encodings/utf16_odd_length.txt",
        text.encode("utf-16")[:-1],
        None,
    )
    h.write("cp1251", "encodings/cp1251.txt", russian.decode().encode("cp1251"), DOCUMENT)

    sparse = bytearray(good)
    for at in sorted(rng.sample(range(len(sparse)), 3), reverse=True):
        sparse[at:at] = b"\x00"
    h.write("NUL bytes inside text", "nul/stray_nuls.txt", bytes(sparse), DOCUMENT)
    h.write("NUL bytes inside text", "nul/nul_padded_tail.txt", good[:200] + bytes(4096), "binary")

    line = b" ".join(rng.choice(WORDS).encode() for _ in range(1000))
    body = (line + b" ") * (long_line_bytes // (len(line) + 1) + 1)
    h.write("a long file without a newline", "long/one_line.txt", body[:long_line_bytes], DOCUMENT)

    for n in range(tiny_files):
        name = f"tiny/{n // 1000:03d}/{n:06d}.txt"
        h.write("many tiny files", name, f"Item {n}.".encode(), DOCUMENT)

    h.deep = root / "deep"
    nested = h.deep
    nested.mkdir()
    for _ in range(1200):  # deeper than Python's recursion limit
        nested = nested / "d"
        nested.mkdir()
    h.write("deep nesting", (nested / "bottom.txt").relative_to(root).as_posix(), good, DOCUMENT)

    links = root / "links"
    links.mkdir()
    (links / "loop_a.txt").symlink_to("loop_b.txt")
    (links / "loop_b.txt").symlink_to("loop_a.txt")
    (links / "self.txt").symlink_to("self.txt")
    (links / "dangling.txt").symlink_to("nowhere/at/all.txt")
    for name in ("loop_a.txt", "loop_b.txt", "self.txt", "dangling.txt"):
        h.add("symlink loops and dangling links", f"links/{name}", "unreadable")
    # Links to what is read under its own name: not followed (no loop, nothing read twice).
    (links / "to_file.txt").symlink_to("../encodings/cp1251.txt")
    (links / "up").symlink_to("..")
    (links / "encodings.txt").symlink_to("../encodings")
    for name in ("to_file.txt", "up", "encodings.txt"):
        h.add("symlinks inside the folder", f"links/{name}", "link_inside_input")

    os.mkfifo(root / "named_pipe.txt")
    h.add("a named pipe", "named_pipe.txt", "unreadable")

    kind = "no read permission"
    h.write(kind, "locked/locked.txt", good, "unreadable" if permissions_enforced else DOCUMENT)
    (h.root / "locked/locked.txt").chmod(0)
    h.put("locked/folder/inside.txt", good).parent.chmod(0)
    if permissions_enforced:
        h.add(kind, "locked/folder", "unreadable")  # the folder is the reject: it cannot be read
    else:
        h.add(kind, "locked/folder/inside.txt", DOCUMENT)

    for raw in (
        b"names/with spaces  twice.txt",
        b"names/new\nline.txt",
        b"names/tab\tand\rreturn.md",
        b"names/bad\xffbyte.txt",
        b"names/latin1 caf\xe9.txt",
        b"names/-starts-with-dash.txt",
        "names/Ёжик ümlaut.txt".encode(),
        b"names/\xe2\x80\xae right-to-left override.txt",
    ):
        h.write("file names with spaces, newlines and invalid UTF-8", raw, good, DOCUMENT)
    h.skip("file names with spaces, newlines and invalid UTF-8", "names/skip\nme.docx", b"a,b\n")

    for suffix in SUFFIXES:  # gzip, bzip2, xz, lzma, zstd
        packed = pack(suffix, good)
        cut, fine, bombed = (
            f"compressed/{what}.txt{suffix}" for what in ("truncated", "fine", "bomb")
        )
        h.write("truncated gzip, bzip2, xz, zstd", cut, packed[: len(packed) // 2], REASON[suffix])
        h.write("truncated gzip, bzip2, xz, zstd", fine, packed, DOCUMENT)
        h.write(
            "gzip bomb, and bzip2, xz, zstd",
            bombed,
            bomb(suffix, bomb_bytes),
            "too_large_decompressed",
        )

    big = root / "limits" / "sparse_too_large.txt"
    big.parent.mkdir()
    with big.open("wb") as handle:
        handle.truncate(max_file_bytes + 1)  # sparse: costs no disk
    h.add("over the size limit", "limits/sparse_too_large.txt", "too_large")
    many = "\n".join(f"Line {n} of a log." for n in range(max_paragraphs + 1))
    h.write("too many paragraphs", "limits/log.txt", many.encode(), "too_many_paragraphs")
    _web(h, good.decode(), bomb_bytes)
    _archives(h, good, bomb_bytes, max_file_bytes)
    write_cases(h)
    return h


class _Zeros(io.RawIOBase):
    """``size`` zero bytes, read as a file: a bomb's content, never held whole."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


def _archives(h: Hostile, good: bytes, bomb_bytes: int, max_file_bytes: int) -> None:
    """Zip and tar archives: bombs, a member named out of the archive, damage, nesting."""
    kind = "archives: zip and tar.gz bombs, names out of the archive, cut short, nested"
    (h.root / "archives").mkdir()
    with zipfile.ZipFile(h.root / "archives/bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.txt", good)
        with archive.open("bomb.txt", "w", force_zip64=True) as member:
            shutil.copyfileobj(_Zeros(bomb_bytes), member, 1 << 20)
    h.add(kind, "archives/bomb.zip/a.txt", DOCUMENT)
    if bomb_bytes > max_file_bytes:  # its size says so: not read
        h.add(kind, "archives/bomb.zip/bomb.txt", "too_large")
    else:  # within the file limit, over the archive's expansion limit
        h.add(kind, "archives/bomb.zip", "too_large_decompressed")
    with tarfile.open(h.root / "archives/bomb.tar.gz", "w:gz") as tar:
        for name, size, content in (
            ("a.txt", len(good), io.BytesIO(good)),
            ("bomb.txt", bomb_bytes, _Zeros(bomb_bytes)),
        ):
            entry = tarfile.TarInfo(name)
            entry.size = size
            tar.addfile(entry, content)
    h.add(kind, "archives/bomb.tar.gz/a.txt", DOCUMENT)
    h.add(kind, "archives/bomb.tar.gz", "too_large_decompressed")
    with zipfile.ZipFile(h.root / "archives/names.zip", "w") as archive:
        archive.writestr("../../../etc/passwd.txt", good.replace(b".", b"!"))
        archive.writestr("inner.zip", (h.root / "archives/bomb.zip").read_bytes())
    h.add(kind, "archives/names.zip/../../../etc/passwd.txt", DOCUMENT)
    h.add(kind, "archives/names.zip/inner.zip", "unsupported")
    h.skipped += 1
    whole = (h.root / "archives/names.zip").read_bytes()
    h.write(kind, "archives/cut.zip", whole[: len(whole) // 2], "bad_zip")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name in ("first.txt", "second.txt"):
            entry = tarfile.TarInfo(name)
            entry.size = len(good)
            tar.addfile(entry, io.BytesIO(good.replace(b" ", b"  ")))
    h.put("archives/cut.tar", buffer.getvalue()[: 512 * 3 + len(good) + 100])
    h.add(kind, "archives/cut.tar/first.txt", DOCUMENT)
    h.add(kind, "archives/cut.tar", "bad_tar")


def case_bytes(content: str | list[str | list[str | int]]) -> bytes:
    """A case's content in UTF-8: a string, or pieces, of which ``[piece, n]`` is n copies."""
    pieces = [content] if isinstance(content, str) else content
    return "".join(p if isinstance(p, str) else str(p[0]) * int(p[1]) for p in pieces).encode()


def write_cases(h: Hostile) -> None:
    """The damage that is a fixed content (tests/cases/hostile_files.json), and a JSON Lines
    feed of every kind of broken line (tests/cases/hostile_json_lines.json), in its order:
    a line without an id is keyed by its position."""
    for case in json.loads((CASES / "hostile_files.json").read_text(encoding="utf-8")):
        data = case_bytes(case["content"])
        if case["outcome"] == "unsupported":
            h.skip(case["kind"], case["name"], data)
        else:
            h.write(case["kind"], case["name"], data, case["outcome"])
    lines = json.loads((CASES / "hostile_json_lines.json").read_text(encoding="utf-8"))
    h.put(FEED, b"\n".join(case_bytes(case["line"]) for case in lines))
    for case in lines:
        h.add("JSON Lines with broken lines", f"{FEED}#{case['key']}", case["outcome"])


def _page(body: str, prologue: str = "<!DOCTYPE html>") -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n") if p.strip())
    head = "<html><head><title>T</title></head><body><article>"
    return f"{prologue}{head}{paragraphs}</article></body></html>".encode()


def _web(h: Hostile, good: str, bomb_bytes: int) -> None:
    """Pages and web archives that try to expand, read or fetch what they should not."""
    from tests import warcs

    laughs = ['<!ENTITY l0 "lol">'] + [
        f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10)
    ]
    laughing = '<?xml version="1.0"?><!DOCTYPE html [' + "".join(laughs) + "]>"
    kind = "web pages: entity bombs, external entities, no text"
    h.write(kind, "web/laughs.xhtml", _page(good + "\n\n&l9;", laughing), DOCUMENT)
    xxe = '<?xml version="1.0"?><!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    h.write(kind, "web/xxe.html", _page(good + "\n\n&x;", xxe), DOCUMENT)
    h.write(kind, "web/page_saved_as.txt", _page(good), DOCUMENT)
    h.write(kind, "web/truncated.html.gz", gzip.compress(_page(good))[:40], "bad_gzip")
    kind = "WARC files: not a WARC, empty, a gzip bomb in a record"
    records = [
        warcs.warcinfo(),
        warcs.response("https://x.example/a", _page(good)),
        warcs.response("https://x.example/bomb", bomb(".gz", bomb_bytes), Content_Encoding="gzip"),
    ]
    h.put("web/crawl.warc.gz", warcs.gzipped(records))
    h.add(kind, "web/crawl.warc.gz#https://x.example/a", DOCUMENT)
    h.add(kind, "web/crawl.warc.gz#https://x.example/bomb", "too_large_decompressed")
    kind = "WARC files cut short, a chunked gzip response before a page"
    other = _page(good.replace(".", "!"))  # not a duplicate of the page a
    records = [
        warcs.warcinfo(),
        warcs.response(
            "https://x.example/chunked",
            warcs.chunked(gzip.compress(other)),
            Transfer_Encoding="chunked",
            Content_Encoding="gzip",
        ),
        warcs.response("https://x.example/a", _page(good)),
        warcs.response("https://x.example/lost", _page(good)),
    ]
    whole = warcs.gzipped(records[:-1])
    cuts = {
        "wget.warc.gz": (whole, None),
        "cut.warc": (b"".join(records)[:-300], "bad_warc"),
        "cut.warc.gz": (whole + gzip.compress(records[-1])[:-300], "bad_gzip"),
        "cut_one_member.warc.gz": (gzip.compress(b"".join(records))[:-30], "bad_gzip"),
    }
    for name, (data, reason) in cuts.items():
        h.put(f"web/{name}", data)
        h.add(kind, f"web/{name}#https://x.example/chunked", DOCUMENT)
        h.add(kind, f"web/{name}#https://x.example/a", DOCUMENT)
        if reason is not None:
            h.add(kind, f"web/{name}", reason)


def build_news(root: Path, files: int, seed: int, heavy_documents: int = 0) -> Path:
    """``files`` healthy articles; first, documents that take seconds each to de-duplicate."""
    rng = random.Random(seed)
    for n in range(heavy_documents):
        # Near repeats differing only in a figure: every pair is a candidate, none is removed;
        # under the default --max-paragraphs, and still many seconds of de-duplication.
        lines = (f"The index closed at {i} points after thin trading." for i in range(900))
        heavy = root / "heavy" / f"{n}.txt"  # sorts before "news": processed first
        heavy.parent.mkdir(parents=True, exist_ok=True)
        heavy.write_text("\n".join(lines))
    for n in range(files):
        path = root / "news" / f"{n // 100:03d}" / f"{n:05d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(article(rng, rng.randint(3, 12)))
    return root


def remove_deep(top: Path) -> None:
    """Remove a deeply nested tree; shutil.rmtree recurses once per level in Python 3.11."""
    while (top / "d" / "d").exists():
        (top / "d" / "d").rename(top / "d.next")
        shutil.rmtree(top / "d")
        (top / "d.next").rename(top / "d")
    shutil.rmtree(top)


def _drop_permission_bypass() -> None:
    # Root reads every file: take away the capabilities that let it (from this child only).
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def permission_guard() -> Callable[[], None] | None:
    """A ``preexec_fn`` under which file permissions hold, or None if they already do.

    As root, that takes dropping capabilities, which a container may forbid: see
    :func:`permissions_can_be_enforced`.
    """
    return _drop_permission_bypass if os.geteuid() == 0 else None


def permissions_can_be_enforced() -> bool:
    try:
        subprocess.run([sys.executable, "-c", ""], preexec_fn=permission_guard(), check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return True


MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'peak_rss_kib={peak}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def measured(command: list[str]) -> list[str]:
    """``command`` wrapped so that it prints the peak RSS of its largest process, in KiB."""
    return [sys.executable, "-c", MEASURE, *command]
