"""``make eval``: how well ``cleaner`` removes repeated paragraphs, scored on real news.

Clean articles from BBC, Reuters and Telegram get one known defect each: a paragraph copied
exactly, copied with a different rendering (quotes, spaces, entities, mojibake, hard wrapping,
invisible characters inside words), or copied with a small edit (a word changed, a dateline
added, a sentence dropped, a typo: two letters swapped, an OCR misreading, a letter dropped,
doubled or struck for its neighbour, in a common word or a name). Copies are not made of the
lines of a list or a table, whose repeats are their structure. Other cases put two
*different* real paragraphs that look alike (templated wire reports, short one-word variants)
into one article, or a block of structure (a fixture list, a results table, a puzzle's code
examples, a quiz, digest items linking one address), where nothing may go.
Every case is written as a ``.txt`` file, the whole folder goes through the public
``cleaner.clean`` call, and each removal in the output is scored against the truth: removing
an injected copy is a true positive, removing anything else a false positive, and a copy left
in place a miss. Natural paragraphs of the host articles are in play too, so a false positive
on real text counts like any other.

The cases are separate articles, many built from the same host, so the paragraph cases are
cleaned with ``scope="document"``: corpus-wide de-duplication would drop them as duplicate
documents. Corpus-wide de-duplication is scored on its own, on the duplicates the real corpora
hold, by ``bench/evaluate_documents.py``; ``make eval`` prints both (``--part`` picks one).

A second set, the web set (``--hosts web``; ``make eval`` prints both), draws the same defects,
look-alikes and structure from hosts in other languages and styles, each corpus on its own so
that its figures show apart: German, English, Spanish, French and Polish pages of
trafilatura's benchmark as the cleaner extracts them (kept when their main text holds every
snippet the benchmark asks of it), and the gold paragraphs of fundus' 16 English-language
publishers.

Run from the repository root: ``python -m bench.evaluate`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import calendar
import difflib
import itertools
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from random import Random
from typing import Any

from rich.console import Console
from rich.table import Table

import cleaner
from bench import evaluate_documents, harness, shared_data
from bench.defects import DEFECTS, Defect, same
from bench.harness import (
    Example,
    Outcome,
    Removal,
    examples_table,
    f1,
    fmt,
    met,
    run_cleaner,
    share,
    speed_line,
)
from cleaner import fingerprint

DEFAULT_CASES = 120  # per subtype: ~1,700 cases, a few MB, a few seconds of cleaning
MIN_PARAGRAPHS = 3
MAX_PAIRS_PER_GROUP = 3  # look-alike pairs taken from one template
SWEEP_THRESHOLDS = tuple(round(0.5 + 0.05 * i, 2) for i in range(9))
SWEEP_SHINGLES = (1, 2, 3, 4, 5)

CATEGORIES = {
    "exact": "exact",
    "rendering": "rendering",
    "edit": "small edits",
    "negative": "negatives",
}
# (min precision, min recall) per category; negatives must see no removal at all.
TARGETS: dict[str, tuple[float, float | None]] = {
    "exact": (0.999, 0.99),
    "rendering": (0.999, 0.99),
    "edit": (0.99, 0.93),
    "negative": (1.0, None),
}


# --- Articles ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Article:
    corpus: str
    name: str
    paragraphs: tuple[str, ...]
    lead: int  # the first body paragraph: BBC's paragraph 0 is the headline


def load_articles() -> dict[str, list[Article]]:
    """Every article of the three corpora, by corpus, in the loaders' fixed order."""
    return {
        corpus: [
            Article(corpus, name, tuple(paragraphs), 1 if corpus == "bbc" else 0)
            for name, paragraphs in load()
        ]
        for corpus, load in shared_data.DOCUMENTS.items()
    }


@cache
def normalize(paragraph: str) -> str:
    """The cleaner's comparison key, cached: case generation asks for each one many times."""
    return fingerprint.normalize(paragraph)


_WORD = re.compile(r"\w+")


def key_words(paragraph: str) -> list[str]:
    """The words (runs of ``\\w``) of a paragraph's key.

    The cases are chosen with this fixed definition, not the cleaner's tokenizer, so that a
    change to the cleaner changes its scores, never the cases it is scored on.
    """
    return _WORD.findall(normalize(paragraph))


def has_exact_repeat(paragraphs: Sequence[str]) -> bool:
    """A natural exact repeat is a real duplicate: such an article cannot host a clean case."""
    keys = [normalize(p) for p in paragraphs]
    return len(set(keys)) < len(keys)


def clean_pool(articles: Iterable[Article]) -> list[Article]:
    """Articles fit to receive a defect: long enough, and saying nothing twice, exactly or
    by the fixed definition of :func:`self_repeating` (a Telegram post that gives the same
    paragraph again with other markup, a wire story that repeats its lead in two pieces):
    such a repeat is real, so removing it is neither a hit nor a false positive.

    Deliberately *not* filtered with the cleaner's near-duplicate logic: a false positive on
    natural text is a false positive.
    """
    return [
        a
        for a in articles
        if len(a.paragraphs) >= MIN_PARAGRAPHS
        and not has_exact_repeat(a.paragraphs)
        and not self_repeating(a.paragraphs)
    ]


# --- Cases ------------------------------------------------------------------------------------


@dataclass
class Case:
    """One article as written, with the truth about each paragraph."""

    label: str
    corpus: str
    source: str
    paragraphs: list[str]  # one block each; a hard-wrapped copy has several lines
    copies: dict[int, int]  # injected copy's index -> index of the paragraph it copies
    pair: tuple[int, int] | None = None  # a negative's two look-alikes

    @property
    def category(self) -> str:
        return self.label.split("/", 1)[0]


LIST_LINE_WORDS = 10


def list_line(paragraphs: Sequence[str], i: int) -> bool:
    """A line of a list, a table or code: short, beside another short line. A copy of it
    dropped elsewhere in the list is indistinguishable from the list's own repeats (a
    results table's "Avg shrs" row under each period), so copies are not made of it."""

    def short(j: int) -> bool:
        return 0 <= j < len(paragraphs) and len(key_words(paragraphs[j])) < LIST_LINE_WORDS

    return short(i) and (short(i - 1) or short(i + 1))


def _layout_safe(block: str) -> bool:
    """Whether the block reads back as one paragraph: no blank or indented line in it."""
    lines = block.split("\n")
    return all(line.strip() and not line[0].isspace() for line in lines)


def _differs_enough(defect: Defect, original: str, copy: str) -> bool:
    if defect.transform is same:
        return True
    if defect.label.startswith("edit/"):
        return normalize(copy) != normalize(original)
    return copy != original


def inject(article: Article, defect: Defect, rng: Random) -> Case | None:
    """The article with one copy of one of its paragraphs, or None when the defect can't apply."""
    paragraphs = list(article.paragraphs)
    n = len(paragraphs)
    indices = [article.lead] if defect.source == "lead" else rng.sample(range(n), n)
    for i in indices:
        if i >= n or len(key_words(paragraphs[i])) < defect.min_words:
            continue
        if defect.placement != "next" and list_line(paragraphs, i):
            continue  # a list's line repeated elsewhere in it is its structure (negatives)
        if defect.placement == "later" and i > n - 2:
            continue
        copy = defect.transform(paragraphs[i], paragraphs, rng)
        if copy is None or not _differs_enough(defect, paragraphs[i], copy):
            continue
        if not _layout_safe(copy):
            continue
        if defect.placement == "next":
            at = i + 1
        elif defect.placement == "later":
            at = rng.randint(i + 2, n)
        else:
            at = rng.randint(i + 1, n)
        paragraphs.insert(at, copy)
        return Case(defect.label, article.corpus, article.name, paragraphs, {at: i})
    return None


def copy_cases(
    defect: Defect, pools: dict[str, list[Article]], count: int, seed: int
) -> list[Case]:
    """``count`` cases of one defect, drawn in turn from each corpus where it applies."""
    rng = Random(f"{seed}/{defect.label}")
    queues = {corpus: iter(rng.sample(pool, len(pool))) for corpus, pool in pools.items()}
    cases: list[Case] = []
    while queues:
        for corpus in list(queues):
            if len(cases) == count:
                return cases
            case = _first_injectable(queues[corpus], defect, rng)
            if case is None:
                del queues[corpus]  # e.g. mojibake in all-ASCII Reuters: nothing to break
            else:
                cases.append(case)
    return cases


def _first_injectable(
    queue: Iterator[Article], defect: Defect, rng: Random, tries: int = 500
) -> Case | None:
    for _, article in zip(range(tries), queue, strict=False):
        case = inject(article, defect, rng)
        if case is not None:
            return case
    return None


# --- Negatives: real paragraphs that look alike but are different news ------------------------

Ref = tuple[int, int]  # (article index, paragraph index)
# A capitalised word or a <Company Name> that follows a space: not the paragraph's first word.
_NAME = re.compile(r"(?<=\s)(?:<[^>]+>|[A-Z][\w&'.-]*)")
_DIGIT = re.compile(r"\d")
# Capitalised but not names: a pair differing in these differs in a date, like a figure.
_CALENDAR = frozenset(
    [*calendar.month_name[1:], *calendar.month_abbr[1:], "Sept", *calendar.day_name]
)


def figures_key(paragraph: str) -> Iterator[str]:
    """The paragraph with every digit as ``#``: templated reports share it."""
    key = normalize(paragraph)
    if _DIGIT.search(key):
        yield _DIGIT.sub("#", key)


def names_key(paragraph: str) -> Iterator[str]:
    """The paragraph (6+ words) with each name (a capitalised word after the first) masked."""
    if len(key_words(paragraph)) >= 6:
        masked = _NAME.sub(_mask_name, paragraph)
        if masked != paragraph:
            yield normalize(masked)


def _mask_name(match: re.Match[str]) -> str:
    # A private-use character: no text has it, unlike a placeholder word ("Full name ...").
    return match.group() if match.group().rstrip(".,;:") in _CALENDAR else "\ue000"


def one_word_keys(paragraph: str) -> Iterator[str]:
    """Keys of a short paragraph (3-10 words) with one word left out, figures as ``#``.

    Two paragraphs sharing such a key differ in that one word (and perhaps figures).
    """
    found = key_words(paragraph)
    if not 3 <= len(found) <= 10:
        return
    tokens = [_DIGIT.sub("#", w) for w in found]
    for j, token in enumerate(tokens):
        if token.isalpha():
            yield f"{j}|{' '.join(tokens[:j])}|{' '.join(tokens[j + 1 :])}|{len(tokens)}"


@dataclass(frozen=True)
class Lookalike:
    label: str
    corpora: tuple[str, ...]
    keys: Callable[[str], Iterator[str]]
    one_word: bool = False  # the pair must differ in the wildcarded word itself


LOOKALIKES = (
    Lookalike("negative/templated-figures", ("reuters",), figures_key),
    Lookalike("negative/templated-names", ("reuters",), names_key),
    Lookalike("negative/short-one-word", ("reuters", "bbc"), one_word_keys, one_word=True),
)


def lookalike_groups(articles: Sequence[Article], lookalike: Lookalike) -> list[list[Ref]]:
    """Groups of paragraphs sharing a key, from 2+ articles with 2+ different texts."""
    groups: dict[str, list[Ref]] = defaultdict(list)
    for a, article in enumerate(articles):
        for p, paragraph in enumerate(article.paragraphs):
            for key in lookalike.keys(paragraph):
                groups[key].append((a, p))
    return [
        refs
        for refs in groups.values()
        if len({a for a, _ in refs}) > 1
        and len({normalize(articles[a].paragraphs[p]) for a, p in refs}) > 1
    ]


def _long_keys(article: Article) -> set[str]:
    return {k for k in map(normalize, article.paragraphs) if len(k.split()) >= 8}


def changed_words(x: Sequence[str], y: Sequence[str]) -> list[tuple[str, str]]:
    """The words two paragraphs differ in, aligned; one without a counterpart pairs with ""."""
    pairs: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, x, y, autojunk=False).get_opcodes():
        if op != "equal":
            pairs.extend(itertools.zip_longest(x[i1:i2], y[j1:j2], fillvalue=""))
    return pairs


def variant(u: str, v: str) -> bool:
    """Two spellings of one word ("qtly"/"qtrly", "ECU"/"ECUs", "divs"/"dividends"), or a
    misspelling of a long word ("poreferred"/"preferred")."""
    if not (u and v) or u.isdigit() or v.isdigit():
        return False
    misspelt = min(len(u), len(v)) >= 5 and difflib.SequenceMatcher(None, u, v).ratio() >= 0.85
    return u[:2] == v[:2] or misspelt


def distinct_pair(articles: Sequence[Article], first: Ref, second: Ref, one_word: bool) -> bool:
    """Whether two look-alikes are really different paragraphs of different stories.

    They must differ in more than spelling, and come from articles that share no other
    paragraph: wire re-sends and corrections of one story do, and a pair from them may be
    the same news, which is no fair negative.
    """
    (a, p), (b, q) = first, second
    wx, wy = key_words(articles[a].paragraphs[p]), key_words(articles[b].paragraphs[q])
    if a == b or _long_keys(articles[a]) & _long_keys(articles[b]):
        return False
    if all(variant(u, v) for u, v in changed_words(wx, wy)):
        return False
    if one_word:  # grouped by position, so the lists align word for word
        changed = [(u, v) for u, v in zip(wx, wy, strict=True) if u != v and not u.isdigit()]
        return (
            len(changed) == 1 and all(w.isalpha() for w in changed[0]) and not variant(*changed[0])
        )
    return True


def negative_case(
    articles: Sequence[Article], first: Ref, second: Ref, rng: Random, label: str
) -> Case | None:
    """``first``'s article with ``second`` inserted after it, or None if that isn't clean."""
    host = articles[first[0]]
    other = articles[second[0]].paragraphs[second[1]]
    if has_exact_repeat([*host.paragraphs, other]):
        return None
    paragraphs = list(host.paragraphs)
    at = rng.randint(first[1] + 1, len(paragraphs))
    paragraphs.insert(at, other)
    source = f"{host.name} + {articles[second[0]].name}"
    return Case(label, host.corpus, source, paragraphs, {}, (first[1], at))


def negative_cases(
    lookalike: Lookalike, articles: dict[str, list[Article]], count: int, seed: int
) -> list[Case]:
    """``count`` articles each holding a pair of look-alikes.

    Groups take turns, one new pair each per round and at most ``MAX_PAIRS_PER_GROUP`` in
    all, so a few big templates cannot fill the sample while a small supply of groups (there
    are few name-only variants) still gives more than one case each.
    """
    rng = Random(f"{seed}/{lookalike.label}")
    pool = [a for corpus in lookalike.corpora for a in articles[corpus]]
    groups = lookalike_groups(pool, lookalike)
    rng.shuffle(groups)
    cases: list[Case] = []
    used: set[tuple[Ref, Ref]] = set()
    for _ in range(MAX_PAIRS_PER_GROUP):
        before = len(cases)
        for group in groups:
            if len(cases) >= count:
                break
            case = _pair_case(pool, group, lookalike, rng, used)
            if case is not None:
                cases.append(case)
        if len(cases) == before:
            break
    return cases


def _pair_case(
    pool: Sequence[Article],
    group: list[Ref],
    lookalike: Lookalike,
    rng: Random,
    used: set[tuple[Ref, Ref]],
    tries: int = 20,
) -> Case | None:
    for _ in range(tries):
        first, second = rng.sample(group, 2)
        if (first, second) in used or not distinct_pair(pool, first, second, lookalike.one_word):
            continue
        case = negative_case(pool, first, second, rng, lookalike.label)
        if case is not None:
            used.add((first, second))
            return case
    return None


# --- Negatives: structure, short lines a list, a table, code or a quiz repeats ---------------

_CAPITALISED = re.compile(r"\b[A-ZА-ЯЁ][a-zа-яё]{2,}\b")
REFRAINS = (
    "Winners meet in final match",
    "Winner advances to the semi-finals",
    "Победители встретятся в финале",
    "Match postponed",
)
QUIZ_CHOICES = (("A) Yes", "B) No"), ("А) Да", "Б) Нет"), ("1) True", "2) False"))


def _names(article: Sequence[str], rng: Random, count: int) -> list[str]:
    found = list(dict.fromkeys(m.group() for p in article for m in _CAPITALISED.finditer(p)))
    spare = ("Arsenal", "Leeds", "Zenit", "Spartak", "Porto", "Lazio", "Ajax", "Celtic")
    found += [w for w in spare if w not in found]
    return rng.sample(found, count)


def fixtures(article: Sequence[str], rng: Random) -> list[str]:
    """A fixture list: pairs of teams, each group closed by the same line."""
    teams = _names(article, rng, 8)
    refrain = rng.choice(REFRAINS)
    lines: list[str] = []
    for g in range(0, 8, 4):
        lines += [f"{teams[g]} v {teams[g + 1]}", f"{teams[g + 2]} v {teams[g + 3]}", refrain]
    return lines


def results_table(article: Sequence[str], rng: Random) -> list[str]:
    """A results table: each period lists the same rows, the average shares unchanged."""
    shares = f"Avg shrs {rng.randint(2, 90)}.{rng.randint(0, 9)} mln vs {rng.randint(2, 90)} mln"
    lines: list[str] = []
    for period in ("Qtr", rng.choice(("Nine mths", "Year", "Six mths"))):
        lines += [
            period,
            f"Shr {rng.randint(1, 99)} cts vs {rng.randint(1, 99)} cts",
            f"Net {rng.randint(100, 999)},000 vs {rng.randint(100, 999)},000",
            shares,
        ]
    return lines


def code_examples(article: Sequence[str], rng: Random) -> list[str]:
    """A puzzle's examples: the same input lines, other words and another answer."""
    a, b = rng.sample(["cat", "dog", "cot", "bat", "dot", "car"], 2)
    return [
        "Example 1:",
        f'D = ["{a}", "cot", "dot", "{b}", "bat"]',
        f's = "{a}"',
        f't = "{b}"',
        f"Output: the shortest chain from '{a}' to '{b}' has length {rng.randint(2, 6)}",
        "Example 2:",
        f'D = ["{a}", "cot", "bat"]',
        f's = "{a}"',
        f't = "{b}"',
        f"Output: the shortest chain from '{a}' to '{b}' has length: impossible",
    ]


def quiz(article: Sequence[str], rng: Random) -> list[str]:
    """A quiz: the same choices under each question, the answers differ."""
    yes, no = rng.choice(QUIZ_CHOICES)
    names = _names(article, rng, 2)
    return [
        f"Question 1: Did {names[0]} win?",
        yes,
        no,
        f"Answer: {yes}",
        f"Question 2: Did {names[1]} win?",
        yes,
        no,
        f"Answer: {no}",
    ]


DIGEST_ITEMS = (
    "{0} signs a new coach for next season",
    "What {0} said about the budget vote",
    "{0} opens its new stadium to fans",
    "Почему {0} отказался от сделки",
    "{0}: главное за неделю",
)


def digest(article: Sequence[str], rng: Random) -> list[str]:
    """A digest: items of their own that link the same long address."""
    url = f"https://t.me/newsdigest_{rng.randint(100, 999)}/{rng.randint(10000, 99999)}?single"
    first, second = _names(article, rng, 2)
    one, other = rng.sample(DIGEST_ITEMS, 2)
    return [f"{one.format(first)} — [read]({url})", f"{other.format(second)} — [read]({url})"]


def self_repeating(paragraphs: Sequence[str]) -> bool:
    """Whether a host says something twice: most words of one paragraph (8 or more), in
    order, within another. Such a host's natural repeat is judged by the copy cases; a
    negative about structure needs a host that has none."""
    found = [key_words(p) for p in paragraphs]
    for x, y in itertools.permutations(found, 2):
        if 8 <= len(x) <= len(y):
            blocks = difflib.SequenceMatcher(None, x, y, autojunk=False).get_matching_blocks()
            if sum(b.size for b in blocks) >= 0.8 * len(x):
                return True
    return False


STRUCTURES: dict[str, Callable[[Sequence[str], Random], list[str]]] = {
    "negative/list-fixtures": fixtures,
    "negative/table-rows": results_table,
    "negative/code-examples": code_examples,
    "negative/quiz": quiz,
    "negative/digest-same-link": digest,
}


def structure_cases(
    pools: dict[str, list[Article]],
    count: int,
    seed: int,
    corpora: Sequence[str] = ("bbc", "reuters", "telegram"),
) -> list[Case]:
    """``count`` articles per kind with a block of structure inserted between paragraphs."""
    cases: list[Case] = []
    hosts = [a for corpus in corpora for a in pools[corpus]]
    for label, make in STRUCTURES.items():
        rng = Random(f"{seed}/{label}")
        chosen = (h for h in rng.sample(hosts, len(hosts)) if not self_repeating(h.paragraphs))
        for host in itertools.islice(chosen, count):
            block = make(host.paragraphs, rng)
            at = rng.randint(1, len(host.paragraphs))
            paragraphs = [*host.paragraphs[:at], *block, *host.paragraphs[at:]]
            if not has_exact_repeat([*host.paragraphs, *set(block)]):
                cases.append(Case(label, host.corpus, host.name, paragraphs, {}))
    return cases


def generate(articles: dict[str, list[Article]], count: int, seed: int) -> list[Case]:
    """All cases: ``count`` per subtype, the same for the same seed on every machine."""
    pools = {corpus: clean_pool(items) for corpus, items in articles.items()}
    cases = [case for defect in DEFECTS for case in copy_cases(defect, pools, count, seed)]
    for lookalike in LOOKALIKES:
        cases.extend(negative_cases(lookalike, articles, count, seed))
    cases.extend(structure_cases(pools, count, seed))
    return cases


# --- The web set: other languages and styles -------------------------------------------------

WEB_CASES = 30  # per subtype and host corpus: ~3,000 cases
WEB_PAGES_PER_LANGUAGE = 60  # pages of trafilatura's benchmark extracted per language


def load_web_articles(workers: int) -> dict[str, list[Article]]:
    """Hosts in other languages and styles, by corpus: ``fundus`` (the gold paragraphs of 16
    English-language publishers) and ``web-<language>`` (German, English, Spanish, French and
    Polish pages of trafilatura's benchmark, as the cleaner extracts and splits them, kept when
    their main text holds every snippet the benchmark says it must)."""
    articles = {
        "fundus": [
            Article("fundus", name, tuple(paragraphs), 0)
            for name, paragraphs in shared_data.fundus_documents()
        ]
    }
    pages = shared_data.web_pages(WEB_PAGES_PER_LANGUAGE)
    base = shared_data.data_dir() / shared_data.TRAFILATURA
    with tempfile.TemporaryDirectory(prefix="cleaner-eval-web-") as tmp:
        folder = Path(tmp) / "pages"
        folder.mkdir()
        archived = [f"eval/{page.file}" for page in pages if page.path.startswith("eval/")]
        if archived:
            command = ["tar", "xJf", str(base / "eval_html.tar.xz"), "-C", tmp, *archived]
            subprocess.run(command, check=True)
        for page in pages:
            source = base / page.path if page.path.startswith("cache/") else Path(tmp) / page.path
            shutil.copyfile(source, folder / page.file)
        outcome = run_cleaner(folder, cleaner.DedupOptions(scope="document"), workers)
    for page in pages:
        document = outcome.documents.get(page.file)
        if document is None:
            continue
        paragraphs = tuple(document.paragraphs_in)
        text = f" {' '.join(w for p in paragraphs for w in _WORD.findall(p.casefold()))} "
        snippets = (" ".join(_WORD.findall(s.casefold())) for s in page.main_text)
        if all(f" {snippet} " in text for snippet in snippets if snippet):
            corpus = f"web-{page.language}"
            articles.setdefault(corpus, []).append(Article(corpus, page.file, paragraphs, 0))
    return articles


def has_word_repeat(paragraphs: Sequence[str]) -> bool:
    """Two paragraphs of the same words, punctuation aside: a web page's heading given again
    in its table of contents ("Seite 1 \\ A wie Anno" and "Seite 1 A wie Anno") is a real
    repeat, so such a page hosts no case."""
    found = [tuple(key_words(p)) for p in paragraphs]
    return len(set(found)) < len(found)


def generate_web(articles: dict[str, list[Article]], count: int, seed: int) -> list[Case]:
    """The web set's cases: ``count`` per subtype from each host corpus, look-alikes and
    structure included, from hosts that say nothing twice."""
    pools = {
        corpus: [a for a in clean_pool(items) if not has_word_repeat(a.paragraphs)]
        for corpus, items in articles.items()
    }
    cases: list[Case] = []
    for corpus, pool in sorted(pools.items()):
        cases.extend(
            c for defect in DEFECTS for c in copy_cases(defect, {corpus: pool}, count, seed)
        )
        for lookalike in LOOKALIKES:
            own = Lookalike(lookalike.label, (corpus,), lookalike.keys, lookalike.one_word)
            cases.extend(negative_cases(own, {corpus: pool}, count, seed))
        cases.extend(structure_cases(pools, max(1, count // 3), seed, (corpus,)))
    return cases


def corpus_table(scores: Scores) -> Table:
    """Each subtype's recall per host corpus (copies found of copies made), with the false
    positives when there are any; for negatives, the removals among the cases."""
    table = Table(title="By host corpus: found/copies (+ false positives)", title_justify="left")
    found_corpora = sorted({corpus for corpus, _ in scores.by_corpus})
    table.add_column("subtype")
    for corpus in found_corpora:
        table.add_column(corpus, justify="right")
    for label in sorted({label for _, label in scores.by_corpus}, key=_label_order):
        cells = []
        for corpus in found_corpora:
            tally = scores.by_corpus.get((corpus, label))
            if tally is None:
                cells.append("-")
            elif label.startswith("negative/"):
                cells.append(f"{tally.removed} of {tally.cases}")
            else:
                extra = f" +{tally.false_positives}" if tally.false_positives else ""
                cells.append(f"{tally.true_positives}/{tally.copies}{extra}")
        table.add_row(label, *cells)
    return table


# --- Running the cleaner ----------------------------------------------------------------------


def case_file(number: int, case: Case) -> str:
    return f"{number:05d}_{case.label.replace('/', '_')}.txt"


def write_cases(cases: Sequence[Case], folder: Path) -> dict[str, Case]:
    """One ``.txt`` per case, paragraphs separated by blank lines; returns doc_id -> case."""
    by_id: dict[str, Case] = {}
    for number, case in enumerate(cases):
        name = case_file(number, case)
        (folder / name).write_text("\n\n".join(case.paragraphs) + "\n", encoding="utf-8")
        by_id[name] = case
    return by_id


# --- Scoring ----------------------------------------------------------------------------------


@dataclass
class Tally:
    cases: int = 0
    copies: int = 0
    removed: int = 0
    true_positives: int = 0
    corpora: dict[str, int] = field(default_factory=dict)

    @property
    def false_positives(self) -> int:
        return self.removed - self.true_positives

    @property
    def misses(self) -> int:
        return self.copies - self.true_positives

    @property
    def precision(self) -> float | None:
        return share(self.true_positives, self.removed)

    @property
    def recall(self) -> float | None:
        return share(self.true_positives, self.copies)

    @property
    def f1(self) -> float | None:
        return f1(self.precision, self.recall)

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "false_positives": self.false_positives,
            "misses": self.misses,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


@dataclass
class Scores:
    categories: dict[str, Tally]
    subtypes: dict[str, Tally]
    false_positives: list[Example]
    misses: list[Example]
    mismatched: list[str]  # cases the cleaner split into a different number of paragraphs
    unread: list[str]  # cases missing from the corpus (rejected)
    by_corpus: dict[tuple[str, str], Tally] = field(default_factory=dict)  # (corpus, label)


def similarity(a: str, b: str, k: int) -> tuple[float, str]:
    """A pair measured as the cleaner documents its test, to explain a miss to a reader.

    Exact Jaccard of the sets of ``k``-word shingles of the two keys (the cleaner's own
    ``shingles``), and whether the figures of one (its ``numbers``) appear, in order, among
    those of the other. Strings, not the cleaner's hashes: the verdict stays the cleaner's.
    """
    ka, kb = normalize(a), normalize(b)
    if ka == kb:
        return 1.0, "same key"
    x, y = set(fingerprint.shingles(ka, k)), set(fingerprint.shingles(kb, k))
    value = len(x & y) / len(x | y) if x | y else 0.0
    fx, fy = fingerprint.numbers(ka), fingerprint.numbers(kb)
    short, long = (fx, fy) if len(fx) <= len(fy) else (fy, fx)
    rest = iter(long)
    agree = all(figure in rest for figure in short)
    return value, "figures agree" if agree else "figures differ"


def score(cases: dict[str, Case], outcome: Outcome, shingle_size: int) -> Scores:
    """Each removal labelled against the truth: a true positive when it removes an injected
    copy, a false positive otherwise; an injected copy left in is a miss."""
    categories: dict[str, Tally] = defaultdict(Tally)
    subtypes: dict[str, Tally] = defaultdict(Tally)
    scores = Scores(categories, subtypes, [], [], [], [])
    for doc_id, case in cases.items():
        document = outcome.documents.get(doc_id)
        if document is None:
            scores.unread.append(doc_id)
            continue
        if len(document.paragraphs_in) != len(case.paragraphs):
            scores.mismatched.append(doc_id)
            continue
        removed = {r.index: r for r in document.removed}
        hits = len(removed.keys() & case.copies.keys())
        in_corpus = scores.by_corpus.setdefault((case.corpus, case.label), Tally())
        for tally in (categories[case.category], subtypes[case.label], in_corpus):
            tally.cases += 1
            tally.copies += len(case.copies)
            tally.removed += len(removed)
            tally.true_positives += hits
            tally.corpora[case.corpus] = tally.corpora.get(case.corpus, 0) + 1
        _collect_examples(scores, doc_id, case, document.paragraphs_in, removed, shingle_size)
    return scores


def _collect_examples(
    scores: Scores,
    doc_id: str,
    case: Case,
    text: list[str],
    removed: dict[int, Removal],
    shingle_size: int,
) -> None:
    for index, removal in sorted(removed.items()):
        if index not in case.copies:
            other = removal.repeats_index
            note = f"{removal.reason}\n{_role(case, index)}\nfor {_role(case, other)}"
            figures: dict[str, float | None] = {"similarity": removal.similarity}
            example = Example(
                "false positive", case.label, doc_id, text[index], text[other], figures, note
            )
            scores.false_positives.append(example)
    for copy, original in sorted(case.copies.items()):
        if copy not in removed:
            value, why = similarity(text[copy], text[original], shingle_size)
            figures = {"similarity": value}
            example = Example("miss", case.label, doc_id, text[copy], text[original], figures, why)
            scores.misses.append(example)


def _role(case: Case, index: int) -> str:
    if index in case.copies:
        return f"copy #{index}"
    if case.pair and index in case.pair:
        return f"look-alike #{index}"
    return f"natural #{index}"


# --- Reporting --------------------------------------------------------------------------------


def target_text(category: str) -> str:
    precision, recall = TARGETS[category]
    if recall is None:
        return "no removals"
    return f"P≥{precision:g} R≥{recall:g}"


def target_met(category: str, tally: Tally) -> bool:
    precision, recall = TARGETS[category]
    if recall is None:
        return tally.removed == 0
    return (tally.precision or 0.0) >= precision and (tally.recall or 0.0) >= recall


def category_table(scores: Scores, dedup: cleaner.DedupOptions) -> Table:
    table = Table(
        title=f"Paragraph de-duplication, threshold={dedup.threshold} "
        f"shingle_size={dedup.shingle_size}",
        title_justify="left",
    )
    for column in ("category", "cases", "copies", "removed", "FP", "missed"):
        table.add_column(column, justify="left" if column == "category" else "right")
    for column in ("precision", "recall", "F1", "target", "met"):
        table.add_column(column, justify="right")
    for category, title in CATEGORIES.items():
        tally = scores.categories.get(category, Tally())
        table.add_row(
            title,
            *_counts(tally),
            fmt(tally.precision),
            fmt(tally.recall),
            fmt(tally.f1),
            target_text(category),
            met(target_met(category, tally)),
        )
    return table


def _counts(tally: Tally) -> list[str]:
    return [
        str(tally.cases),
        str(tally.copies),
        str(tally.removed),
        str(tally.false_positives),
        str(tally.misses),
    ]


def subtype_table(scores: Scores) -> Table:
    table = Table(title="By subtype", title_justify="left")
    for column in ("subtype", "cases", "copies", "removed", "FP", "missed"):
        table.add_column(column, justify="left" if column == "subtype" else "right")
    for column in ("precision", "recall", "corpora"):
        table.add_column(column, justify="right" if column != "corpora" else "left")
    for label in sorted(scores.subtypes, key=_label_order):
        tally = scores.subtypes[label]
        corpora_text = " ".join(f"{c} {n}" for c, n in sorted(tally.corpora.items()))
        table.add_row(label, *_counts(tally), fmt(tally.precision), fmt(tally.recall), corpora_text)
    return table


def _label_order(label: str) -> tuple[int, str]:
    return list(CATEGORIES).index(label.split("/")[0]), label


def report(
    console: Console, scores: Scores, outcome: Outcome, dedup: cleaner.DedupOptions, show: int
) -> None:
    console.print(category_table(scores, dedup))
    console.print(subtype_table(scores))
    if scores.mismatched or scores.unread:
        console.print(
            f"[red]{len(scores.mismatched)} case(s) read back with a different paragraph count "
            f"and {len(scores.unread)} missing from the corpus; not scored: "
            f"{', '.join((scores.mismatched + scores.unread)[:5])}[/red]"
        )
    if show:
        for title, found, columns in (
            (
                "False positives",
                scores.false_positives,
                ("removed", "kept paragraph it was taken for"),
            ),
            ("Misses", scores.misses, ("copy left in", "original it copies")),
        ):
            if found:
                console.print(examples_table(title, found, show, columns, _label_order))
    console.print(speed_line(outcome))


def scores_json(
    scores: Scores, outcome: Outcome, dedup: cleaner.DedupOptions, examples: bool = True
) -> dict[str, Any]:
    """The scores as plain data, with every false positive and miss if ``examples``."""
    result = {
        "options": asdict(dedup),
        "categories": {c: t.as_dict() for c, t in scores.categories.items()},
        "subtypes": {s: t.as_dict() for s, t in scores.subtypes.items()},
        "mismatched": scores.mismatched,
        "unread": scores.unread,
        "seconds": outcome.seconds,
        "megabytes": outcome.megabytes,
    }
    if examples:
        result["false_positives"] = [asdict(e) for e in scores.false_positives]
        result["misses"] = [asdict(e) for e in scores.misses]
    return result


def sweep(
    console: Console, folder: Path, cases: dict[str, Case], workers: int, containment: float
) -> list[dict[str, Any]]:
    """Every threshold x shingle size on the same cases, one compact row each."""

    def measure(setting: tuple[int, float]) -> tuple[list[str], dict[str, Any]]:
        k, threshold = setting
        dedup = cleaner.DedupOptions(
            threshold=threshold, shingle_size=k, containment=containment, scope="document"
        )
        outcome = run_cleaner(folder, dedup, workers)
        scores = score(cases, outcome, k)
        tallies = {c: scores.categories.get(c, Tally()) for c in CATEGORIES}
        cells = [_pr(tallies[c]) for c in ("exact", "rendering", "edit")]
        targets = "".join(CATEGORIES[c][0] if target_met(c, t) else "·" for c, t in tallies.items())
        negatives = str(tallies["negative"].removed)
        row = [str(k), f"{threshold:.2f}", *cells, negatives, targets, f"{outcome.seconds:.1f}"]
        return row, scores_json(scores, outcome, dedup, examples=False)

    return harness.sweep(
        console,
        "Sweep: precision/recall per category, removals among negatives, "
        "targets met (e=exact r=rendering s=small edits n=negatives), cleaner seconds",
        ("k", "threshold", "exact", "rendering", "small edits", "negatives", "met", "s"),
        [(k, t) for k in SWEEP_SHINGLES for t in SWEEP_THRESHOLDS],
        measure,
    )


def _pr(tally: Tally) -> str:
    return f"{fmt(tally.precision)}/{fmt(tally.recall)}"


# --- Command line -----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = harness.parser(__doc__)
    parser.add_argument("--cases", type=int, default=DEFAULT_CASES, help="cases per subtype")
    parser.add_argument(
        "--sweep",
        action="store_true",
        help=f"score thresholds {SWEEP_THRESHOLDS[0]}..{SWEEP_THRESHOLDS[-1]} x shingle sizes "
        f"{SWEEP_SHINGLES[0]}..{SWEEP_SHINGLES[-1]} on the same cases",
    )
    parser.add_argument(
        "--hosts",
        choices=("all", "news", "web"),
        default="all",
        help="paragraph cases from BBC, Reuters and Telegram (news), from web pages in five "
        "languages and 16 publishers' gold text (web), or both (default)",
    )
    parser.add_argument(
        "--web-cases",
        type=int,
        default=WEB_CASES,
        help=f"web set: cases per subtype and host corpus (default {WEB_CASES})",
    )
    parser.add_argument(
        "--part",
        choices=("all", "paragraphs", "documents"),
        default="all",
        help="score paragraph de-duplication, document de-duplication, or both (default)",
    )
    evaluate_documents.add_arguments(parser)
    args = parser.parse_args(argv)
    if not 0.0 <= args.threshold <= 1.0 or args.shingle_size < 1 or args.cases < 1:
        parser.error("need 0 <= --threshold <= 1, --shingle-size >= 1 and --cases >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    parts = {"paragraphs": paragraphs, "documents": evaluate_documents.run}
    chosen = [(name, part) for name, part in parts.items() if args.part in ("all", name)]
    return harness.main(args, chosen, width=140)


def paragraphs(console: Console, args: argparse.Namespace) -> Any:
    """The paragraph-level cases: generate, clean, score and print; the JSON-able result (the
    web set's under ``"web"``)."""
    result: dict[str, Any] = {}
    if args.hosts in ("all", "news"):
        started = time.perf_counter()
        cases = generate(load_articles(), args.cases, args.seed)
        console.print(
            f"{len(cases)} cases from seed {args.seed} in {time.perf_counter() - started:.1f} s"
        )
        if args.sweep:
            return _sweep_cases(console, cases, args)
        result = _clean_and_score(console, cases, args)
    if args.hosts in ("all", "web") and not args.sweep:
        if not shared_data.web_available():
            console.print("web set skipped: fundus_eval_news_html or trafilatura_eval_html absent")
            return result
        started = time.perf_counter()
        cases = generate_web(load_web_articles(args.workers), args.web_cases, args.seed)
        console.print(
            f"\nWeb set: {len(cases)} cases from seed {args.seed} (hosts in German, English, "
            f"Spanish, French, Polish, and fundus' publishers) in "
            f"{time.perf_counter() - started:.1f} s"
        )
        result["web"] = _clean_and_score(console, cases, args, by_corpus=True)
    return result


def _options(args: argparse.Namespace) -> cleaner.DedupOptions:
    return cleaner.DedupOptions(
        threshold=args.threshold,
        shingle_size=args.shingle_size,
        containment=args.containment,
        scope="document",
    )


def _sweep_cases(console: Console, cases: Sequence[Case], args: argparse.Namespace) -> Any:
    with tempfile.TemporaryDirectory(prefix="cleaner-eval-") as tmp:
        by_id = write_cases(cases, Path(tmp))
        return sweep(console, Path(tmp), by_id, args.workers, args.containment)


def _clean_and_score(
    console: Console, cases: Sequence[Case], args: argparse.Namespace, by_corpus: bool = False
) -> dict[str, Any]:
    dedup = _options(args)
    with tempfile.TemporaryDirectory(prefix="cleaner-eval-") as tmp:
        by_id = write_cases(cases, Path(tmp))
        outcome = run_cleaner(Path(tmp), dedup, args.workers)
    scores = score(by_id, outcome, dedup.shingle_size)
    report(console, scores, outcome, dedup, args.show)
    if by_corpus:
        console.print(corpus_table(scores))
    return scores_json(scores, outcome, dedup)


if __name__ == "__main__":
    sys.exit(main())
