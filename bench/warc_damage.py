"""WARC damage: how the reading of a damaged web archive ends, over random damage to a real one.

A WARC is built from the real pages of ``../shared/data`` (``fundus_eval_news_html``), each page
a request record and a response record whose body is sent as servers send it: as it is, in
gzip, in brotli, zlib-deflated, chunked; the archive ``wget`` also has chunked gzip responses,
as ``wget --warc-file`` and warcprox store them. Each archive is packed three ways (``.warc``,
``.warc.gz`` with a gzip member per record as crawlers write it, ``.warc.gz`` in one member),
then damaged at random, seeded, in one of these ways:

- ``cut``: cut short at a random byte (a download that stopped);
- ``overwrite``: 1 to 8 bytes overwritten at a random place;
- ``length``: a record's Content-Length changed (smaller, larger, far beyond the file);
- ``garbage``: random bytes between two records (for a ``.warc.gz`` of members, between two
  members: a damaged member);
- ``header``: a line of a record's WARC headers replaced by random bytes;
- ``body``: bytes of an encoded response body overwritten (its gzip, brotli or deflate data,
  or a chunk size), the record's length kept.

Each damaged file is read by the cleaner's WARC reader alone (``cleaner.warc.Archive``, no
extraction: what is measured is which records come out), and counted as one of:

- ``reject``: a reject names the damage (of the file, or of the record it hit), and every page
  missing is covered by it;
- ``silent loss``: a page is missing and no reject covers it (a record-level reject covers its
  own page only);
- ``crash``: an exception leaves the reader (in a run, the end of a worker or of the run);
- ``unharmed``: every page read and nothing said (the damage hit bytes no page needs, such as
  a request's, or the text of a page).

``pages before lost`` counts the pages whose records lie wholly before the damage and that
did not come out: it must be 0 (the records before damage stand).

Run it with the cleaner to measure on the import path: ``python -m bench.warc_damage``, or
``PYTHONPATH=<another checkout> python -m bench.warc_damage`` for another version of it.
Needs ``../shared/data``; without it, says so and exits 0.
"""

from __future__ import annotations

import argparse
import gzip
import io
import random
import re
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench import shared_data
from tests import warcs

OUTCOMES = ("reject", "silent loss", "crash", "unharmed")
KINDS = ("cut", "overwrite", "length", "garbage", "header", "body")
PACKINGS = ("warc", "members", "one member")
ENCODINGS = ("identity", "gzip", "br", "deflate", "chunked")
_LENGTH = re.compile(rb"Content-Length: (\d+)")


@dataclass
class Record:
    data: bytes
    page: str | None = None  # the URI of a page's response
    body: tuple[int, int] | None = None  # where its encoded body lies in ``data``


def archive(pages: list[bytes], wget: bool) -> list[Record]:
    """A warcinfo record, then a request and a response for each page."""
    import brotli

    records = [Record(warcs.warcinfo())]
    encodings = (*ENCODINGS, "chunked gzip") if wget else ENCODINGS
    for n, page in enumerate(pages):
        uri = f"https://pages.example/{n}"
        encoding = encodings[n % len(encodings)]
        headers: dict[str, str] = {}
        body = page
        if encoding in ("gzip", "chunked gzip"):
            body, headers["Content_Encoding"] = gzip.compress(page, mtime=0), "gzip"
        elif encoding == "br":
            body, headers["Content_Encoding"] = brotli.compress(page), "br"
        elif encoding == "deflate":
            body, headers["Content_Encoding"] = zlib.compress(page), "deflate"
        if encoding.startswith("chunked"):
            body, headers["Transfer_Encoding"] = warcs.chunked(body, 4096), "chunked"
        records.append(Record(warcs.request(uri)))
        data = warcs.response(uri, body, **headers)
        at = data.rindex(body)
        records.append(Record(data, uri, (at, at + len(body)) if encoding != "identity" else None))
    return records


def pack(records: list[bytes], packing: str) -> bytes:
    if packing == "warc":
        return b"".join(records)
    if packing == "members":  # as warcs.gzipped, dated 0: the same bytes on every run
        return b"".join(gzip.compress(record, mtime=0) for record in records)
    return gzip.compress(b"".join(records), mtime=0)


def readable(data: bytes, packing: str) -> int:
    """How many bytes of the WARC stream the packed bytes give before they stop making sense:
    those of every gzip member that decompresses, and of the member that stops."""
    if packing == "warc":
        return len(data)
    got = 0
    while data:
        inflate = zlib.decompressobj(31)
        try:
            got += len(inflate.decompress(data))
        except zlib.error:
            break
        if not inflate.eof:
            break
        data = inflate.unused_data
    return got


def damage(records: list[Record], packing: str, kind: str, rng: random.Random) -> tuple[bytes, int]:
    """The damaged file, and the offset in the WARC stream (decompressed) before which every
    record is whole."""
    datas = [r.data for r in records]
    if kind in ("cut", "overwrite"):
        packed = bytearray(pack(datas, packing))
        at = rng.randrange(len(packed))
        if kind == "cut":
            del packed[at:]
        else:
            size = len(packed[at : at + rng.randint(1, 8)])
            packed[at : at + size] = rng.randbytes(size)
        return bytes(packed), readable(bytes(packed[:at]), packing)
    n = rng.randrange(1, len(records))
    if kind == "garbage":
        junk = rng.randbytes(rng.randint(1, 500))
        start = sum(len(d) for d in datas[:n])
        if packing == "members":
            return pack(datas[:n], packing) + junk + pack(datas[n:], packing), start
        return pack([*datas[:n], junk, *datas[n:]], packing), start
    if kind == "body":
        n = rng.choice([i for i, r in enumerate(records) if r.body is not None])
    start = sum(len(d) for d in datas[:n])
    record = bytearray(datas[n])
    if kind == "length":
        found = _LENGTH.search(record)
        assert found is not None
        length = int(found.group(1))
        new = rng.choice([rng.randrange(length), length + rng.randint(1, 5000), 1 << 62])
        record[found.start(1) : found.end(1)] = str(new).encode()
    elif kind == "header":
        lines = [m.start() for m in re.finditer(rb"\r\n", record[: record.index(b"\r\n\r\n")])]
        at = rng.choice(lines) + 2
        end = record.index(b"\r\n", at)
        record[at:end] = rng.randbytes(rng.randint(1, 40)).replace(b"\n", b"?")
    else:
        begin, end = records[n].body or (0, 0)
        at = rng.randrange(begin, end)
        size = min(4, end - at)
        record[at : at + size] = rng.randbytes(size)
    datas[n] = bytes(record)
    return pack(datas, packing), start


@dataclass
class Outcome:
    kind: str
    pages_before_lost: int
    detail: str = ""


def judge(data: bytes, records: list[Record], texts: dict[str, str], whole_before: int) -> Outcome:
    """Read ``data`` with the cleaner's WARC reader and say how it ended; ``texts``: each
    page's URI by its text."""
    from cleaner.document import Rejected
    from cleaner.warc import Archive

    pages: set[str] = set()
    file_rejects: list[Rejected] = []
    record_rejects: set[str] = set()
    try:
        for item in Archive(io.BytesIO(data), 1 << 30, 1 << 30):
            if isinstance(item, Rejected):
                if item.key is None or item.key.startswith("offset "):
                    file_rejects.append(item)
                else:
                    record_rejects.add(item.key)
            else:  # a page whose URI was damaged is known by its text
                pages.add(item.key if item.key in texts.values() else texts.get(item.text, ""))
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # a crash is what is counted here
        return Outcome("crash", 0, f"{type(exc).__name__}: {str(exc)[:80]}")
    offset, before = 0, set()
    for record in records:
        offset += len(record.data)
        if record.page is not None and offset <= whole_before:
            before.add(record.page)
    every = {r.page for r in records if r.page is not None}
    lost_before = len(before - pages - record_rejects)
    missing = every - pages - record_rejects
    if missing and not file_rejects:
        return Outcome("silent loss", lost_before, f"{len(missing)} pages")
    if file_rejects or record_rejects:
        detail = "; ".join(f"{r.reason}: {r.detail}" for r in file_rejects)
        return Outcome("reject", lost_before, detail)
    return Outcome("unharmed", lost_before)


def real_pages(root: Path, count: int) -> list[bytes]:
    folder = root / shared_data.FUNDUS / "html"
    return [gzip.decompress(p.read_bytes()) for p in sorted(folder.glob("*.html.gz"))[:count]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tries", type=int, default=100, help="damaged files per kind, packing")
    parser.add_argument("--pages", type=int, default=20, help="pages in the archive")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-v", "--verbose", action="store_true", help="each silent loss, crash")
    args = parser.parse_args(argv)
    from cleaner.decode import decode_bytes
    from cleaner.extract import declared_charset

    root = shared_data.data_dir()
    if not (root / shared_data.FUNDUS / "html").is_dir():
        print(f"WARC damage skipped: {shared_data.FUNDUS} not found in {root}")
        return 0
    pages = real_pages(root, args.pages)
    for name, wget in (("plain", False), ("wget", True)):
        records = archive(pages, wget)
        texts = {
            decode_bytes(page, declared_charset(page))[0]: f"https://pages.example/{n}"
            for n, page in enumerate(pages)
        }
        intact = Counter(
            judge(pack([r.data for r in records], p), records, texts, 1 << 62).kind
            for p in PACKINGS
        )
        print(f"archive {name}: {len(pages)} pages; read intact: {dict(intact)}")
        header = f"{'packing':<11} {'damage':<10}" + "".join(f"{o:>13}" for o in OUTCOMES)
        print(header + f"{'pages before lost':>19}")
        totals: Counter[str] = Counter()
        for packing in PACKINGS:
            for kind in KINDS:
                rng = random.Random(f"{args.seed} {name} {packing} {kind}")
                counts: Counter[str] = Counter()
                lost = 0
                for _ in range(args.tries):
                    data, before = damage(records, packing, kind, rng)
                    outcome = judge(data, records, texts, before)
                    counts[outcome.kind] += 1
                    lost += outcome.pages_before_lost
                    if args.verbose and outcome.kind in ("silent loss", "crash"):
                        print(f"  {packing} {kind}: {outcome.kind} {outcome.detail}")
                totals.update(counts)
                totals["pages before lost"] += lost
                row = f"{packing:<11} {kind:<10}" + "".join(f"{counts[o]:>13}" for o in OUTCOMES)
                print(row + f"{lost:>19}")
        row = f"{'all':<22}" + "".join(f"{totals[o]:>13}" for o in OUTCOMES)
        print(row + f"{totals['pages before lost']:>19}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
