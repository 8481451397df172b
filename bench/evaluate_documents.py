"""``make eval``, document level: corpus-wide de-duplication, scored on real duplicates.

The evaluation folder is built in a temporary directory from the real corpora, saved the way a
scraper saves them, and goes through the public ``cleaner.clean`` call once as a whole run:

- ``bbc/<category>/NNN.txt``: every BBC article, its bytes as they are (headline, blank line,
  paragraphs; ``sport/199.txt`` stays Latin-1).
- ``reuters/reut2-NNN.jsonl``: one JSON Lines file per SGML file, one record per ``<REUTERS>``
  record with a body: ``id`` (NEWID), ``date``, ``title`` and ``text`` (the title, a blank line,
  the body paragraphs separated by blank lines; the "Reuter" signature dropped).
- ``telegram/<channel>.jsonl``: one record per post with text: ``id`` (message_id), ``date``,
  ``channel`` and ``text`` (the post's Markdown as it is).
- ``updates/<corpus>-NNN.txt``: injected, drawn with ``--seed``: 50 articles of 80 words or
  more from each of BBC, Reuters and Telegram scraped again after an update (one to three
  common words changed, a note with a time or a date before or after it, in one of 14
  phrasings in five languages), each labelled with its original (``updates/rescrape``).
- ``updates/revised-<corpus>-NNN.txt``: injected, drawn with ``--seed``: 50 articles of five
  paragraphs or more from each corpus scraped again after an update that went inside the
  story: a paragraph of another article of the corpus inserted, or one of its paragraphs
  removed, or the note put under the headline or between two paragraphs; never the headline,
  and the paragraph added or removed at most a fifth of the article's words; with one to three
  common words changed (``updates/revised``). And,
  stuck to 30 real documents each (40 words or more), six fixed footers that carry a year, a
  time or a phone number (copyright, "Updated 10:42 GMT", contact, legal lines; English and
  Russian), and four dated anew in each document (an "Updated" line with its time and date in
  English, German and Russian, a copyright line with its year), which label boilerplate as the
  channel footers do.
- ``charset/<encoding>/<name>.txt``: every file of the Cyrillic folders of
  ``charset_dataset_multiencoding`` (cp1251, KOI8-R, ISO-8859-5, IBM866, Mac-Cyrillic, IBM855,
  KZ-1048, PTCP154), its bytes as they are, ``.txt`` added to names that lack it.

Truth, computed mechanically from the sources (never with the cleaner's measure). A *labelled*
pair must end in one cluster; a *related* pair is the same story but not a near-duplicate text
and is neither required nor penalised; a *negative* pair must not cluster.

- **BBC byte-identical** (labelled): the groups of ``exact_duplicate_groups.csv`` (sha256).
- **Reuters identical bodies** (labelled): records whose bodies are equal after whitespace
  normalisation. Except a short body (under 25 words) under titles naming different tickers
  (``<OAT>`` vs ``<UBCP>``): "Qtly div 20 cts vs 20 cts ..." declared by two companies is two
  pieces of news (negative, ``templated-names``).
- **Reuters corrected re-sends**: a record whose title starts with a CORRECTED, RPT or REPEAT
  marker is paired with the record dated within 3 days whose title, marker removed, shares the
  most words with it (word-set Jaccard >= 0.5; ties to the nearest NEWID). The pair is labelled
  when the bodies are near-duplicate texts by an order-aware measure (difflib ratio of the word
  sequences >= 0.8), else related (a rewritten correction).
- **Telegram cross-posts** (labelled): posts whose texts are equal after case folding and
  keeping only letters and digits, with the channel footers below left out, and at least 3
  words left (posts that are nothing but a footer are not labelled).
- **Charset same file** (labelled): files of the same name in several Cyrillic folders whose
  texts, decoded with the folder's true codec, are equal once the per-encoding header is cut
  (the XML declaration, the ``Source/Expect`` comment, ``charset=``/``encoding=`` values). Files
  of the same name that still differ (another snapshot of the feed) are related.
- **Negatives** (``templated-figures``): Reuters bodies, and Telegram posts (footers left out, 5
  words or more), that are equal once every digit run is masked but differ in their figures:
  daily slaughter guesstimates, dividend and earnings tables, market quotes.
- **Channel footers** (the boilerplate label): a paragraph that is among the last three
  paragraphs of at least 5 posts of one channel (subscribe links, sign-offs, hashtag lines).

Labelled pairs are closed transitively into truth clusters. Scoring is pairwise: a cluster of
the cleaner is a kept document and the documents whose reject names it in ``duplicate_of``;
every pair inside one is a predicted pair. A predicted pair in a truth cluster is a true
positive, a negative pair a false positive; any other (an unlabelled natural near-duplicate,
which the corpora hold plenty of) is *adjudicated* by an independent, order-aware measure, the
difflib ratio of the two documents' word sequences (channel footers left out) >= 0.8, not by
MinHash or Jaccard. Precision is reported both against the labels alone (every unlabelled pair
a false positive: a lower bound) and with adjudication.

Boilerplate removals (reason ``boilerplate``) are scored against the channel footers: precision
over all removals, recall over the footer paragraphs of the documents kept. The hard rule is
checked on every removal: the number of input documents, and of distinct articles (documents
joined when labelled or clustered as duplicates), holding that paragraph (same words in order,
as the cleaner's key reads them); a paragraph found in at most two articles must never go. A
document that loses every paragraph is rejected and so is not in the corpus: one that the
reference run (``scope="document"``) read whole counts as *lost*, unless it was nothing but
channel footers, and its paragraphs count as removals.

Run through ``python -m bench.evaluate`` (``make eval``) or alone:
``python -m bench.evaluate_documents``.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import difflib
import itertools
import json
import re
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from random import Random
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

import cleaner
from bench import harness, shared_data
from bench.harness import (
    DEFAULT_SEED,
    Example,
    Outcome,
    examples_table,
    f1,
    fmt,
    met,
    run_cleaner,
    share,
    speed_line,
)
from cleaner import fingerprint

CHARSET = "charset_dataset_multiencoding"
# Folder of charset_dataset_multiencoding -> its true Python codec: the Cyrillic ones.
CYRILLIC = {
    "windows_1251": "cp1251",
    "koi8_r": "koi8_r",
    "iso8859_5": "iso8859_5",
    "ibm866": "cp866",
    "mac_cyrillic": "mac_cyrillic",
    "ibm855": "cp855",
    "kz1048": "kz1048",
    "ptcp154": "ptcp154",
}

LABELLED = {
    "updates/rescrape": "updated re-scrapes (injected)",
    "updates/revised": "re-scrapes revised inside (injected)",
    "bbc/byte-identical": "BBC byte-identical files",
    "reuters/identical-body": "Reuters identical bodies",
    "reuters/corrected": "Reuters corrected re-sends",
    "telegram/cross-post": "Telegram cross-posts",
    "charset/same-file": "charset: same file, other encoding",
}
RELATED = {
    "reuters/corrected-rewritten": "Reuters corrections, rewritten",
    "charset/other-snapshot": "charset: same name, other snapshot",
}
NEGATIVE = {
    "reuters/templated-figures": "Reuters: same template, other figures",
    "reuters/templated-names": "Reuters: same short body, other company",
    "telegram/templated-figures": "Telegram: same template, other figures",
}
CORPORA = ("bbc", "reuters", "telegram", "charset", "updates")

NEAR_RATIO = 0.8  # difflib ratio of word sequences at which two texts are near-duplicates
SHORT_BODY_WORDS = 25  # identical Reuters bodies shorter than this need the same company
TITLE_JACCARD = 0.5  # title word overlap that pairs a corrected re-send with its original
RESEND_DAYS = 3
MIN_POST_WORDS = 3  # a Telegram post needs this many words outside footers to be labelled
MIN_TEMPLATE_WORDS = 5
FOOTER_POSTS = 5  # a channel's footer ends at least this many of its posts
FOOTER_TAIL = 3  # ... among their last this many paragraphs
SWEEP_THRESHOLDS = (0.7, 0.8, 0.9)
SWEEP_MIN_DOCS = (2, 3, 5, 10)
# (min precision, min recall) of document clusters on the labelled cases
TARGET = (0.99, 0.95)

Pair = tuple[str, str]


def pair(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


_TOKEN = re.compile(r"[^\W_]+")  # letters and digits: punctuation, Markdown and emoji go


def tokens(text: str) -> list[str]:
    """Words of a text for the labels: NFKC, case-folded, letters and digits only.

    >>> tokens("**Срочно:** Mash — «новости» 2024!")
    ['срочно', 'mash', 'новости', '2024']
    """
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


def token_key(text: str) -> str:
    return " ".join(tokens(text))


_DIGITS = re.compile(r"\d+")


def mask_figures(key: str) -> str:
    """Every run of digits as ``#``: the template two figure-only variants share.

    >>> mask_figures("shr 46 cts vs 42 cts")
    'shr # cts vs # cts'
    """
    return _DIGITS.sub("#", key)


def ratio(a: Sequence[str], b: Sequence[str]) -> float:
    """difflib's ratio of two word sequences: order-aware, unrelated to shingles or MinHash."""
    if not a and not b:
        return 1.0
    if 2 * min(len(a), len(b)) / (len(a) + len(b)) < NEAR_RATIO:
        return 2 * min(len(a), len(b)) / (len(a) + len(b))  # an upper bound, already too low
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def contained(a: Sequence[str], b: Sequence[str]) -> float:
    """Share of the shorter word sequence found, in order, in the other (an update that adds
    a sentence contains the original)."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if not short:
        return 1.0
    blocks = difflib.SequenceMatcher(None, short, long, autojunk=False).get_matching_blocks()
    return sum(block.size for block in blocks) / len(short)


# --- Truth ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Doc:
    doc_id: str
    corpus: str  # bbc, reuters, telegram, charset
    group: str  # BBC category, Reuters file, Telegram channel, charset encoding
    title: str = ""


@dataclass
class Truth:
    """The documents written, in input order, and what is known about them."""

    docs: dict[str, Doc] = field(default_factory=dict)
    labelled: dict[Pair, str] = field(default_factory=dict)
    related: dict[Pair, str] = field(default_factory=dict)
    negative: dict[Pair, str] = field(default_factory=dict)
    footers: set[str] = field(default_factory=set)  # token keys of channel footers
    footer_channels: dict[str, set[str]] = field(default_factory=dict)  # key -> channels
    dated: dict[str, str] = field(default_factory=dict)  # token key of a dated footer -> kind
    footed: dict[str, set[str]] = field(default_factory=dict)  # kind -> documents carrying it
    notes: list[str] = field(default_factory=list)

    def add(self, doc: Doc) -> None:
        self.docs[doc.doc_id] = doc

    def label(self, kind: dict[Pair, str], a: str, b: str, name: str) -> None:
        if a != b:
            kind.setdefault(pair(a, b), name)

    def label_groups(self, groups: Iterable[Sequence[str]], name: str) -> None:
        for group in groups:
            for a, b in itertools.combinations(group, 2):
                self.label(self.labelled, a, b, name)

    def clusters(self) -> dict[str, str]:
        """doc_id -> its truth cluster's first document, for documents in a labelled pair."""
        return union_find(self.labelled)

    def truth_pairs(self) -> dict[Pair, str]:
        """Every pair inside a truth cluster, named by the first labelled pair's set."""
        root = self.clusters()
        members: dict[str, list[str]] = defaultdict(list)
        for doc_id in root:
            members[root[doc_id]].append(doc_id)
        name_of: dict[str, str] = {}
        for (a, _), name in self.labelled.items():
            name_of.setdefault(root[a], name)
        result: dict[Pair, str] = {}
        for head, group in members.items():
            for a, b in itertools.combinations(sorted(group), 2):
                result[(a, b)] = self.labelled.get((a, b), name_of[head])
        return result


def union_find(pairs: Iterable[Pair]) -> dict[str, str]:
    """Each document of the pairs -> the smallest doc_id of its connected component."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in parent}


# BBC


def write_bbc(folder: Path, truth: Truth) -> None:
    root = shared_data.data_dir() / shared_data.BBC
    for path in shared_data.bbc_files():
        rel = path.relative_to(root / "bbc").as_posix()
        target = folder / "bbc" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
        truth.add(Doc(f"bbc/{rel}", "bbc", rel.split("/")[0], _first_line(path)))
    with (root / "exact_duplicate_groups.csv").open(newline="", encoding="utf-8") as f:
        groups = [[f"bbc/{name}" for name in row["files"].split()] for row in csv.DictReader(f)]
    truth.label_groups(groups, "bbc/byte-identical")


def _first_line(path: Path) -> str:
    return path.read_bytes().decode("utf-8", "replace").split("\n", 1)[0].strip()


# Reuters

_MARKER = re.compile(r"^\W*(?:CORRECTED|RPT|REPEAT)\b\W*")
_TICKER = re.compile(r"<([^>]+)>")


@dataclass(frozen=True)
class Wire:
    doc_id: str
    newid: int
    title: str
    day: datetime.date | None
    body: str  # whitespace-normalised

    @property
    def words(self) -> list[str]:
        return tokens(self.body)


def _day(date: str) -> datetime.date | None:
    try:  # "26-FEB-1987 15:01:01.79"; a few times are garbled, the day is enough
        return datetime.datetime.strptime(date.split()[0], "%d-%b-%Y").date()
    except (ValueError, IndexError):
        return None


def title_words(title: str) -> set[str]:
    """Words of a title without its CORRECTED/RPT marker (ticker symbols kept as words)."""
    return set(tokens(_MARKER.sub("", title)))


def tickers(title: str) -> set[str]:
    """``<OAT>``-style symbols of a title, exchange suffix dropped (``<CRZY.O>`` is CRZY)."""
    return {t.split(".")[0].strip() for t in _TICKER.findall(title)}


def _jaccard(x: set[str], y: set[str]) -> float:
    return len(x & y) / len(x | y) if x | y else 1.0


def write_reuters(folder: Path, truth: Truth) -> None:
    out = folder / "reuters"
    out.mkdir(parents=True, exist_ok=True)
    wires: list[Wire] = []
    files: dict[str, list[str]] = defaultdict(list)
    for path in shared_data.reuters_files():
        records = _records_of(path)
        name = f"{path.stem}.jsonl"
        for record in records:
            doc_id = f"reuters/{name}#{record.newid}"
            text = "\n\n".join([record.title, *record.body]) if record.title else ""
            text = text or "\n\n".join(record.body)
            line = {"id": record.newid, "date": record.date, "title": record.title, "text": text}
            files[name].append(json.dumps(line, ensure_ascii=False))
            truth.add(Doc(doc_id, "reuters", path.stem, record.title))
            body = " ".join(" ".join(record.body).split())
            wires.append(Wire(doc_id, record.newid, record.title, _day(record.date), body))
    for name, lines in files.items():
        (out / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    label_reuters(wires, truth)


def _records_of(path: Path) -> list[shared_data.ReutersRecord]:
    """The records of one SGML file (the loader reads all files in order; keep this one's)."""
    return [r for r in _all_reuters() if r.newid in _newids(path)]


_REUTERS_CACHE: list[shared_data.ReutersRecord] = []
_NEWID_CACHE: dict[Path, set[int]] = {}


def _all_reuters() -> list[shared_data.ReutersRecord]:
    if not _REUTERS_CACHE:
        _REUTERS_CACHE.extend(shared_data.reuters_records())
    return _REUTERS_CACHE


def _newids(path: Path) -> set[int]:
    if path not in _NEWID_CACHE:
        text = path.read_bytes().decode("latin-1")
        _NEWID_CACHE[path] = {int(n) for n in re.findall(r'<REUTERS\b[^>]*NEWID="(\d+)"', text)}
    return _NEWID_CACHE[path]


def label_reuters(wires: Sequence[Wire], truth: Truth) -> None:
    """Identical bodies, corrected re-sends and templated look-alikes among Reuters records."""
    by_body: dict[str, list[Wire]] = defaultdict(list)
    for wire in wires:
        by_body[wire.body].append(wire)
    for group in by_body.values():
        for a, b in itertools.combinations(group, 2):
            ta, tb = tickers(a.title), tickers(b.title)
            other_company = len(a.body.split()) < SHORT_BODY_WORDS and ta and tb and ta != tb
            kind = truth.negative if other_company else truth.labelled
            name = "reuters/templated-names" if other_company else "reuters/identical-body"
            truth.label(kind, a.doc_id, b.doc_id, name)
    for resend, original, value in corrected_resends(wires):
        if value >= NEAR_RATIO:
            truth.label(truth.labelled, resend.doc_id, original.doc_id, "reuters/corrected")
        else:
            name = "reuters/corrected-rewritten"
            truth.label(truth.related, resend.doc_id, original.doc_id, name)
    by_template: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for wire in wires:
        key = token_key(wire.body)
        if len(key.split()) >= MIN_TEMPLATE_WORDS and _DIGITS.search(key):
            by_template[mask_figures(key)].append((wire.doc_id, key))
    for template in by_template.values():
        for (x, kx), (y, ky) in itertools.combinations(template, 2):
            if kx != ky:  # the words differ, and only in figures
                truth.label(truth.negative, x, y, "reuters/templated-figures")


def corrected_resends(wires: Sequence[Wire]) -> Iterator[tuple[Wire, Wire, float]]:
    """``(re-send, original, difflib ratio of their bodies)`` for each marked title matched."""
    by_day: dict[datetime.date, list[Wire]] = defaultdict(list)
    for wire in wires:
        if wire.day:
            by_day[wire.day].append(wire)
    for resend in wires:
        if not _MARKER.match(resend.title) or resend.day is None:
            continue
        words = title_words(resend.title)
        best: tuple[float, int, Wire] | None = None
        for offset in range(-RESEND_DAYS, RESEND_DAYS + 1):
            for other in by_day.get(resend.day + datetime.timedelta(days=offset), []):
                if other.doc_id == resend.doc_id:
                    continue
                score = _jaccard(words, title_words(other.title))
                rank = (score, -abs(other.newid - resend.newid), other)
                if score >= TITLE_JACCARD and (best is None or rank[:2] > best[:2]):
                    best = rank
        if best is not None:
            original = best[2]
            yield resend, original, ratio(resend.words, original.words)


# Telegram


def write_telegram(folder: Path, truth: Truth) -> None:
    out = folder / "telegram"
    out.mkdir(parents=True, exist_ok=True)
    posts: list[tuple[str, str, list[str]]] = []  # doc_id, channel, paragraphs
    for path in shared_data.telegram_files():
        lines = []
        name = f"{path.stem}.jsonl"
        for post in json.loads(path.read_text(encoding="utf-8")):
            text = post.get("text")
            if not isinstance(text, str) or not shared_data.blank_line_paragraphs(text):
                continue
            record = {
                "id": post.get("message_id"),
                "date": post.get("date"),
                "channel": post.get("channel"),
                "text": text,
            }
            lines.append(json.dumps(record, ensure_ascii=False))
            doc_id = f"telegram/{name}#{post.get('message_id')}"
            truth.add(Doc(doc_id, "telegram", path.stem, str(post.get("channel") or "")))
            posts.append((doc_id, path.stem, shared_data.blank_line_paragraphs(text)))
        (out / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    label_telegram(posts, truth)


def channel_footers(posts: Sequence[tuple[str, str, list[str]]]) -> dict[str, set[str]]:
    """Footer key -> channels it ends posts of: among the last paragraphs of enough posts."""
    tails: Counter[tuple[str, str]] = Counter()
    for _, channel, paragraphs in posts:
        for key in {token_key(p) for p in paragraphs[-FOOTER_TAIL:]}:
            if key:
                tails[(channel, key)] += 1
    footers: dict[str, set[str]] = defaultdict(set)
    for (channel, key), count in tails.items():
        if count >= FOOTER_POSTS:
            footers[key].add(channel)
    return dict(footers)


def label_telegram(posts: Sequence[tuple[str, str, list[str]]], truth: Truth) -> None:
    truth.footer_channels = channel_footers(posts)
    truth.footers = set(truth.footer_channels)
    by_text: dict[str, list[str]] = defaultdict(list)
    by_template: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for doc_id, _, paragraphs in posts:
        key = " ".join(k for k in map(token_key, paragraphs) if k and k not in truth.footers)
        if len(key.split()) >= MIN_POST_WORDS:
            by_text[key].append(doc_id)
        if len(key.split()) >= MIN_TEMPLATE_WORDS and _DIGITS.search(key):
            by_template[mask_figures(key)].append((doc_id, key))
    truth.label_groups(by_text.values(), "telegram/cross-post")
    for group in by_template.values():
        for (a, ka), (b, kb) in itertools.combinations(group, 2):
            if ka != kb:
                truth.label(truth.negative, a, b, "telegram/templated-figures")


# Charset

_HEADER = (
    re.compile(r"<\?xml[^>]*\?>"),
    re.compile(r"<!--\s*Source:.*?-->", re.DOTALL),
    re.compile(r"(?i)(?:charset|encoding)\s*=\s*[\"']?[\w-]+"),
)


def charset_body(data: bytes, codec: str) -> str:
    """The text decoded with its true codec, without what differs by encoding."""
    text = data.decode(codec)
    for pattern in _HEADER:
        text = pattern.sub("", text)
    return text.strip()


def write_charset(folder: Path, truth: Truth) -> None:
    root = shared_data.data_dir() / CHARSET / "files"
    if not root.is_dir():
        truth.notes.append(f"{root} not found: no charset documents")
        return
    by_name: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for encoding, codec in sorted(CYRILLIC.items()):
        for path in sorted((root / encoding).glob("*")):
            if not path.is_file():
                continue
            name = path.name if path.name.endswith(".txt") else f"{path.name}.txt"
            target = folder / "charset" / encoding / name
            target.parent.mkdir(parents=True, exist_ok=True)
            data = path.read_bytes()
            target.write_bytes(data)
            doc_id = f"charset/{encoding}/{name}"
            truth.add(Doc(doc_id, "charset", encoding, path.name))
            by_name[path.name][charset_body(data, codec)].append(doc_id)
    for variants in by_name.values():
        truth.label_groups(variants.values(), "charset/same-file")
        for x, y in itertools.combinations(variants.values(), 2):
            for a, b in itertools.product(x, y):
                truth.label(truth.related, a, b, "charset/other-snapshot")


def build(folder: Path, seed: int = DEFAULT_SEED) -> Truth:
    """Write the evaluation folder and return what is known about it; the injected
    re-scrapes and footers are drawn with ``seed``."""
    truth = Truth()
    write_bbc(folder, truth)
    write_charset(folder, truth)
    write_reuters(folder, truth)
    write_telegram(folder, truth)
    inject(folder, truth, seed)
    # A pair both labelled and negative (a re-send whose figures were corrected) is labelled.
    for p in list(truth.negative):
        if p in truth.labelled or p in truth.related:
            del truth.negative[p]
    return truth


# Injected: updated re-scrapes and dated footers


# A note a site adds when it updates a story, in several phrasings and languages.
NOTES = (
    "Update {time} GMT: This story has been updated with comment from the company.",
    "UPDATED {date}, {time}: adds details of the agreement.",
    "Correction: An earlier version of this article, published on {date}, misstated a date.",
    "This article was amended on {date} at {time} to correct the spelling of a name.",
    "Last updated at {time} on {date}.",
    "Read more: full coverage of the story, updated {date} {time}.",
    "Editor's note: this story was first published at {time} and has since been updated.",
    "Обновлено {date} в {time}: добавлены комментарии пресс-службы.",
    "UPD {time}: информация уточняется.",
    "Исправление от {date}: в первоначальной версии материала была допущена ошибка.",
    "Читайте также: подробности на нашем сайте, {date}, {time}.",
    "Aktualisiert am {date} um {time} Uhr: Stellungnahme des Ministeriums ergänzt.",
    "Mis à jour le {date} à {time} : ajout de la réaction du ministère.",
    "Actualizado el {date} a las {time}.",
)
# Fixed texts with a year, a date, a time or a phone number, each stuck to FOOTED documents:
# kind -> (text, where: "end" or "start").
DATED_FOOTERS = {
    "copyright": ("© 2024 Northern Wire Services Ltd. All rights reserved.", "end"),
    "copyright-ru": ("© 2003–2024 ООО «Северная линия». Все права защищены. 18+", "end"),
    "updated": ("Updated 10:42 GMT, 14 March 2024", "start"),
    "contact": (
        "For more information contact the press office on +44 20 7946 0321 or "
        "press@northernwire.example.",
        "end",
    ),
    "legal": (
        "Northern Wire Services Ltd, registered in England and Wales No. 04512345, "
        "1 Fleet Street, London EC4Y 1AA.",
        "end",
    ),
    "hours-ru": ("Горячая линия редакции: +7 (495) 123-45-67, с 9:00 до 21:00 по Москве.", "end"),
    # Dated anew in each document ({date}, {time}, {numeric}, {year} drawn for each)
    "updated-each": ("Updated {time} GMT, {date}", "start"),
    "stand-each": ("Stand: {numeric}, {time} Uhr", "start"),
    "updated-ru-each": ("Обновлено {numeric} в {time}", "end"),
    "copyright-each": ("Copyright {year} Daily Planet Media Group. All rights reserved.", "end"),
}
RESCRAPES = 50  # updated re-scrapes drawn from each of BBC, Reuters and Telegram
RESCRAPE_MIN_WORDS = 80  # an article, not a one-line post: a note is short beside it
REVISED_MIN_PARAGRAPHS = 5  # a headline and four paragraphs: one more or less is a revision
REVISED_SHARE = 0.2  # of the article's words, at most, in the paragraph added or removed
FOOTED = 30  # documents each dated footer is stuck to
FOOTED_MIN_WORDS = 40
_LOWER_WORD = re.compile(r"\b[^\W\d_]{3,}\b")


def _note(rng: Random) -> str:
    day = datetime.date(2024, 1, 1) + datetime.timedelta(days=rng.randrange(366))
    date = rng.choice((day.strftime("%d %B %Y"), day.strftime("%d.%m.%Y"), day.isoformat()))
    time_of_day = f"{rng.randrange(24):02d}:{rng.randrange(60):02d}"
    return rng.choice(NOTES).format(date=date, time=time_of_day)


def updated(paragraphs: list[str], rng: Random) -> list[str]:
    """The article scraped again after an update: one to three common words changed (as an
    editor's touch leaves them) and a note before or after it."""
    paragraphs = _edited(paragraphs, rng)
    paragraphs.insert(rng.choice((0, len(paragraphs))), _note(rng))
    return paragraphs


def revised(paragraphs: list[str], elsewhere: list[str], rng: Random) -> list[str] | None:
    """The article scraped again after an update inside it: a paragraph of ``elsewhere``
    (another article) inserted, one of its own removed, or the note put among its
    paragraphs, never before the headline; one to three common words changed too. None when
    the paragraph that would be added or removed is more than ``REVISED_SHARE`` of its words
    (one paragraph of several, not another story)."""
    words = sum(len(p.split()) for p in paragraphs)
    kind = rng.choice(("insert", "remove", "note"))
    if kind == "note":
        paragraphs = _edited(paragraphs, rng)
        paragraphs.insert(rng.randrange(1, len(paragraphs)), _note(rng))
        return paragraphs
    if kind == "insert":
        fitting = [p for p in elsewhere[1:] if len(p.split()) <= REVISED_SHARE * words]
        if not fitting:
            return None
        at = rng.randrange(1, len(paragraphs) + 1)
        return _edited([*paragraphs[:at], rng.choice(fitting), *paragraphs[at:]], rng)
    fitting_at = [
        n for n in range(1, len(paragraphs)) if len(paragraphs[n].split()) <= REVISED_SHARE * words
    ]
    if not fitting_at:
        return None
    at = rng.choice(fitting_at)
    return _edited([*paragraphs[:at], *paragraphs[at + 1 :]], rng)


def _edited(paragraphs: list[str], rng: Random) -> list[str]:
    """One to three common words changed, as an editor's touch leaves them."""
    paragraphs = list(paragraphs)
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(paragraphs))
        found = [m for m in _LOWER_WORD.finditer(paragraphs[at]) if m.group().islower()]
        vocabulary = sorted({m.group() for p in paragraphs for m in _LOWER_WORD.finditer(p)})
        if found and vocabulary:
            m, word = rng.choice(found), rng.choice(vocabulary)
            paragraphs[at] = paragraphs[at][: m.start()] + word + paragraphs[at][m.end() :]
    return paragraphs


def _dated(template: str, rng: Random) -> str:
    """A footer's template with the moment of one document: a time, a date, a year."""
    if "{" not in template:
        return template
    day = datetime.date(2015, 1, 1) + datetime.timedelta(days=rng.randrange(3650))
    return template.format(
        time=f"{rng.randrange(24):02d}:{rng.randrange(60):02d}",
        date=f"{day.day} {day.strftime('%B %Y')}",
        numeric=day.strftime("%d.%m.%Y"),
        year=day.year,
    )


def inject(folder: Path, truth: Truth, seed: int) -> None:
    """Dated footers stuck to real documents, then updated re-scrapes of others written to
    ``updates/`` (after the originals, as a later scrape would be), each labelled."""
    rng = Random(f"{seed}/documents")
    store = _Store(folder)
    candidates = [
        d for d, doc in truth.docs.items() if doc.corpus in ("bbc", "reuters", "telegram")
    ]
    sizes = {d: len(tokens(store.text(d) or "")) for d in candidates}
    footable = sorted(d for d in candidates if sizes[d] >= FOOTED_MIN_WORDS)
    footed: set[str] = set()
    for kind, (template, where) in DATED_FOOTERS.items():
        chosen = rng.sample(footable, FOOTED)
        truth.footed[kind] = set(chosen)
        footed.update(chosen)
        for doc_id in chosen:
            text = _dated(template, rng)
            truth.dated[token_key(text)] = kind
            paragraphs = shared_data.blank_line_paragraphs(store.text(doc_id) or "")
            at = len(paragraphs) if where == "end" else min(1, len(paragraphs))
            store.replace(doc_id, "\n\n".join([*paragraphs[:at], text, *paragraphs[at:]]))
    store.flush()
    out = folder / "updates"
    out.mkdir(exist_ok=True)
    used: set[str] = set()
    for corpus in ("bbc", "reuters", "telegram"):
        pool = sorted(
            d
            for d in candidates
            if truth.docs[d].corpus == corpus and sizes[d] >= RESCRAPE_MIN_WORDS and d not in footed
        )
        for n, doc_id in enumerate(rng.sample(pool, min(RESCRAPES, len(pool)))):
            paragraphs = shared_data.blank_line_paragraphs(store.text(doc_id) or "")
            name = f"{corpus}-{n:03d}.txt"
            (out / name).write_text("\n\n".join(updated(paragraphs, rng)) + "\n", encoding="utf-8")
            truth.add(Doc(f"updates/{name}", "updates", corpus))
            truth.label(truth.labelled, doc_id, f"updates/{name}", "updates/rescrape")
            used.add(doc_id)
    rng = Random(f"{seed}/revised")

    def paragraphs_of(doc_id: str) -> list[str]:
        return shared_data.blank_line_paragraphs(store.text(doc_id) or "")

    for corpus in ("bbc", "reuters", "telegram"):
        others = sorted(
            d
            for d in candidates
            if truth.docs[d].corpus == corpus and d not in footed and d not in used
        )
        # split only the articles long enough to be drawn, once each
        texts = {d: paragraphs_of(d) for d in others if sizes[d] >= RESCRAPE_MIN_WORDS}
        pool = sorted(d for d, found in texts.items() if len(found) >= REVISED_MIN_PARAGRAPHS)
        n = 0
        for doc_id in rng.sample(pool, len(pool)):
            if n == RESCRAPES:
                break
            elsewhere = rng.choice(others)
            other = texts[elsewhere] if elsewhere in texts else paragraphs_of(elsewhere)
            paragraphs = revised(texts[doc_id], other, rng)
            if paragraphs is None:
                continue
            name = f"revised-{corpus}-{n:03d}.txt"
            (out / name).write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
            truth.add(Doc(f"updates/{name}", "updates", corpus))
            truth.label(truth.labelled, doc_id, f"updates/{name}", "updates/revised")
            n += 1


class _Store:
    """The texts of the documents written to the folder, read and replaced by doc_id."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.records: dict[Path, list[dict[str, Any]]] = {}
        self.dirty: set[Path] = set()

    def _locate(self, doc_id: str) -> tuple[Path, str | None]:
        path, _, key = doc_id.partition("#")
        return self.folder / path, key or None

    def _record(self, doc_id: str) -> dict[str, Any] | None:
        path, key = self._locate(doc_id)
        if path not in self.records:
            lines = path.read_text(encoding="utf-8").splitlines()
            self.records[path] = [json.loads(line) for line in lines if line]
        return next((r for r in self.records[path] if str(r.get("id")) == key), None)

    def text(self, doc_id: str) -> str | None:
        """The document's text, or None when it is not UTF-8 (a file in a legacy charset)."""
        path, key = self._locate(doc_id)
        if key is None:
            try:
                return path.read_bytes().decode("utf-8")
            except UnicodeDecodeError:
                return None
        record = self._record(doc_id)
        return None if record is None else str(record.get("text") or "")

    def replace(self, doc_id: str, text: str) -> None:
        path, key = self._locate(doc_id)
        if key is None:
            path.write_text(text + "\n", encoding="utf-8")
            return
        record = self._record(doc_id)
        if record is not None:
            record["text"] = text
            self.dirty.add(path)

    def flush(self) -> None:
        for path in sorted(self.dirty):
            lines = [json.dumps(r, ensure_ascii=False) for r in self.records[path]]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.dirty.clear()


# --- Running the cleaner ----------------------------------------------------------------------


def predicted_clusters(outcome: Outcome) -> dict[str, list[str]]:
    """Kept doc_id -> the documents dropped as its duplicates."""
    clusters: dict[str, list[str]] = defaultdict(list)
    for doc_id, row in outcome.rejects.items():
        if row["reason"] == "duplicate_document" and row["duplicate_of"]:
            clusters[str(row["duplicate_of"])].append(doc_id)
    return dict(clusters)


# --- Scoring: document clusters ---------------------------------------------------------------


@dataclass
class Texts:
    """Every input document's paragraphs as the cleaner reads them (a document-scope run)."""

    paragraphs: dict[str, list[str]]
    order: dict[str, int]
    rejected: set[str]  # documents that run rejected (binary, empty, ...)

    def words(self, doc_id: str, skip: set[str] | None = None) -> list[str]:
        """The document's words in order, channel footers (``skip``) left out unless nothing
        else is left."""
        paragraphs = self.paragraphs.get(doc_id, [])
        kept = [p for p in paragraphs if not skip or token_key(p) not in skip]
        return [w for p in (kept or paragraphs) for w in tokens(p)]

    def excerpt(self, doc_id: str, limit: int = 260) -> str:
        text = " ¶ ".join(self.paragraphs.get(doc_id, []))
        return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class SetTally:
    docs: int = 0
    pairs: int = 0
    found: int = 0

    @property
    def recall(self) -> float | None:
        return share(self.found, self.pairs)


@dataclass
class CorpusTally:
    predicted: int = 0
    labelled: int = 0
    adjudicated: int = 0
    related: int = 0
    negative: int = 0
    unlabelled: int = 0  # unlabelled and not a near-duplicate by the adjudicator

    @property
    def scored(self) -> int:
        return self.predicted - self.related

    @property
    def precision_labels(self) -> float | None:
        return share(self.labelled, self.scored)

    @property
    def precision(self) -> float | None:
        return share(self.labelled + self.adjudicated, self.scored)


@dataclass
class DocScores:
    sets: dict[str, SetTally]
    corpora: dict[str, CorpusTally]
    negatives: dict[str, SetTally]
    related: dict[str, SetTally]
    false_positives: list[Example]
    misses: list[Example]
    adjudicated: list[Example]
    clusters: int
    dropped: int
    unread: list[str]
    keep_order_violations: list[str]

    @property
    def total(self) -> CorpusTally:
        total = CorpusTally()
        for tally in self.corpora.values():
            for name in asdict(total):
                setattr(total, name, getattr(total, name) + getattr(tally, name))
        return total

    @property
    def recall(self) -> float | None:
        pairs = sum(t.pairs for t in self.sets.values())
        return sum(t.found for t in self.sets.values()) / pairs if pairs else None

    @property
    def f1(self) -> float | None:
        return f1(self.total.precision, self.recall)

    def met(self) -> bool:
        return (self.total.precision or 0.0) >= TARGET[0] and (self.recall or 0.0) >= TARGET[1]


def _corpus_of(truth: Truth, a: str, b: str) -> str:
    ca, cb = truth.docs[a].corpus if a in truth.docs else "?", truth.docs.get(b)
    return ca if cb is not None and cb.corpus == ca else "cross-corpus"


def score_documents(
    truth: Truth,
    outcome: Outcome,
    texts: Texts,
    boilerplate_keys: set[str],
    shingle_size: int,
    keep: str = "first",
) -> DocScores:
    clusters = predicted_clusters(outcome)
    predicted: dict[Pair, str] = {}  # pair -> the kept doc of its cluster
    for kept, members in clusters.items():
        for a, b in itertools.combinations([kept, *members], 2):
            predicted[pair(a, b)] = kept
    truth_pairs = truth.truth_pairs()
    scores = DocScores(
        sets={name: SetTally() for name in LABELLED},
        corpora={name: CorpusTally() for name in (*CORPORA, "cross-corpus")},
        negatives={name: SetTally() for name in NEGATIVE},
        related={name: SetTally() for name in RELATED},
        false_positives=[],
        misses=[],
        adjudicated=[],
        clusters=len(clusters),
        dropped=sum(map(len, clusters.values())),
        unread=[d for d in truth.docs if d not in outcome.documents and d not in outcome.rejects],
        keep_order_violations=[],
    )
    similarity = {
        pair(d, str(r["duplicate_of"])): float(r["similarity"])
        for d, r in outcome.rejects.items()
        if r.get("reason") == "duplicate_document" and r.get("similarity") is not None
    }

    def example(kind: str, label: str, p: Pair, note: str) -> Example:
        a, b = p
        wa, wb = texts.words(a, truth.footers), texts.words(b, truth.footers)
        figures = {
            "cleaner": similarity.get(p),  # if it compared them
            "≈Jaccard": document_jaccard(texts, a, b, boilerplate_keys, shingle_size),
            "ratio": ratio(wa, wb),
        }
        return Example(kind, label, f"{a}\n{b}", texts.excerpt(a), texts.excerpt(b), figures, note)

    for name, holding in _docs_by_set(truth_pairs).items():
        scores.sets[name].docs = len(holding)
    for p, name in truth_pairs.items():
        found = scores.sets[name]
        found.pairs += 1
        if p in predicted:
            found.found += 1
        else:
            scores.misses.append(example("miss", name, p, _miss_note(p, outcome, predicted)))
    for p, name in truth.negative.items():
        scores.negatives[name].pairs += 1
        scores.negatives[name].found += p in predicted
    for p, name in truth.related.items():
        if p not in truth_pairs:
            scores.related[name].pairs += 1
            scores.related[name].found += p in predicted
    for p in predicted:
        tally = scores.corpora[_corpus_of(truth, *p)]
        tally.predicted += 1
        if p in truth_pairs:
            tally.labelled += 1
        elif p in truth.related:
            tally.related += 1
        elif p in truth.negative:
            tally.negative += 1
            negative = example("false positive", truth.negative[p], p, "negative")
            scores.false_positives.append(negative)
        else:
            judged = example("false positive", f"unlabelled/{_corpus_of(truth, *p)}", p, "")
            if (judged.figures["ratio"] or 0.0) >= NEAR_RATIO:
                tally.adjudicated += 1
                judged.kind, judged.note = "adjudicated", "near-duplicate by ratio"
                scores.adjudicated.append(judged)
            else:
                tally.unlabelled += 1
                wa, wb = texts.words(p[0], truth.footers), texts.words(p[1], truth.footers)
                judged.note = f"ratio < {NEAR_RATIO}; {contained(wa, wb):.0%} of shorter in longer"
                scores.false_positives.append(judged)
    for kept, members in clusters.items():  # keep="first": no member comes before the kept one
        late = any(texts.order.get(m, -1) < texts.order.get(kept, -1) for m in members)
        if keep == "first" and late:
            scores.keep_order_violations.append(kept)
    return scores


def _docs_by_set(truth_pairs: dict[Pair, str]) -> dict[str, set[str]]:
    docs: dict[str, set[str]] = defaultdict(set)
    for (a, b), name in truth_pairs.items():
        docs[name].update((a, b))
    return docs


def _miss_note(p: Pair, outcome: Outcome, predicted: dict[Pair, str]) -> str:
    notes = []
    for doc_id in p:
        row = outcome.rejects.get(doc_id)
        if row is not None and row.get("reason") != "duplicate_document":
            notes.append(f"rejected: {row.get('reason')}")
        elif doc_id not in outcome.documents and row is None:
            notes.append("missing")
    if notes:
        return " + ".join(sorted(set(notes)))
    heads = {_head(d, outcome) for d in p}
    return "in different clusters" if len(heads) == 2 and None not in heads else "not clustered"


def _head(doc_id: str, outcome: Outcome) -> str | None:
    row = outcome.rejects.get(doc_id)
    if row is not None and row.get("reason") == "duplicate_document":
        return str(row.get("duplicate_of"))
    return doc_id if doc_id in outcome.documents else None


def paragraph_key(paragraph: str) -> str:
    """A paragraph's words in order as the cleaner's key reads them (punctuation aside)."""
    return " ".join(fingerprint.words(fingerprint.normalize(paragraph)))


def line_key(paragraph: str, first: bool) -> str:
    """What boilerplate counts a paragraph by, as the README states the rule: its words in
    order, its moments masked (times, years, dates in figures), but for a document's first
    paragraph (``first``), its title."""
    key = fingerprint.normalize(paragraph)
    return " ".join(fingerprint.words(key if first else fingerprint.line_key(key)))


def document_jaccard(
    texts: Texts, a: str, b: str, boilerplate_keys: set[str], shingle_size: int
) -> float | None:
    """Exact Jaccard of the two documents' word-shingle sets, paragraphs removed anywhere as
    boilerplate left out: how the cleaner documents its measure, recomputed on strings to
    explain a miss or a false positive (per paragraph shingles, so an approximation)."""

    def shingle_set(doc_id: str) -> set[str]:
        found: set[str] = set()
        for p in texts.paragraphs.get(doc_id, []):
            key = fingerprint.normalize(p)
            if " ".join(fingerprint.words(key)) not in boilerplate_keys:
                found.update(fingerprint.shingles(key, shingle_size))
        return found

    x, y = shingle_set(a), shingle_set(b)
    return len(x & y) / len(x | y) if x | y else None


# --- Scoring: boilerplate ---------------------------------------------------------------------


@dataclass
class BoilerRemoval:
    doc_id: str
    text: str
    duplicate_of_doc: str | None
    documents: int  # input documents holding the paragraph
    articles: int  # ... counted once per duplicate cluster (labelled or found)
    footer: bool
    lost_document: bool = False  # the document lost every paragraph and was rejected


@dataclass
class BoilerScores:
    removals: list[BoilerRemoval]
    footer_paragraphs: int  # footer paragraphs in kept Telegram documents
    footer_removed: int
    lost: list[str]  # documents with text besides footers, read whole by the reference run,
    # rejected by this one: an article gone from the corpus
    footer_only: list[str]  # the same for posts that are nothing but channel footers
    wrong_first: int  # duplicate_of_doc is not the first other kept document holding it
    min_docs: int
    # dated footer kind -> [its paragraphs in the documents kept or lost, those removed]
    dated: dict[str, list[int]] = field(default_factory=dict)

    @property
    def labelled(self) -> int:
        return sum(r.footer for r in self.removals)

    @property
    def precision(self) -> float | None:
        return share(self.labelled, len(self.removals))

    @property
    def recall(self) -> float | None:
        return share(self.footer_removed, self.footer_paragraphs)

    @property
    def below_min_docs(self) -> list[BoilerRemoval]:
        return [r for r in self.removals if r.documents < self.min_docs]

    @property
    def two_articles(self) -> list[BoilerRemoval]:
        """Removals of a paragraph found in at most two articles: the rule forbids them."""
        return [r for r in self.removals if r.articles <= 2]


def score_boilerplate(truth: Truth, outcome: Outcome, texts: Texts, min_docs: int) -> BoilerScores:
    """Every ``boilerplate`` removal, checked against the footers and the two-article rule.

    A document whose every paragraph went is rejected (``empty``) and its removals are not in
    the corpus: such a document, read whole by the reference run, counts as lost (unless it was
    nothing but channel footers), and each of its paragraphs as removed.
    """
    holders: dict[str, list[str]] = defaultdict(list)  # line key -> docs, input order
    for doc_id in sorted(texts.paragraphs, key=lambda d: texts.order[d]):
        lines = (line_key(p, i == 0) for i, p in enumerate(texts.paragraphs[doc_id]))
        for key in dict.fromkeys(lines):
            if key:
                holders[key].append(doc_id)
    found = [
        pair(kept, m) for kept, members in predicted_clusters(outcome).items() for m in members
    ]
    article = union_find([*truth.labelled, *found])

    def removal(
        doc_id: str, text: str, first: bool, of: str | None, lost: bool = False
    ) -> BoilerRemoval:
        docs = holders.get(line_key(text, first), [])
        key = token_key(text)
        footer = key in truth.dated or (
            _corpus(truth, doc_id) == "telegram" and key in truth.footers
        )
        articles = len({article.get(d, d) for d in docs})
        return BoilerRemoval(doc_id, text, of, len(docs), articles, footer, lost)

    removals: list[BoilerRemoval] = []
    wrong_first = footer_paragraphs = footer_removed = 0
    for doc_id, document in outcome.documents.items():
        boiler = [r for r in document.removed if r.reason == "boilerplate"]
        for r in boiler:
            removals.append(removal(doc_id, r.paragraph, r.index == 0, r.repeats_doc))
            # It names the first other document holding it that stays in the corpus.
            others = [
                d
                for d in holders.get(line_key(r.paragraph, r.index == 0), [])
                if d != doc_id and d in outcome.documents
            ]
            wrong_first += bool(others) and r.repeats_doc != others[0]
        if _corpus(truth, doc_id) == "telegram":
            removed_at = {r.index for r in boiler}
            for i, p in enumerate(document.paragraphs_in):
                if token_key(p) in truth.footers:
                    footer_paragraphs += 1
                    footer_removed += i in removed_at
    gone = [
        d
        for d, row in outcome.rejects.items()
        if row["reason"] != "duplicate_document" and d in texts.paragraphs
    ]
    footer_only = [
        d for d in gone if all(token_key(p) in truth.footers for p in texts.paragraphs[d])
    ]
    lost = [d for d in gone if d not in footer_only]
    for doc_id in gone:
        for i, p in enumerate(texts.paragraphs[doc_id]):
            removals.append(removal(doc_id, p, i == 0, None, lost=True))
            if _corpus(truth, doc_id) == "telegram" and token_key(p) in truth.footers:
                footer_paragraphs += 1
                footer_removed += 1
    dated = _dated_footers(truth, outcome, set(gone))
    footer_paragraphs += sum(present for present, _ in dated.values())
    footer_removed += sum(removed for _, removed in dated.values())
    return BoilerScores(
        removals, footer_paragraphs, footer_removed, lost, footer_only, wrong_first, min_docs, dated
    )


def _dated_footers(truth: Truth, outcome: Outcome, gone: set[str]) -> dict[str, list[int]]:
    """Kind -> [the dated footer's paragraphs in documents kept or emptied, those removed].
    A Telegram post's own channel footer is counted with the channel footers, not here."""
    counts: dict[str, list[int]] = {}
    for kind, docs in truth.footed.items():
        tally = counts.setdefault(kind, [0, 0])
        for doc_id in docs:
            if doc_id in gone:
                tally[0] += 1
                tally[1] += 1
            elif doc_id in outcome.documents:
                removed = {r.index for r in outcome.documents[doc_id].removed}
                for i, p in enumerate(outcome.paragraphs(doc_id)):
                    if truth.dated.get(token_key(p)) == kind:
                        tally[0] += 1
                        tally[1] += i in removed
    return counts


def _corpus(truth: Truth, doc_id: str) -> str:
    doc = truth.docs.get(doc_id)
    return doc.corpus if doc else "?"


# --- Running and reporting --------------------------------------------------------------------


@dataclass
class Result:
    dedup: cleaner.DedupOptions
    documents: DocScores
    boilerplate: BoilerScores
    outcome: Outcome


def reference_texts(folder: Path, workers: int) -> Texts:
    """Every document as the cleaner reads it: one run with documents left alone."""
    outcome = run_cleaner(folder, cleaner.DedupOptions(scope="document"), workers)
    paragraphs = {d: document.paragraphs_in for d, document in outcome.documents.items()}
    order = {d: i for i, d in enumerate(paragraphs)}
    return Texts(paragraphs, order, set(outcome.rejects))


def evaluate(
    folder: Path, truth: Truth, texts: Texts, dedup: cleaner.DedupOptions, workers: int
) -> Result:
    outcome = run_cleaner(folder, dedup, workers)
    boiler = score_boilerplate(truth, outcome, texts, dedup.boilerplate_min_docs)
    keys = {paragraph_key(r.text) for r in boiler.removals}
    documents = score_documents(truth, outcome, texts, keys, dedup.shingle_size, dedup.keep)
    return Result(dedup, documents, boiler, outcome)


def sets_table(scores: DocScores, dedup: cleaner.DedupOptions) -> Table:
    table = Table(
        title=f"Document clusters, recall by labelled set (document_threshold="
        f"{dedup.document_threshold}, keep={dedup.keep}, boilerplate_min_docs="
        f"{dedup.boilerplate_min_docs})",
        title_justify="left",
    )
    table.add_column("labelled set")
    for column in ("documents", "pairs", "found", "missed", "recall"):
        table.add_column(column, justify="right")
    for name, title in LABELLED.items():
        t = scores.sets[name]
        table.add_row(
            title, str(t.docs), str(t.pairs), str(t.found), str(t.pairs - t.found), fmt(t.recall)
        )
    pairs = sum(t.pairs for t in scores.sets.values())
    found = sum(t.found for t in scores.sets.values())
    table.add_row(
        "all labelled",
        "",
        str(pairs),
        str(found),
        str(pairs - found),
        fmt(scores.recall),
        style="bold",
    )
    return table


def precision_table(scores: DocScores) -> Table:
    table = Table(
        title=f"Document clusters, precision by corpus: {scores.clusters} clusters, "
        f"{scores.dropped} documents dropped; adjudicated = unlabelled pair with difflib "
        f"ratio >= {NEAR_RATIO}; related pairs not scored",
        title_justify="left",
    )
    table.add_column("corpus")
    columns = ("pairs", "labelled", "adjudicated", "related", "negatives", "other FP")
    for column in (*columns, "P labels", "P", "R", "F1", "target", "met"):
        table.add_column(column, justify="right")
    rows = [(name, scores.corpora[name]) for name in (*CORPORA, "cross-corpus")]
    for name, t in [*rows, ("all", scores.total)]:
        last = name == "all"
        table.add_row(
            name,
            str(t.predicted),
            str(t.labelled),
            str(t.adjudicated),
            str(t.related),
            str(t.negative),
            str(t.unlabelled),
            fmt(t.precision_labels),
            fmt(t.precision),
            fmt(scores.recall) if last else "",
            fmt(scores.f1) if last else "",
            f"P≥{TARGET[0]:g} R≥{TARGET[1]:g}" if last else "",
            met(scores.met()) if last else "",
            style="bold" if last else None,
        )
    return table


def negatives_table(scores: DocScores) -> Table:
    table = Table(
        title="Pairs that must not cluster, and related pairs (not scored)", title_justify="left"
    )
    table.add_column("set")
    for column in ("pairs", "clustered", "met"):
        table.add_column(column, justify="right")
    for name, title in NEGATIVE.items():
        t = scores.negatives[name]
        table.add_row(title, str(t.pairs), str(t.found), met(t.found == 0))
    for name, title in RELATED.items():
        t = scores.related[name]
        table.add_row(f"[dim]{title} (related)[/dim]", str(t.pairs), str(t.found), "")
    return table


def boilerplate_table(boiler: BoilerScores) -> Table:
    table = Table(
        title=f"Boilerplate removal (boilerplate_min_docs={boiler.min_docs}); label: channel "
        f"footers (among the last {FOOTER_TAIL} paragraphs of >= {FOOTER_POSTS} posts of a "
        "channel); R over the footer paragraphs of the Telegram documents kept",
        title_justify="left",
    )
    table.add_column("corpus")
    columns = (
        "removals",
        "footers",
        "other",
        "other with figures",
        "other < 3 words",
        "P vs footers",
        "R",
        f"docs < {boiler.min_docs}",
        "<= 2 articles",
        "documents lost",
        "met",
    )
    for column in columns:
        table.add_column(column, justify="right")
    by_corpus: dict[str, list[BoilerRemoval]] = defaultdict(list)
    for r in boiler.removals:
        by_corpus[r.doc_id.split("/", 1)[0]].append(r)
    for corpus in CORPORA:
        removals = by_corpus.get(corpus, [])
        lost = sum(d.startswith(f"{corpus}/") for d in boiler.lost)
        below = sum(r.documents < boiler.min_docs for r in removals)
        two = sum(r.articles <= 2 for r in removals)
        table.add_row(corpus, *_boiler_cells(removals), "", "", str(below), str(two), str(lost), "")
    ok = not boiler.two_articles and not boiler.below_min_docs and not boiler.lost
    table.add_row(
        "all",
        *_boiler_cells(boiler.removals),
        fmt(boiler.precision),
        fmt(boiler.recall),
        str(len(boiler.below_min_docs)),
        str(len(boiler.two_articles)),
        str(len(boiler.lost)),
        met(ok),
        style="bold",
    )
    return table


def dated_table(boiler: BoilerScores) -> Table:
    table = Table(
        title=f"Dated footers (injected, each in {FOOTED} documents; counted in the documents "
        "kept)",
        title_justify="left",
    )
    table.add_column("footer")
    for column in ("paragraphs", "removed", "recall"):
        table.add_column(column, justify="right")
    for kind, (present, removed) in boiler.dated.items():
        table.add_row(
            f"{kind}: {DATED_FOOTERS[kind][0][:50]}",
            str(present),
            str(removed),
            fmt(share(removed, present)),
        )
    present = sum(p for p, _ in boiler.dated.values())
    removed = sum(r for _, r in boiler.dated.values())
    table.add_row("all", str(present), str(removed), fmt(share(removed, present)), style="bold")
    return table


def _boiler_cells(removals: Sequence[BoilerRemoval]) -> list[str]:
    other = [r for r in removals if not r.footer]
    if not removals:
        return ["0", "0", "0", "0", "0"]
    return [
        str(len(removals)),
        str(len(removals) - len(other)),
        str(len(other)),
        str(sum(has_figure(r.text) for r in other)),
        str(sum(len(tokens(r.text)) < 3 for r in other)),
    ]


def has_figure(text: str) -> bool:
    """Whether a paragraph states a figure: a number or a number word, as the cleaner's
    paragraph rule reads them ("Qtly div 10 cts vs 10 cts prior", "Record Nov Five")."""
    return bool(fingerprint.numbers(fingerprint.normalize(text)))


def boilerplate_examples(boiler: BoilerScores, show: int) -> Table:
    """The most frequent removed paragraphs outside the label, and every rule violation."""
    table = Table(
        title="Boilerplate removals outside the footer label (most frequent) and rule violations",
        title_justify="left",
    )
    for column in ("kind", "paragraph", "removals", "docs", "articles"):
        table.add_column(
            column,
            justify="left" if column in ("kind", "paragraph") else "right",
            ratio=1 if column == "paragraph" else None,
        )
    counts: Counter[str] = Counter()
    first: dict[str, BoilerRemoval] = {}
    for r in boiler.removals:
        if not r.footer:
            counts[r.text] += 1
            first.setdefault(r.text, r)
    for text, n in counts.most_common(show):
        r = first[text]
        table.add_row("unlabelled", text[:200], str(n), str(r.documents), str(r.articles))
    seen: set[str] = set()
    for r in [*boiler.two_articles, *boiler.below_min_docs]:
        if r.text in seen or len(seen) >= show:
            continue
        seen.add(r.text)
        table.add_row(
            Text("violation", "red"),
            f"{r.text[:200]}\n({r.doc_id}{', document lost' if r.lost_document else ''})",
            "",
            str(r.documents),
            str(r.articles),
        )
    return table


def report(console: Console, result: Result, texts: Texts, show: int) -> None:
    scores, boiler = result.documents, result.boilerplate
    console.print(sets_table(scores, result.dedup))
    console.print(precision_table(scores))
    console.print(negatives_table(scores))
    console.print(boilerplate_table(boiler))
    console.print(dated_table(boiler))
    if scores.unread:
        console.print(
            f"[red]{len(scores.unread)} documents missing from corpus and rejects: "
            f"{', '.join(scores.unread[:5])}[/red]"
        )
    if scores.keep_order_violations:
        console.print(
            f"[red]{len(scores.keep_order_violations)} clusters keep a later document "
            f"than one they drop: {', '.join(scores.keep_order_violations[:5])}[/red]"
        )
    if boiler.footer_only:
        console.print(
            f"{len(boiler.footer_only)} posts that are nothing but channel footers were emptied "
            "and rejected (not counted as lost)"
        )
    if boiler.wrong_first:
        console.print(
            f"[yellow]{boiler.wrong_first} boilerplate removals name another document than the "
            "first other one holding the paragraph in the corpus[/yellow]"
        )
    if show:
        for title, found, count in (
            ("False positives", scores.false_positives, show),
            ("Misses", scores.misses, show),
            ("Adjudicated (unlabelled, counted as true)", scores.adjudicated, min(show, 3)),
        ):
            if found:
                console.print(examples_table(title, found, count, ("first", "second"), limit=260))
        if boiler.removals:
            console.print(boilerplate_examples(boiler, show))
    console.print(speed_line(result.outcome))


def result_json(result: Result, examples: bool = True) -> dict[str, Any]:
    scores, boiler = result.documents, result.boilerplate
    total = scores.total
    data: dict[str, Any] = {
        "options": asdict(result.dedup),
        "precision": total.precision,
        "precision_labels": total.precision_labels,
        "recall": scores.recall,
        "f1": scores.f1,
        "met": scores.met(),
        "sets": {n: {**asdict(t), "recall": t.recall} for n, t in scores.sets.items()},
        "corpora": {
            n: {**asdict(t), "precision": t.precision, "precision_labels": t.precision_labels}
            for n, t in scores.corpora.items()
        },
        "negatives": {n: asdict(t) for n, t in scores.negatives.items()},
        "related": {n: asdict(t) for n, t in scores.related.items()},
        "clusters": scores.clusters,
        "dropped": scores.dropped,
        "unread": scores.unread,
        "keep_order_violations": scores.keep_order_violations,
        "boilerplate": {
            "removals": len(boiler.removals),
            "footers": boiler.labelled,
            "precision": boiler.precision,
            "footer_paragraphs": boiler.footer_paragraphs,
            "footer_removed": boiler.footer_removed,
            "recall": boiler.recall,
            "below_min_docs": len(boiler.below_min_docs),
            "two_articles": len(boiler.two_articles),
            "lost": len(boiler.lost),
            "footer_only_emptied": len(boiler.footer_only),
            "wrong_first": boiler.wrong_first,
            "dated": boiler.dated,
        },
        "seconds": result.outcome.seconds,
        "megabytes": result.outcome.megabytes,
    }
    if examples:
        data["false_positives"] = [asdict(e) for e in scores.false_positives]
        data["misses"] = [asdict(e) for e in scores.misses]
        data["adjudicated"] = [asdict(e) for e in scores.adjudicated]
        data["boilerplate"]["violations"] = [
            asdict(r) for r in [*boiler.two_articles, *boiler.below_min_docs]
        ]
        data["boilerplate"]["lost_documents"] = boiler.lost
        data["boilerplate"]["footer_only_emptied"] = boiler.footer_only
    return data


def sweep(
    console: Console,
    folder: Path,
    truth: Truth,
    texts: Texts,
    base: cleaner.DedupOptions,
    workers: int,
    thresholds: Sequence[float],
    min_docs: Sequence[int],
) -> list[dict[str, Any]]:
    """Every document threshold x boilerplate_min_docs on the same folder, a row each."""

    def measure(setting: tuple[float, int]) -> tuple[list[str | Text], dict[str, Any]]:
        threshold, docs = setting
        dedup = _replace(base, document_threshold=threshold, boilerplate_min_docs=docs)
        result = evaluate(folder, truth, texts, dedup, workers)
        s, b = result.documents, result.boilerplate
        row: list[str | Text] = [
            f"{threshold:.2f}",
            str(docs),
            fmt(s.total.precision),
            fmt(s.total.precision_labels),
            fmt(s.recall),
            fmt(s.f1),
            str(s.total.negative),
            met(s.met()),
            fmt(b.precision),
            fmt(b.recall),
            str(len(b.removals)),
            str(len(b.two_articles)),
            str(len(b.lost)),
            f"{result.outcome.seconds:.1f}",
        ]
        return row, result_json(result, examples=False)

    return harness.sweep(
        console,
        "Sweep: document clusters (P with adjudication / P labels only / R / F1, "
        "negative pairs clustered) and boilerplate (P vs footers / R, removals of a paragraph "
        "in <= 2 articles, documents lost whole), cleaner seconds",
        (
            "threshold",
            "min docs",
            "P",
            "P labels",
            "R",
            "F1",
            "neg",
            "met",
            "BP P",
            "BP R",
            "BP removals",
            "<=2 art",
            "docs lost",
            "s",
        ),
        list(itertools.product(thresholds, min_docs)),
        measure,
    )


def _replace(dedup: cleaner.DedupOptions, **changes: Any) -> cleaner.DedupOptions:
    values = asdict(dedup)
    values.update(changes)
    return cleaner.DedupOptions(**values)


# --- Command line -----------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The document-level options, shared by ``bench/evaluate.py``."""
    defaults = cleaner.DedupOptions()
    group = parser.add_argument_group("document level")
    group.add_argument(
        "--document-threshold",
        type=float,
        default=defaults.document_threshold,
        help=f"Jaccard at which two documents are duplicates (default "
        f"{defaults.document_threshold})",
    )
    group.add_argument(
        "--boilerplate-min-docs",
        type=int,
        default=defaults.boilerplate_min_docs,
        help=f"documents a paragraph must recur in to be boilerplate (default "
        f"{defaults.boilerplate_min_docs})",
    )
    group.add_argument(
        "--keep",
        choices=("first", "longest"),
        default=defaults.keep,
        help=f"which document of a cluster stays (default {defaults.keep})",
    )
    group.add_argument(
        "--sweep-documents",
        action="store_true",
        help="score every --sweep-thresholds x --sweep-min-docs on the same folder "
        "(a full cleaner run each, about a minute)",
    )
    group.add_argument(
        "--sweep-thresholds",
        type=_floats,
        default=SWEEP_THRESHOLDS,
        help=f"document thresholds of the sweep, comma-separated (default "
        f"{','.join(map(str, SWEEP_THRESHOLDS))})",
    )
    group.add_argument(
        "--sweep-min-docs",
        type=_ints,
        default=SWEEP_MIN_DOCS,
        help=f"boilerplate_min_docs of the sweep, comma-separated (default "
        f"{','.join(map(str, SWEEP_MIN_DOCS))})",
    )


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(x) for x in text.split(","))


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(","))


def document_options(args: argparse.Namespace) -> cleaner.DedupOptions:
    return _replace(
        cleaner.DedupOptions(),
        threshold=args.threshold,
        shingle_size=args.shingle_size,
        containment=args.containment,
        document_threshold=args.document_threshold,
        boilerplate_min_docs=args.boilerplate_min_docs,
        keep=args.keep,
    )


def run(console: Console, args: argparse.Namespace) -> Any:
    """Build the folder, run the cleaner, print the tables; returns the JSON-able result."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cleaner-eval-docs-") as tmp:
        folder = Path(tmp)
        truth = build(folder, args.seed)
        for note in truth.notes:
            console.print(f"[yellow]{note}[/yellow]")
        console.print(
            f"document level: {len(truth.docs)} documents, {len(truth.labelled)} labelled pairs "
            f"({len(truth.truth_pairs())} in truth clusters), {len(truth.related)} related, "
            f"{len(truth.negative)} negative, {len(truth.footers)} channel footers; built in "
            f"{time.perf_counter() - started:.1f} s"
        )
        texts = reference_texts(folder, args.workers)
        dedup = document_options(args)
        if args.sweep_documents:
            return sweep(
                console,
                folder,
                truth,
                texts,
                dedup,
                args.workers,
                args.sweep_thresholds,
                args.sweep_min_docs,
            )
        result = evaluate(folder, truth, texts, dedup, args.workers)
        report(console, result, texts, args.show)
        return result_json(result)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = harness.parser(__doc__)
    add_arguments(parser)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    return harness.main(parse_args(argv), [("documents", run)], width=160)


if __name__ == "__main__":
    sys.exit(main())
