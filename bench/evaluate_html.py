"""Extraction quality on real web pages: cleaner against trafilatura alone, on the same pages.

Two labelled sets from ``../shared/data``:

- ``fundus_eval_news_html``: 80 news pages from 16 publishers with their article text
  extracted by hand, paragraph by paragraph (``ground_truth.json``). Scored on words: the
  words of an extraction and of the gold text are compared as multisets (lowercase, ``\\w+``
  tokens), pooled over the pages; precision is the share of extracted words that are in the
  gold text, recall the share of gold words extracted.
- ``trafilatura_eval_html``: trafilatura's own benchmark, 990 pages (news, blogs, government
  pages, in five languages), each with snippets that must be extracted (``with``) and
  snippets of boilerplate that must not (``without``). Scored as trafilatura scores it: a
  ``with`` snippet found is a true positive, missed a false negative; a ``without`` snippet
  found is a false positive. Snippet and text are compared as word sequences (lowercase,
  ``\\w+`` tokens), so that ftfy's straightened quotes and cleaner's paragraph breaks neither
  help nor hurt.

Each set is scored for: trafilatura's published figures on its own benchmark (for reference,
not measured here); ``trafilatura.extract`` with its defaults, on the same pages' bytes, as a
user would call it; ``cleaner clean --scope document`` (extraction, then the repeats inside
each page removed); and ``cleaner clean --scope corpus`` (also the paragraphs recurring across
pages, i.e. a site's navigation and footer lines, and duplicate pages), with the default
``--boilerplate-min-docs`` and a lower one. A page cleaner rejects as ``no_main_text``
counts as an empty extraction, as does a page trafilatura returns None for; a page removed
as a duplicate counts as the page kept instead, which is what the corpus holds of it. The
corpus-wide rows also say how many paragraphs the corpus-wide stage removed and how many of
those were main text (a gold paragraph, or held a ``with`` snippet) or boilerplate.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

import cleaner
from bench import harness, shared_data

FUNDUS = shared_data.FUNDUS
TRAFILATURA = shared_data.TRAFILATURA
# trafilatura's evaluation as its documentation publishes it (its own benchmark, its own pages)
PUBLISHED = {"precision": 0.906, "recall": 0.943, "f1": 0.924}
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@dataclass
class Score:
    """Counts of one system on one set."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    notes: dict[str, int] = field(default_factory=dict)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Page:
    path: Path  # the page as saved
    name: str  # its doc_id in a corpus of the page folder
    gold: list[str] = field(default_factory=list)  # fundus: the gold paragraphs
    with_: list[str] = field(default_factory=list)  # trafilatura: snippets of main text
    without: list[str] = field(default_factory=list)  # and of boilerplate


def fundus_pages(root: Path) -> list[Page]:
    truth = json.loads((root / FUNDUS / "ground_truth.json").read_text(encoding="utf-8"))
    folder = root / FUNDUS / "html"
    return [Page(folder / name, name, gold=entry["body"]) for name, entry in sorted(truth.items())]


def trafilatura_pages(root: Path, into: Path) -> list[Page]:
    """The benchmark's pages, the archived ones unpacked into ``into``."""
    base = root / TRAFILATURA
    subprocess.run(["tar", "xJf", str(base / "eval_html.tar.xz"), "-C", str(into)], check=True)
    evaldata = json.loads((base / "evaldata.json").read_text(encoding="utf-8"))
    pages = []
    for entry in evaldata.values():
        for folder in (into / "eval", base / "cache"):
            if (folder / entry["file"]).is_file():
                path = folder / entry["file"]
                pages.append(
                    Page(path, entry["file"], with_=entry["with"], without=entry["without"])
                )
                break
    return sorted(pages, key=lambda page: page.name)


def score_words(pages: Sequence[Page], texts: dict[str, str]) -> Score:
    score = Score()
    for page in pages:
        got = Counter(words(texts.get(page.name, "")))
        want = Counter(words(" ".join(page.gold)))
        common = sum((got & want).values())
        score.tp += common
        score.fp += sum(got.values()) - common
        score.fn += sum(want.values()) - common
    return score


def contains(text_words: str, snippet: str) -> bool:
    """Whether the snippet's words occur in order, contiguous, among the text's."""
    wanted = " ".join(words(snippet))
    return bool(wanted) and f" {wanted} " in text_words


def score_snippets(pages: Sequence[Page], texts: dict[str, str]) -> Score:
    score = Score()
    for page in pages:
        text = f" {' '.join(words(texts.get(page.name, '')))} "
        for snippet in page.with_:
            if contains(text, snippet):
                score.tp += 1
            else:
                score.fn += 1
        score.fp += sum(contains(text, snippet) for snippet in page.without)
    return score


def plain_trafilatura(pages: Sequence[Page]) -> tuple[dict[str, str], float]:
    """``trafilatura.extract`` with its defaults on each page's bytes; and the seconds."""
    import trafilatura

    started = time.perf_counter()
    texts = {}
    for page in pages:
        data = page.path.read_bytes()
        if page.path.suffix == ".gz":
            data = gzip.decompress(data)
        texts[page.name] = trafilatura.extract(data) or ""
    return texts, time.perf_counter() - started


@dataclass
class CleanerRun:
    texts: dict[str, str]
    extracted: dict[str, str]  # before any paragraph was removed: extraction, repair, split
    seconds: float
    corpus_removed: list[tuple[str, str]]  # (doc_id, paragraph) removed across documents
    rejects: Counter[str]


def clean_pages(folder: Path, scope: str, workers: int, min_docs: int = 10) -> CleanerRun:
    dedup = cleaner.DedupOptions(scope=scope, boilerplate_min_docs=min_docs)
    outcome = harness.run_cleaner(folder, dedup, workers)
    documents = outcome.documents
    removed = [
        (doc_id, r.paragraph)
        for doc_id, document in documents.items()
        for r in document.removed
        if r.reason == "boilerplate"
    ]
    texts = {doc_id: document.text for doc_id, document in documents.items()}
    # A page removed as a duplicate is still in the corpus, as the page kept instead.
    for doc_id, reject in outcome.rejects.items():
        if reject["duplicate_of"] in texts:
            texts[doc_id] = texts[reject["duplicate_of"]]
    extracted = {d: "\n\n".join(document.paragraphs_in) for d, document in documents.items()}
    return CleanerRun(texts, extracted, outcome.seconds, removed, outcome.report.rejects)


def flat_folder(pages: Sequence[Page], into: Path) -> Path:
    """The pages side by side in one folder, as a scraper would leave them."""
    into.mkdir()
    for page in pages:
        shutil.copyfile(page.path, into / page.name)
    return into


def removed_main_text(pages: Sequence[Page], run: CleanerRun) -> tuple[int, int]:
    """Of the paragraphs the corpus-wide stage removed: how many were main text (a gold
    paragraph, or holding a ``with`` snippet) and how many boilerplate (not in the gold, or
    holding a ``without`` snippet)."""
    by_name = {page.name: page for page in pages}
    main = boiler = 0
    for doc_id, paragraph in run.corpus_removed:
        page = by_name.get(doc_id)
        if page is None:
            continue
        text = f" {' '.join(words(paragraph))} "
        if page.gold:
            gold = f" {' '.join(words(' '.join(page.gold)))} "
            inside = contains(gold, paragraph)
            main += inside
            boiler += not inside
        else:
            main += any(contains(text, s) for s in page.with_)
            boiler += any(contains(text, s) for s in page.without)
    return main, boiler


def evaluate_set(
    console: Console,
    title: str,
    pages: Sequence[Page],
    scorer: Callable[[Sequence[Page], dict[str, str]], Score],
    tmp: Path,
    workers: int,
) -> dict[str, Any]:
    folder = flat_folder(pages, tmp / f"pages-{title}")
    plain, plain_seconds = plain_trafilatura(pages)
    rows: list[tuple[str, Score, str]] = [
        ("trafilatura.extract, defaults", scorer(pages, plain), "")
    ]
    runs = [("document", 10), ("corpus", 10), ("corpus", 3)]
    result: dict[str, Any] = {"pages": len(pages), "plain_seconds": plain_seconds}
    for scope, min_docs in runs:
        run = clean_pages(folder, scope, workers, min_docs)
        name = f"cleaner --scope {scope}" + (
            f" --boilerplate-min-docs {min_docs}" if scope == "corpus" else ""
        )
        note = ""
        if scope == "document":
            extraction = scorer(pages, run.extracted)
            rows.append(("cleaner's extraction alone (before de-duplication)", extraction, ""))
        else:
            main, boiler = removed_main_text(pages, run)
            note = (
                f"{len(run.corpus_removed):,} paragraphs removed across pages"
                f" ({main} main text, {boiler} boilerplate),"
                f" {run.rejects.get('duplicate_document', 0)} duplicate pages"
            )
        if run.rejects.get("no_main_text"):
            note += f"{'; ' if note else ''}{run.rejects['no_main_text']} pages no_main_text"
        rows.append((name, scorer(pages, run.texts), note))
        result[name] = {"seconds": run.seconds, "rejects": dict(run.rejects)}
    table = Table(title=f"{title}: {len(pages)} pages")
    for column in ("system", "precision", "recall", "F1", "notes"):
        table.add_column(column, justify="left" if column in ("system", "notes") else "right")
    table.add_row(
        "trafilatura, published (its own benchmark)",
        *(f"{PUBLISHED[k]:.3f}" for k in ("precision", "recall", "f1")),
        "reference, not measured here",
    )
    for name, score, note in rows:
        table.add_row(
            name, f"{score.precision:.3f}", f"{score.recall:.3f}", f"{score.f1:.3f}", note
        )
        result.setdefault(name, {}).update(
            {"precision": score.precision, "recall": score.recall, "f1": score.f1}
        )
    console.print(table)
    return result


def run(console: Console, args: argparse.Namespace) -> dict[str, Any]:
    """Both sets, scored and printed; the JSON-able result."""
    root = shared_data.data_dir()
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="cleaner-eval-html-") as name:
        tmp = Path(name)
        if (root / FUNDUS).is_dir():
            result["fundus"] = evaluate_set(
                console,
                "fundus_eval_news_html (words)",
                fundus_pages(root),
                score_words,
                tmp,
                args.workers,
            )
        else:
            console.print(f"{FUNDUS} not found in {root}: skipped")
        if (root / TRAFILATURA).is_dir() and shutil.which("tar"):
            pages = trafilatura_pages(root, tmp)
            result["trafilatura"] = evaluate_set(
                console,
                "trafilatura_eval_html (snippets)",
                pages,
                score_snippets,
                tmp,
                args.workers,
            )
        else:
            console.print(f"{TRAFILATURA} not found in {root}: skipped")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    console = Console(width=None)
    started = time.perf_counter()
    run(console, args)
    console.print(f"total {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
