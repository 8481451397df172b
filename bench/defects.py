"""Defects a scraper leaves in a repeated paragraph: how a copy differs from its original.

Each transform takes a paragraph (and its article, for words to draw from) and returns the
copy, or None when the defect cannot apply to it. ``make eval`` injects them into real articles
to score the cleaner; ``make bench`` and ``make identical`` into their workload
(:mod:`bench.workload`). Nothing here imports ``cleaner``, so a workload built from it is the
same whichever version of the cleaner is installed beside it.
"""

from __future__ import annotations

import html
import html.entities
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from random import Random
from typing import Literal

import ftfy
import ftfy.bad_codecs  # registers the "sloppy-windows-1252" codec

# A one-word change to a shorter paragraph can make it a different statement ("rose"/"fell"),
# which the negatives test; edited copies are taken from paragraphs at least this long.
MIN_EDIT_WORDS = 12
# A misspelt word leaves a paragraph the same statement, however short; the cleaner compares
# paragraphs of 5 words or more.
MIN_TYPO_WORDS = 6

Transform = Callable[[str, Sequence[str], Random], str | None]

_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_ALPHA_WORD = re.compile(r"\b[^\W\d_]{3,}\b")


def same(paragraph: str, article: Sequence[str], rng: Random) -> str:
    """An exact copy."""
    return paragraph


def _smart_quotes(text: str) -> str:
    """Straight quotes to typographic ones: opening after a space or bracket, else closing."""
    out = []
    for i, char in enumerate(text):
        opening = i == 0 or text[i - 1].isspace() or text[i - 1] in "([{"
        if char == '"':
            out.append("“" if opening else "”")
        elif char == "'":
            out.append("‘" if opening else "’")
        else:
            out.append(char)
    return "".join(out)


_STRAIGHTEN = str.maketrans("‘’“”", "''\"\"")


def quotes(paragraph: str, article: Sequence[str], rng: Random) -> str | None:
    """Curly quotes straightened, or straight quotes curled."""
    straight = paragraph.translate(_STRAIGHTEN)
    if straight != paragraph:
        return straight
    return _smart_quotes(paragraph) if ("'" in paragraph or '"' in paragraph) else None


def guillemets(paragraph: str, article: Sequence[str], rng: Random) -> str | None:
    """«Guillemets» as “quotes” or "quotes", or double quotes as «guillemets»."""
    if "«" in paragraph or "»" in paragraph:
        left, right = rng.choice([("“", "”"), ('"', '"')])
        return paragraph.replace("«", left).replace("»", right)
    curled = _smart_quotes(paragraph)
    if "“" in curled or "”" in curled:
        return curled.replace("“", "«").replace("”", "»")
    return None


def odd_spaces(paragraph: str, article: Sequence[str], rng: Random) -> str | None:
    """Some spaces non-breaking or doubled, as HTML-to-text conversion leaves them."""
    spaces = [m.start() for m in re.finditer(" ", paragraph)]
    if not spaces:
        return None
    chosen = set(rng.sample(spaces, min(len(spaces), rng.randint(1, 4))))
    variants = ("\u00a0", "  ", "\u00a0 ")
    return "".join(rng.choice(variants) if i in chosen else c for i, c in enumerate(paragraph))


def _entity(char: str, rng: Random) -> str:
    if char == "'":
        return rng.choice(("&#39;", "&#x27;", "&apos;"))
    if char in '&<>"':
        return html.escape(char)
    if ord(char) < 128:
        return char
    name = html.entities.codepoint2name.get(ord(char))
    return f"&{name};" if name and rng.random() < 0.5 else f"&#{ord(char)};"


def entities(paragraph: str, article: Sequence[str], rng: Random) -> str | None:
    """Markup characters and non-ASCII ones as HTML entities (``&amp;``, ``&#8217;``...)."""
    escaped = "".join(_entity(c, rng) for c in paragraph)
    return escaped if escaped != paragraph else None


def mojibake(paragraph: str, article: Sequence[str], rng: Random) -> str | None:
    """UTF-8 bytes read as Windows-1252, the commonest mojibake ("Â£", "Ð¿Ñ€Ð¸...").

    Decoded with ftfy's "sloppy" cp1252, which keeps the five bytes cp1252 leaves undefined
    as the C1 controls a real mis-decoding browser or database yields, so the damage is the
    realistic, reversible kind; a copy ftfy's own decoder cannot undo is not used.
    """
    if paragraph.isascii():
        return None
    broken = paragraph.encode("utf-8").decode("sloppy-windows-1252")
    return broken if ftfy.fix_encoding(broken) == paragraph else None


def hard_wrapped(paragraph: str, article: Sequence[str], rng: Random) -> str | None:
    """The copy broken into lines of about 70 characters within its block."""
    lines = textwrap.wrap(
        paragraph, width=rng.randint(60, 76), break_long_words=False, break_on_hyphens=False
    )
    return "\n".join(lines) if len(lines) > 1 else None


def word_changed(paragraph: str, article: Sequence[str], rng: Random) -> str | None:
    """One common word replaced by another common word of the same article.

    Not a figure and not a name (a capitalised word): paragraphs that differ only in their
    figures or names are different news (the templated negatives), not edited copies.
    """
    targets = [m for m in _ALPHA_WORD.finditer(paragraph) if m.group().islower()]
    vocabulary: list[str] = list(
        dict.fromkeys(w for p in article for w in _ALPHA_WORD.findall(p) if w.islower())
    )
    if not targets:
        return None
    target = rng.choice(targets)
    choices = [w for w in vocabulary if w.casefold() != target.group().casefold()]
    if not choices:
        return None
    return paragraph[: target.start()] + rng.choice(choices) + paragraph[target.end() :]


DATELINES_EN = (
    "MOSCOW (Reuters) - ",
    "LONDON, March 3 (Reuters) - ",
    "WASHINGTON (AP) — ",
    "By Jane Smith, BBC News | ",
    "By John Doe, Business reporter, BBC News. ",
)
DATELINES_RU = (
    "МОСКВА, 12 мар — РИА Новости. ",
    "МОСКВА, 3 марта. /ТАСС/. ",
    "Автор: Анна Смирнова, Би-би-си. ",
)


def dateline(paragraph: str, article: Sequence[str], rng: Random) -> str:
    """A dateline or byline glued to the front, as a second rendering of a lead shows it."""
    pool = DATELINES_RU if _CYRILLIC.search(paragraph) else DATELINES_EN
    return rng.choice(pool) + paragraph


_SENTENCE_END = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"”»’']))\s+(?=[«\"“(]?[A-ZА-ЯЁ])")


def last_sentence_dropped(paragraph: str, article: Sequence[str], rng: Random) -> str | None:
    """The paragraph without its trailing sentence, as an editor's trim leaves it."""
    sentences = _SENTENCE_END.split(paragraph)
    return " ".join(sentences[:-1]) if len(sentences) > 1 else None


# Invisible characters scrapers leave inside words: soft hyphens (German and Russian pages
# hyphenated for the browser), zero-width spaces and joiners, word joiners, a BOM, bidi marks;
# and the default-ignorable ones that are not format characters: the combining grapheme
# joiner, an emoji's variation selector, the Hangul filler (an "invisible letter" of posts).
INVISIBLE = (
    *("\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e"),
    *("\u034f", "\ufe0f", "\u3164"),
)
_LONG_WORD = re.compile(r"\b[^\W\d_]{4,}\b")


def invisible(paragraph: str, article: Sequence[str], rng: Random) -> str | None:
    """Invisible characters inside one to four words (one to three in each)."""
    found = list(_LONG_WORD.finditer(paragraph))
    if not found:
        return None
    out, last = [], 0
    for match in sorted(
        rng.sample(found, min(len(found), rng.randint(1, 4))), key=lambda m: m.start()
    ):
        word = list(match.group())
        for _ in range(rng.randint(1, 3)):
            word.insert(rng.randint(1, len(word) - 1), rng.choice(INVISIBLE))
        out += [paragraph[last : match.start()], "".join(word)]
        last = match.end()
    return "".join(out) + paragraph[last:]


_TYPO_WORD = re.compile(r"\b[^\W\d_]{6,}\b")


def _misspell(
    paragraph: str, rng: Random, change: Callable[[str, Random], str | None]
) -> str | None:
    """``change`` made to one long word (six letters or more), a name as often as not."""
    found = list(_TYPO_WORD.finditer(paragraph))
    capitalised = [m for m in found if m.group()[0].isupper() and m.start() > 0]
    pool = capitalised if capitalised and rng.random() < 0.5 else found
    for match in rng.sample(pool, len(pool)):
        new = change(match.group(), rng)
        if new is not None and new != match.group():
            return paragraph[: match.start()] + new + paragraph[match.end() :]
    return None


def _transpose(word: str, rng: Random) -> str | None:
    at = rng.randint(1, len(word) - 2)
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


# What OCR reads for what was printed (both ways), and single-letter confusions.
OCR_CONFUSIONS = (
    ("m", "rn"),
    ("rn", "m"),
    ("d", "cl"),
    ("w", "vv"),
    ("l", "1"),
    ("l", "I"),
    ("I", "l"),
    ("e", "c"),
    ("c", "e"),
    ("o", "0"),
    ("h", "li"),
    ("u", "ii"),
    ("i", "l"),
    ("S", "5"),
    ("о", "0"),
    ("е", "с"),
    ("с", "е"),
    ("п", "н"),
    ("ш", "щ"),
    ("и", "н"),
)


def _ocr(word: str, rng: Random) -> str | None:
    spots = [
        (i, a, b) for a, b in OCR_CONFUSIONS for i in range(1, len(word)) if word.startswith(a, i)
    ]
    if not spots:
        return None
    i, a, b = rng.choice(spots)
    return word[:i] + b + word[i + len(a) :]


def _typo(word: str, rng: Random) -> str | None:
    """A typist's slip: a letter dropped, doubled or struck for its neighbour."""
    at = rng.randint(1, len(word) - 2)
    kind = rng.choice(("drop", "double", "strike"))
    if kind == "drop":
        return word[:at] + word[at + 1 :]
    if kind == "double":
        return word[:at] + word[at] + word[at:]
    return word[:at] + word[at + 1] + word[at + 1 :]


def _split(word: str, rng: Random) -> str | None:
    """OCR's space inside a word ("govern ment"), or a hard wrap's hyphen ("govern-" at a
    line's end, "ment" on the next)."""
    at = rng.randint(2, len(word) - 2)
    return word[:at] + rng.choice((" ", "-\n")) + word[at:]


_JOINABLE = re.compile(r"(?<=[^\W\d_]{2}) (?=[^\W\d_]{2})")


def word_split(paragraph: str, article: Sequence[str], rng: Random) -> str | None:
    """One long word (sometimes a name) split by a space or a hard wrap's hyphen, or two
    words joined where OCR or a scraper lost the space between them."""
    if rng.random() < 0.5:
        return _misspell(paragraph, rng, _split)
    spaces = [m.start() for m in _JOINABLE.finditer(paragraph)]
    if not spaces:
        return None
    at = rng.choice(spaces)
    return paragraph[:at] + paragraph[at + 1 :]


def transposed(paragraph: str, article: Sequence[str], rng: Random) -> str | None:
    """Two adjacent letters swapped in one long word, sometimes a name."""
    return _misspell(paragraph, rng, _transpose)


def ocr_error(paragraph: str, article: Sequence[str], rng: Random) -> str | None:
    """One OCR misreading (rn/m, cl/d, l/1, e/c...) in one long word, sometimes a name."""
    return _misspell(paragraph, rng, _ocr)


def typo(paragraph: str, article: Sequence[str], rng: Random) -> str | None:
    """One letter dropped, doubled or replaced by its neighbour in one long word or name."""
    return _misspell(paragraph, rng, _typo)


_SHORT_WORD = re.compile(r"\b[^\W\d_]{2,4}\b")
# Keys that touch on a QWERTY or ЙЦУКЕН keyboard, row by row: a key lies under the key
# above it and that key's right-hand neighbour.
_KEYBOARDS = (("qwertyuiop", "asdfghjkl", "zxcvbnm"), ("йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю"))
# What OCR reads for a short word's letters, a word's first letter included.
_SHORT_OCR = (
    ("o", "0"),
    ("O", "0"),
    ("l", "1"),
    ("I", "1"),
    ("i", "l"),
    ("S", "5"),
    ("s", "5"),
    ("B", "8"),
    ("b", "h"),
    ("h", "b"),
    ("t", "f"),
    ("f", "t"),
    ("e", "c"),
    ("c", "e"),
    ("m", "rn"),
    ("d", "cl"),
    ("g", "q"),
    ("о", "0"),
    ("е", "с"),
    ("и", "н"),
)


def _key_beside(letter: str, rng: Random) -> str | None:
    lower = letter.lower()
    for rows in _KEYBOARDS:
        for r, row in enumerate(rows):
            i = row.find(lower)
            if i < 0:
                continue
            near = [row[i - 1 : i] if i else "", row[i + 1 : i + 2]]
            if r:
                near += [rows[r - 1][i : i + 1], rows[r - 1][i + 1 : i + 2]]
            if r + 1 < len(rows):
                near += [rows[r + 1][i - 1 : i] if i else "", rows[r + 1][i : i + 1]]
            key = rng.choice([k for k in near if k])
            return key.upper() if letter.isupper() else key
    return None


def _short_slip(word: str, rng: Random) -> str | None:
    """A key struck for its neighbour, a glyph misread, or two letters swapped."""
    kind = rng.choice(("key", "ocr", "swap"))
    if kind == "swap" and len(word) >= 3:
        at = rng.randrange(len(word) - 1)
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    if kind == "ocr":
        spots = [
            (i, a, b) for a, b in _SHORT_OCR for i in range(len(word)) if word.startswith(a, i)
        ]
        if spots:
            i, a, b = rng.choice(spots)
            return word[:i] + b + word[i + len(a) :]
    at = rng.randrange(len(word))
    key = _key_beside(word[at], rng)
    return None if key is None else word[:at] + key + word[at + 1 :]


def short_word_slip(paragraph: str, article: Sequence[str], rng: Random) -> str | None:
    """A slip in one word of two to four letters ("Tge", "0ne", "ad" for "as"), where a
    misprint is as likely as in a long word and a sentence's first word is often the one."""
    found = list(_SHORT_WORD.finditer(paragraph))
    for match in rng.sample(found, len(found)):
        new = _short_slip(match.group(), rng)
        if new is not None and new != match.group():
            return paragraph[: match.start()] + new + paragraph[match.end() :]
    return None


@dataclass(frozen=True)
class Defect:
    """One kind of injected copy: what it changes, which paragraph, and where the copy goes."""

    label: str  # "category/subtype"
    transform: Transform
    source: Literal["lead", "any"] = "any"
    # "next": right after its original; "later": two or more paragraphs on; "after": either
    placement: Literal["next", "later", "after"] = "after"
    min_words: int = 0


DEFECTS = (
    Defect("exact/lead-doubled", same, source="lead", placement="next"),
    Defect("exact/repeated-later", same, placement="later"),
    Defect("rendering/quotes", quotes),
    Defect("rendering/guillemets", guillemets),
    Defect("rendering/spaces", odd_spaces),
    Defect("rendering/entities", entities),
    Defect("rendering/mojibake", mojibake),
    Defect("rendering/hard-wrapped", hard_wrapped),
    Defect("rendering/invisible", invisible),
    Defect("edit/word-changed", word_changed, min_words=MIN_EDIT_WORDS),
    Defect("edit/dateline", dateline, source="lead", min_words=MIN_EDIT_WORDS),
    Defect("edit/last-sentence-dropped", last_sentence_dropped, min_words=MIN_EDIT_WORDS),
    Defect("edit/typo-transposed", transposed, min_words=MIN_TYPO_WORDS),
    Defect("edit/typo-ocr", ocr_error, min_words=MIN_TYPO_WORDS),
    Defect("edit/typo-letter", typo, min_words=MIN_TYPO_WORDS),
    Defect("edit/word-split", word_split, min_words=MIN_TYPO_WORDS),
    Defect("edit/typo-short-word", short_word_slip, min_words=MIN_TYPO_WORDS),
)
