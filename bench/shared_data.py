"""Loaders for the real news corpora in ``../shared/data``, as lists of paragraphs.

The corpora are research-only copies that must never enter the repository, so they are read
from beside it: ``../shared/data`` seen from the repository root, or wherever ``CLEANER_DATA``
points. Every loader yields articles in a fixed order (sorted file names, then file order), so
a seeded sample of them is the same on every machine.

Each loader undoes its corpus's own layout (hard wrapping, indentation, SGML entities, wire
signatures) and yields an article as a plain ``list[str]`` of paragraphs: stripped, non-empty,
single-line. Paragraphs in that form can be written one block each, separated by blank lines,
and read back by ``cleaner`` as exactly the same paragraphs.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

DATA_ENV = "CLEANER_DATA"

BBC = "bbc_news_fulltext"
REUTERS = "reuters21578_sgm"
TELEGRAM = "russian_telegram_news_posts"
CORPORA = (BBC, REUTERS, TELEGRAM)


def data_dir() -> Path:
    """The folder holding the corpora: ``$CLEANER_DATA``, else ``../shared/data``."""
    override = os.environ.get(DATA_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


def available() -> bool:
    """Whether all three corpora are present (a fresh clone has no ``../shared``)."""
    root = data_dir()
    return all((root / name).is_dir() for name in CORPORA)


def missing_message() -> str:
    """One line telling a user why a benchmark did nothing and how to point it at the data."""
    absent = [name for name in CORPORA if not (data_dir() / name).is_dir()]
    return (
        f"corpora not found in {data_dir()} (missing: {', '.join(absent)}); "
        f"set {DATA_ENV} to the folder holding them"
    )


def _join_lines(block: str) -> str:
    """A block's lines as one line: hard wrapping is layout, not content."""
    return " ".join(line.strip() for line in block.splitlines() if line.strip())


def _paragraphs(text: str, indent_starts: bool) -> list[str]:
    """Lines to one-line paragraphs: a blank line ends one, an indented line may begin one.

    Blank means what ``cleaner`` takes it to mean: nothing but whitespace (non-breaking
    spaces too) between two line breaks, so the paragraphs read back as they are given.
    """
    paragraphs: list[list[str]] = [[]]
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or (indent_starts and line[0].isspace()):
            paragraphs.append([])
        if stripped:
            paragraphs[-1].append(stripped)
    return [" ".join(lines) for lines in paragraphs if lines]


def blank_line_paragraphs(text: str) -> list[str]:
    """Paragraphs of a text that separates them by blank lines.

    >>> blank_line_paragraphs("Title\\n\\nFirst line\\nwrapped.\\n \\nNext.")
    ['Title', 'First line wrapped.', 'Next.']
    """
    return _paragraphs(text, indent_starts=False)


def indented_paragraphs(text: str) -> list[str]:
    """Paragraphs of a newswire body: each starts with an indented line or follows a blank one.

    >>> indented_paragraphs("The dry\\nperiod.\\n    It will be\\nlate.\\n")
    ['The dry period.', 'It will be late.']
    """
    return _paragraphs(text, indent_starts=True)


def _read_text(path: Path) -> str:
    """UTF-8, else Latin-1: BBC's ``sport/199.txt`` is the one Latin-1 file (a raw 0xA3 '£')."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def bbc_files() -> list[Path]:
    """The BBC article files, sorted (``bbc/<category>/NNN.txt``)."""
    return sorted((data_dir() / BBC / "bbc").glob("*/*.txt"))


def bbc_documents() -> Iterator[tuple[str, list[str]]]:
    """``(category/NNN.txt, paragraphs)``: the headline as paragraph 0, then the body."""
    root = data_dir() / BBC / "bbc"
    for path in bbc_files():
        paragraphs = blank_line_paragraphs(_read_text(path))
        if paragraphs:
            yield path.relative_to(root).as_posix(), paragraphs


def bbc_articles() -> Iterator[list[str]]:
    """BBC News 2004-05: the headline as paragraph 0, then the body paragraphs."""
    return (paragraphs for _, paragraphs in bbc_documents())


@dataclass(frozen=True)
class ReutersRecord:
    """One ``<REUTERS>`` record that has a body."""

    newid: int
    title: str
    dateline: str
    body: list[str]  # paragraphs, the "Reuter" signature dropped
    date: str = ""  # the <DATE> element as given ("26-FEB-1987 15:01:01.79")


_RECORD = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.DOTALL)
_NEWID = re.compile(r'NEWID="(\d+)"')
_SIGNATURE = re.compile(r"\s*\breuter\b[.\s]*(?:&#3;)?\s*$", re.IGNORECASE)


def _element(record: str, tag: str) -> str:
    found = re.search(rf"<{tag}>(.*?)</{tag}>", record, re.DOTALL)
    return found.group(1) if found else ""


_CONTROL = re.compile(r"&#(?:[0-9]|[12][0-9]|3[01]|127);")


def _body_paragraphs(raw: str) -> list[str]:
    body = _SIGNATURE.sub("", raw.replace("\r", ""))
    # &#2;, &#3;, &#31; ... are wire control codes, not text.
    body = _CONTROL.sub("", body)
    return indented_paragraphs(html.unescape(body))


def reuters_files() -> list[Path]:
    """The 22 SGML files of Reuters-21578, sorted."""
    return sorted((data_dir() / REUTERS / "sgm-data").glob("reut2-*.sgm"))


def reuters_records() -> Iterator[ReutersRecord]:
    """Reuters-21578 (1987) records that have a ``<BODY>``, in file and record order."""
    for path in reuters_files():
        # Latin-1 never fails: the files are ASCII but for one stray 0xFC byte.
        text = path.read_bytes().decode("latin-1")
        for match in _RECORD.finditer(text):
            raw_body = _element(match.group(2), "BODY")
            body = _body_paragraphs(raw_body)
            if not body:
                continue
            newid = _NEWID.search(match.group(1))
            yield ReutersRecord(
                newid=int(newid.group(1)) if newid else -1,
                title=_join_lines(html.unescape(_element(match.group(2), "TITLE"))),
                dateline=_join_lines(html.unescape(_element(match.group(2), "DATELINE"))),
                body=body,
                date=_element(match.group(2), "DATE").strip(),
            )


def reuters_documents() -> Iterator[tuple[str, list[str]]]:
    """``(NEWID=n, body paragraphs)`` of every Reuters record with a body."""
    return ((f"NEWID={record.newid}", record.body) for record in reuters_records())


def reuters_articles() -> Iterator[list[str]]:
    """Reuters-21578 bodies as paragraphs (titles are in :func:`reuters_records`)."""
    return (record.body for record in reuters_records())


def telegram_files() -> list[Path]:
    """One JSON array per channel, sorted."""
    return sorted((data_dir() / TELEGRAM / "raw").glob("*.json"))


def telegram_documents() -> Iterator[tuple[str, list[str]]]:
    """``(<channel file>#<message_id>, paragraphs)`` of every post with text."""
    for path in telegram_files():
        for post in json.loads(path.read_text(encoding="utf-8")):
            text = post.get("text")
            if isinstance(text, str):
                paragraphs = blank_line_paragraphs(text)
                if paragraphs:
                    yield f"{path.stem}#{post.get('message_id')}", paragraphs


def telegram_posts() -> Iterator[list[str]]:
    """Russian Telegram news posts (2023-24); paragraphs are separated by blank lines."""
    return (paragraphs for _, paragraphs in telegram_documents())


# name -> (doc_id, paragraphs) loader, for benchmarks that go over all three corpora
DOCUMENTS: dict[str, Callable[[], Iterator[tuple[str, list[str]]]]] = {
    "bbc": bbc_documents,
    "reuters": reuters_documents,
    "telegram": telegram_documents,
}


# --- Web pages in other languages and styles: the hosts of make eval's "web" set --------------

FUNDUS = "fundus_eval_news_html"
TRAFILATURA = "trafilatura_eval_html"
WEB_LANGUAGES = ("de", "en", "es", "fr", "pl")


def web_available() -> bool:
    root = data_dir()
    return (root / FUNDUS / "ground_truth.json").is_file() and (
        root / TRAFILATURA / "evaldata.json"
    ).is_file()


def fundus_documents() -> Iterator[tuple[str, list[str]]]:
    """``(<publisher>_<n>.html.gz, gold paragraphs)``: 16 English-language publishers' article
    text, extracted by hand paragraph by paragraph, in file-name order."""
    truth = json.loads((data_dir() / FUNDUS / "ground_truth.json").read_text(encoding="utf-8"))
    for name, entry in sorted(truth.items()):
        paragraphs = [_join_lines(p) for p in entry["body"] if p.strip()]
        if paragraphs:
            yield name, paragraphs


@dataclass(frozen=True)
class WebPage:
    """One page of trafilatura's benchmark: where it is, its language, its gold snippets."""

    file: str  # the name evaldata.json gives it
    path: str  # inside the benchmark: cache/<file> or eval/<file> (in eval_html.tar.xz)
    language: str  # the first two letters of its <html lang>
    main_text: tuple[str, ...]  # snippets the main text holds ("with")


def web_pages(per_language: int) -> list[WebPage]:
    """Up to ``per_language`` pages of each of :data:`WEB_LANGUAGES`, by their ``<html lang>``
    (manifest.csv), the first in file-name order."""
    base = data_dir() / TRAFILATURA
    with (base / "manifest.csv").open(encoding="utf-8") as handle:
        manifest = {row["path"].split("/", 1)[1]: row for row in csv.DictReader(handle)}
    evaldata = json.loads((base / "evaldata.json").read_text(encoding="utf-8"))
    chosen: dict[str, list[WebPage]] = {language: [] for language in WEB_LANGUAGES}
    for entry in sorted(evaldata.values(), key=lambda e: e["file"]):
        row = manifest.get(entry["file"])
        language = (row["html_lang"] or "")[:2].lower() if row else ""
        if row and language in chosen and len(chosen[language]) < per_language:
            page = WebPage(entry["file"], row["path"], language, tuple(entry["with"]))
            chosen[language].append(page)
    return [page for pages in chosen.values() for page in pages]
