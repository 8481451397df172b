"""Record files as scrapers leave them, built from the fixtures, for the tests of reading in
pieces (``tests/test_pieces.py``).

Every file is built the same way on every run (a fixed seed), so that a corpus cleaned from
them can be compared with one cleaned before pieces existed: ``tests/cases/pieces_reference.json``
holds what the unsplit reader made of them (built with ``python -m tests.dumps OUT.json``).
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import json
import random
import sys
from pathlib import Path
from typing import Any

from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[1]
SCRAPED = json.loads((ROOT / "tests" / "cases" / "scraper_records.json").read_text())


def options() -> Any:
    """Every document in the corpus, so that all of them are compared."""
    import cleaner

    return cleaner.Options(dedup=cleaner.DedupOptions(scope="document"))


def _texts() -> list[str]:
    """Paragraph blocks from the fixtures' UTF-8 articles."""
    blocks = []
    for path in sorted(FIXTURES.glob("*.txt")):
        try:
            text = path.read_text("utf-8")
        except UnicodeDecodeError:
            continue
        blocks += [block for block in text.split("\n\n") if len(block.split()) > 3]
    return blocks


def _records(rng: random.Random, count: int) -> list[str]:
    """JSON lines: ids repeated near and far, records without ids, broken lines, blank lines,
    records without text, U+2028 inside a string, scrapers' own records."""
    blocks = _texts()
    lines: list[str] = []
    ids: list[Any] = []
    for n in range(count):
        roll = rng.random()
        record: dict[str, Any] = {"text": "\n\n".join(rng.sample(blocks, rng.randint(1, 4)))}
        if roll < 0.1 and ids:
            record["id"] = rng.choice(ids)  # a repeated id, near or far
        elif roll < 0.15:
            pass  # no id: named by its line
        elif roll < 0.17:
            record["id"] = f"{n - 3}@{len(lines) + 1}"  # looks like a made-unique id
        else:
            record["id"] = n
            ids.append(n)
        if roll > 0.97:
            lines.append('{"id": "broken", "text": "cut')
            continue
        if 0.95 < roll <= 0.97:
            record = {"id": f"notext{n}", "title": "no text field"}
        if 0.93 < roll <= 0.95:
            record = dict(rng.choice(SCRAPED)["record"])
        if 0.90 < roll <= 0.93:
            lines.append("")
        if roll < 0.02:
            record["text"] += "\u2028a line separator inside"
        lines.append(json.dumps(record, ensure_ascii=rng.random() < 0.5))
    return lines


def build(folder: Path) -> dict[str, int]:
    """Write the record files into ``folder``; return each file's lines."""
    rng = random.Random(20)
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {}
    files["feed.jsonl"] = "\n".join(_records(rng, 300)).encode() + b"\n"
    files["wire.jsonl.gz"] = gzip.compress(
        "\n".join(_records(rng, 300)).encode(), 6, mtime=0
    )  # no final line end
    bom = "\r\n".join(_records(rng, 80))
    files["bom.jsonl"] = codecs.BOM_UTF8 + bom.encode() + b"\r\n"
    files["lines.json"] = "\n".join(_records(rng, 80)).encode()  # JSON lines named .json
    article = {"id": "single", "text": "\n\n".join(_texts()[:5])}
    files["single.json"] = json.dumps(article, indent=2).encode()
    files["array.json"] = json.dumps(
        [json.loads(x) for x in _records(rng, 40) if x.endswith("}")][:30]
    ).encode()
    array = [json.loads(x) for x in _records(rng, 60) if x.endswith("}")]
    spaced = json.dumps(array, indent=1, ensure_ascii=False).encode()
    files["spaced_array.json.gz"] = gzip.compress(
        codecs.BOM_UTF8 + b" \n" + spaced + b"\n", mtime=0
    )
    files["blank.jsonl"] = b"\n \n\t\n" * 50
    # Not UTF-8: read whole, so that one encoding is found for all of the file's records.
    russian = (FIXTURES / "003_moscow_metro_cp1251.txt").read_bytes().decode("cp1251")
    lines = [
        json.dumps({"id": n, "text": f"{russian} ({n})"}, ensure_ascii=False) for n in range(60)
    ]
    files["cp1251.jsonl"] = "\n".join(lines).encode("cp1251")
    files["cp1251.jsonl.gz"] = gzip.compress(files["cp1251.jsonl"], mtime=0)
    lines = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        text = gzip.decompress(data) if name.endswith(".gz") else data
        lines[name] = text.count(b"\n") + 1
    return lines


def summary(corpus: Path) -> dict[str, list[list[Any]]]:
    """What a corpus made of the files: each row's doc_id, encoding and a digest of its
    text, and each reject's doc_id, reason and detail."""
    import pandas as pd

    from cleaner.formats import rejects_path

    rows = pd.read_parquet(corpus)
    rejects = pd.read_parquet(rejects_path(corpus))
    return {
        "corpus": [
            [row.doc_id, row.encoding, hashlib.sha256(row.text.encode()).hexdigest()[:16]]
            for row in rows.itertuples()
        ],
        "rejects": [[row.doc_id, row.reason, row.detail] for row in rejects.itertuples()],
    }


if __name__ == "__main__":  # the reference: python -m tests.dumps OUT.json, on the unsplit reader
    import tempfile

    import cleaner

    with tempfile.TemporaryDirectory() as work:
        build(Path(work) / "in")
        out = Path(work) / "c.parquet"
        cleaner.clean([str(Path(work) / "in")], out, options())
        Path(sys.argv[1]).write_text(json.dumps(summary(out), ensure_ascii=False, indent=0) + "\n")
