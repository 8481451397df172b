"""What `make bench` measures cleaner against: the pipelines a user would write instead.

Each contender is a function over a list of files that writes a Parquet file and returns the
bytes of text it read; ``python -m bench.contenders NAME OUT LIST`` runs one in a process of
its own (``LIST``: a file naming the input files, one a line), so that its wall time and peak
resident memory are measured as cleaner's are, and prints ``{"bytes": ...}``.

- ``lean``: what a competent user writes from the card's packages: ``ftfy.fix_text`` on each
  paragraph, a datasketch ``MinHash(num_perm=128)`` over word 5-grams fed with
  ``update_batch``, each paragraph kept unless its estimated Jaccard similarity with one of
  the document's kept paragraphs reaches cleaner's threshold, the kept text written with
  pyarrow. Repeats inside each document: the job of ``cleaner clean --scope document``.
- ``heavy``: the same with a ``MinHashLSH`` per document, shingles fed one by one with
  ``update`` and pandas ``to_parquet``: the first baseline `make bench` measured.
- ``rensa``: duplicate documents across the folder: one Python loop over the documents,
  rensa's ``RMinHash`` over word 5-grams and one ``RMinHashLSH``; no repair, no paragraphs.
- ``floor``: not a contender but the least work any tool that writes each document's
  language must do: read and decode the files as the others do, CLD2 on each document (as
  cleaner detects languages), one pyarrow write of the texts; no repair, no paragraphs, no
  MinHash. Its speed bounds what cleaner's document scope can reach in one process.

It imports cleaner only inside the contenders that take its thresholds: :mod:`bench.peers`
reads the files with :func:`read_texts` in virtual environments without cleaner.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

NUM_PERM = 128
K = 5  # word 5-grams, as datatrove's and text-dedup's MinHash pipelines use by default

_WORD = re.compile(r"\w+")


def shingles(text: str, k: int = K) -> list[str]:
    """The word ``k``-grams of a text, lower-cased, as a user makes them.

    >>> shingles("One two three", 2)
    ['one two', 'two three']
    """
    tokens = _WORD.findall(text.lower())
    return [" ".join(tokens[i : i + k]) for i in range(max(1, len(tokens) - k + 1))]


def read_texts(path: Path) -> list[str]:
    """The documents of one workload file: UTF-8 unless that fails, then charset-normalizer."""
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        text = str(from_bytes(data).best())
    if ".jsonl" in path.name:
        return [json.loads(line)["text"] for line in text.splitlines() if line.strip()]
    return [text]


def paragraphs_of(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]


def _documents(files: Sequence[Path]) -> Iterator[tuple[Path, str]]:
    for path in files:
        for text in read_texts(path):
            yield path, text


def lean(files: Sequence[Path], out: Path) -> int:
    import ftfy
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasketch import MinHash

    from cleaner import DedupOptions  # its threshold for paragraphs repeated in a document

    threshold = DedupOptions().threshold
    sources, texts, size = [], [], 0
    for path, text in _documents(files):
        size += len(text.encode("utf-8"))
        kept: list[str] = []
        hashes: list[MinHash] = []
        for paragraph in map(ftfy.fix_text, paragraphs_of(text)):
            m = MinHash(num_perm=NUM_PERM)
            m.update_batch([s.encode("utf-8") for s in shingles(paragraph)])
            if all(m.jaccard(other) < threshold for other in hashes):
                kept.append(paragraph)
                hashes.append(m)
        sources.append(str(path))
        texts.append("\n\n".join(kept))
    pq.write_table(pa.table({"source": sources, "text": texts}), out)
    return size


def heavy(files: Sequence[Path], out: Path) -> int:
    import ftfy
    import pandas as pd
    from datasketch import MinHash, MinHashLSH

    rows, size = [], 0
    # Its banding is computed once (an integral in scipy), as a user would soon learn to do.
    params = MinHashLSH(threshold=0.8, num_perm=NUM_PERM)
    bands = (params.b, params.r)
    for path, text in _documents(files):
        size += len(text.encode("utf-8"))
        paragraphs = [ftfy.fix_text(p) for p in paragraphs_of(text)]
        lsh = MinHashLSH(num_perm=NUM_PERM, params=bands)
        kept = []
        for i, paragraph in enumerate(paragraphs):
            m = MinHash(num_perm=NUM_PERM)
            for shingle in shingles(paragraph):
                m.update(shingle.encode("utf-8"))
            if not lsh.query(m):
                lsh.insert(str(i), m)
                kept.append(paragraph)
        rows.append({"source": str(path), "text": "\n\n".join(kept), "paragraphs": kept})
    pd.DataFrame(rows).to_parquet(out)
    return size


def rensa(files: Sequence[Path], out: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from rensa import RMinHash, RMinHashLSH

    from cleaner import DedupOptions  # its threshold for duplicate documents

    threshold = DedupOptions().document_threshold
    lsh = RMinHashLSH(threshold=threshold, num_perm=NUM_PERM, num_bands=16)
    sources, texts, size = [], [], 0
    for n, (path, text) in enumerate(_documents(files)):
        size += len(text.encode("utf-8"))
        m = RMinHash(num_perm=NUM_PERM, seed=1)
        m.update(shingles(text))
        if not lsh.query(m):
            lsh.insert(n, m)
            sources.append(str(path))
            texts.append(text)
    pq.write_table(pa.table({"source": sources, "text": texts}), out)
    return size


def floor(files: Sequence[Path], out: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq
    import pycld2

    sources, texts, languages, size = [], [], [], 0
    for path, text in _documents(files):
        size += len(text.encode("utf-8"))
        try:
            reliable, _, guesses = pycld2.detect(text, isPlainText=True)
            languages.append(guesses[0][1] if reliable else None)
        except pycld2.error:
            languages.append(None)
        sources.append(str(path))
        texts.append(text)
    pq.write_table(pa.table({"source": sources, "text": texts, "language": languages}), out)
    return size


CONTENDERS: dict[str, Callable[[Sequence[Path], Path], int]] = {
    "lean": lean,
    "heavy": heavy,
    "rensa": rensa,
    "floor": floor,
}


def main(argv: Sequence[str] | None = None) -> int:
    name, out, listing = argv if argv is not None else sys.argv[1:]
    files = [Path(line) for line in Path(listing).read_text(encoding="utf-8").splitlines()]
    print(json.dumps({"bytes": CONTENDERS[name](files, Path(out))}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
