"""Explain one document: what became of each of its paragraphs, and why.

The library call behind ``cleaner explain``. A corpus row holds every paragraph of a document
it kept, removed ones included (in ``removed``, with what each repeats), so a kept document
is explained from its row alone, plus the index for the number of documents that carry a
boilerplate paragraph. A duplicate document is in the rejects, without its text: it is read
again from its source file, found under the input folders given (the text is not stored
twice), and compared paragraph by paragraph with the document kept instead.

>>> [(op, " ".join(w)) for op, w in word_diff("the old red car", "the new red car")]
[('=', 'the'), ('-', 'old'), ('+', 'new'), ('=', 'red car')]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleaner.alignment import opcodes
from cleaner.corpus_index import stored_lines
from cleaner.deduplicate_corpus import BOILERPLATE, DUPLICATE
from cleaner.document import Document, Rejected, Removal
from cleaner.errors import InputError
from cleaner.fingerprint import distinct, fingerprint, normalize, or_words
from cleaner.formats import (
    corpus_metadata,
    document_of,
    index_path,
    paragraph_lines_of,
    rejects_path,
)
from cleaner.sources import Source, classify, input_components

Diff = list[tuple[str, list[str]]]  # ("=", "-" or "+", words), in order


@dataclass(frozen=True)
class Verdict:
    """One paragraph of the document, in its original place."""

    index: int  # position among the document's paragraphs before removal
    paragraph: str
    removal: Removal | None = None  # None: kept
    carriers: int = 0  # for boilerplate: documents of the corpus that carry the paragraph

    @property
    def diff(self) -> Diff:
        """The word-level difference from the paragraph it repeats (empty when kept)."""
        return [] if self.removal is None else word_diff(self.removal.repeats, self.paragraph)


@dataclass
class Explanation:
    """What became of one document (see :func:`explain`)."""

    doc_id: str
    source: str
    outcome: str  # "kept", or the reason of its reject ("duplicate_document", "binary", ...)
    detail: str = ""  # the reject's detail
    encoding: str = ""
    repaired: bool = False
    paragraphs: list[Verdict] = field(default_factory=list)  # empty when its text is not at hand
    kept_instead: str | None = None  # for a duplicate document: the document kept
    similarity: float | None = None  # exact Jaccard similarity with it
    # for a duplicate document: its paragraphs and the kept one's, aligned (None: no partner)
    comparison: list[tuple[str | None, str | None]] = field(default_factory=list)


def explain(corpus: str | Path, doc_id: str, inputs: Sequence[str | Path] = (".",)) -> Explanation:
    """What ``cleaner clean`` did with document ``doc_id`` of ``corpus``.

    ``inputs`` are the folders (or files) the corpus was cleaned from, or folders above them,
    where a rejected document's text is looked for again. Raises :class:`InputError` when
    ``corpus`` is not a corpus, or has no document ``doc_id``.
    """
    corpus = Path(corpus)
    recorded = corpus_metadata(corpus)
    found = pq.read_table(corpus, filters=[("doc_id", "==", doc_id)]).to_pylist()
    if found:
        doc = document_of(found[0])
        return Explanation(
            doc_id,
            doc.source,
            "kept",
            encoding=doc.encoding,
            repaired=doc.repaired,
            paragraphs=_verdicts(doc, corpus, recorded),
        )
    rejects = pq.read_table(rejects_path(corpus), filters=[("doc_id", "==", doc_id)])
    if not rejects.num_rows:
        raise InputError(f"{corpus}: no document {doc_id!r} in the corpus nor its rejects")
    reject = rejects.to_pylist()[0]
    explanation = Explanation(doc_id, reject["source"], reject["reason"], reject["detail"])
    text = _read_again(reject["source"], doc_id, inputs, recorded)
    if text is not None:
        explanation.encoding, explanation.repaired = text.encoding, text.repaired
        explanation.paragraphs = _verdicts(text, corpus, recorded)
    if reject["reason"] == DUPLICATE and reject["duplicate_of"] is not None:
        explanation.kept_instead = reject["duplicate_of"]
        explanation.similarity = reject["similarity"]
        kept = pq.read_table(corpus, filters=[("doc_id", "==", reject["duplicate_of"])])
        if kept.num_rows and text is not None:
            other = document_of(kept.to_pylist()[0])
            explanation.comparison = align(text.paragraphs, other.paragraphs)
    return explanation


def _verdicts(doc: Document, corpus: Path, recorded: dict[str, Any]) -> list[Verdict]:
    removals = {r.index: r for r in doc.removed}
    boilerplate = [r for r in doc.removed if r.reason == BOILERPLATE]
    counts = _carriers(boilerplate, corpus, recorded)
    carriers = dict(zip([r.index for r in boilerplate], counts, strict=True))
    return [
        Verdict(i, p, removals.get(i), carriers.get(i, 0)) for i, p in enumerate(doc.paragraphs_in)
    ]


def _carriers(removed: list[Removal], corpus: Path, recorded: dict[str, Any]) -> list[int]:
    """How many documents of the corpus carry each removed paragraph (its line: same words,
    same order, times, years and dates aside, as :func:`cleaner.corpus_index.stored_lines`
    has it at its position): the count boilerplate is decided on, read from the index, which
    keeps boilerplate."""
    if not removed or not index_path(corpus).is_file():
        return [0] * len(removed)
    settings = recorded["fingerprint"]
    paragraphs = [r.paragraph for r in removed]
    fp = fingerprint(paragraphs, settings["num_perm"], settings["seed"], settings["shingle_size"])
    positions = np.array([r.index for r in removed], dtype=np.int32)
    path = index_path(corpus)
    named = [c for c in ("paragraph_hashes", "paragraph_lines") if c in pq.read_schema(path).names]
    table = pq.read_table(path, columns=named)
    hashes = table.column("paragraph_hashes").combine_chunks()
    owners = np.asarray(pc.list_parent_indices(hashes).to_numpy())
    words = np.asarray(hashes.flatten().to_numpy(), dtype=np.uint64)
    lines = or_words(paragraph_lines_of(table, len(words)), words)
    mine = or_words(stored_lines(fp.keys, positions), fp.sequence_hashes())
    counts = [len(distinct(owners[lines == value])) for value in mine.tolist()]
    return counts


def _read_again(
    name: str, doc_id: str, inputs: Sequence[str | Path], recorded: dict[str, Any]
) -> Document | None:
    """The document ``doc_id`` of source ``name`` as the run saw it, read again from under
    one of ``inputs``; None when it is not found there (moved, or read from stdin)."""
    from cleaner.chain import documents_in
    from cleaner.options import Options

    run = Options.from_recorded(recorded["options"])
    for path in (path for root in inputs for path in _places(Path(root), name)):
        kind = classify(path.name)
        if kind is None or not path.is_file():
            continue
        try:
            found = documents_in(Source(str(path), name, kind[0], kind[1]), run)
        except Rejected:
            continue
        for doc in found:
            if isinstance(doc, Document) and doc.doc_id == doc_id:
                return doc
    return None


def _places(root: Path, name: str) -> list[Path]:
    """Where a file named ``name`` by a run can be, ``root`` being one of its inputs (whose
    name, and with several inputs its parents' too, begin ``name``) or a folder above one.

    >>> _places(Path("scrapes/monday"), "monday/001.txt")
    [PosixPath('scrapes/monday/001.txt'), PosixPath('scrapes/monday/monday/001.txt')]
    """
    parts = PurePosixPath(name).parts
    whole = input_components(str(root))
    shared = [k for k in range(len(parts), 0, -1) if whole[-k:] == parts[:k]]
    return [*(root.joinpath(*parts[k:]) for k in shared), root / name]


def word_diff(old: str, new: str) -> Diff:
    """How ``new`` differs from ``old``, word by word: runs of kept, dropped and added words."""
    a, b = old.split(), new.split()
    diff: Diff = []
    for op, i1, i2, j1, j2 in opcodes(a, b):
        if op == "equal":
            diff.append(("=", a[i1:i2]))
            continue
        if i2 > i1:
            diff.append(("-", a[i1:i2]))
        if j2 > j1:
            diff.append(("+", b[j1:j2]))
    return diff


def align(ours: list[str], theirs: list[str]) -> list[tuple[str | None, str | None]]:
    """Two documents' paragraphs side by side: the same ones (compared as de-duplication
    compares them, by their keys) paired, changed ones paired in order, the rest alone."""
    a, b = [normalize(p) for p in ours], [normalize(p) for p in theirs]
    pairs: list[tuple[str | None, str | None]] = []
    for _, i1, i2, j1, j2 in opcodes(a, b):
        left, right = ours[i1:i2], theirs[j1:j2]
        width = max(len(left), len(right))
        pairs.extend(
            (left[n] if n < len(left) else None, right[n] if n < len(right) else None)
            for n in range(width)
        )
    return pairs
