"""Fingerprint: a paragraph's comparison key, its word shingles and their MinHash signature.

The **key** folds what a repeat may differ in without being a different paragraph: Unicode
form (NFKC, so non-breaking and full-width spaces become spaces), case, quote and dash
variants, and whitespace. Two paragraphs with the same key are exact repeats.

**Shingles** are runs of ``k`` consecutive words of the key (a word is a run of ASCII
letters, digits and ``_`` and of non-ASCII characters, so that the kernel can find words in
UTF-8 bytes without a Unicode table; a paragraph shorter than ``k`` words is one shingle).
A word's 64-bit hash is a polynomial over its UTF-8 bytes, mixed by the MurmurHash3
finalizer; a shingle's 64-bit hash combines its words' FNV-1a-style. The exact Jaccard
similarity used to verify a near repeat is computed on these 64-bit values, so it is exact up
to a 2**-64 collision chance per pair.

The work is done by a small C kernel (``cleaner/_kernel.c``) when it was built, else by
:func:`_python_kernel`, the reference it is tested against; both give the same bytes.

**Signatures** follow datasketch 2's ``affine32`` MinHash scheme bit for bit: a shingle's
32-bit hash ``h`` (the 64-bit one folded) is pre-mixed with the MurmurHash3 finalizer and
permuted as ``a_k * fmix(h) + b_k mod 2**32``, with ``a_k, b_k`` drawn as
``datasketch.MinHash(num_perm, seed)`` draws them. So ``datasketch.MinHash(num_perm, seed,
hashfunc=shingle_hash32)`` updated with the shingles of :func:`shingles` gives the same hash
values, and the standard MinHash estimate holds: the fraction of equal signature entries
estimates the Jaccard similarity with standard error ``sqrt(J(1-J)/num_perm)``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache
from hashlib import blake2b
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cleaner.compiled import compiled

# Recorded with every corpus: signatures are comparable only under the same scheme.
SCHEME = "datasketch-affine32/poly64-fnv1a-words"
# 2: emoji, symbols and non-ASCII punctuation are not words; 3: format characters dropped;
# 4: the acute accent and the double prime folded as quotes, as NFKC would take them apart;
# 5: default-ignorable code points dropped as format characters are
NORMALIZATION_VERSION = 5

_QUOTES_AND_DASHES = {
    **dict.fromkeys("‘’‚‛′`´", "'"),
    **dict.fromkeys("“”„‟″«»‹›", '"'),
    **dict.fromkeys("‐‑‒–—―−", "-"),
}
# A regex finds the few characters to fold; str.translate would look up every character of
# the text in a dict, 8 times slower on Cyrillic text.
_FOLDABLE = re.compile("[" + "".join(_QUOTES_AND_DASHES) + "]")


# Emoji, pictographs and their variation selectors and joiners, symbols, and punctuation
# outside ASCII, and "_" (Markdown's italics), separate words instead of making them:
# "⚡️Евро", "__Евро__" and "Евро" have the same words. Inclusive code point ranges.
NOT_WORD_RANGES = (
    (0x5F, 0x5F),
    (0xA1, 0xBF),
    (0xD7, 0xD7),
    (0xF7, 0xF7),
    (0x2000, 0x206F),
    (0x20A0, 0x20FF),
    (0x2190, 0x2BFF),
    (0x3000, 0x303F),
    (0xFE00, 0xFE0F),
    (0xFE10, 0xFE1F),
    (0xFE30, 0xFE4F),
    (0x1F000, 0x1FAFF),
    (0xE0000, 0xE007F),
)


def _runs_of(ranges: tuple[tuple[int, int], ...]) -> re.Pattern[str]:
    """A pattern matching runs of the characters in some code point ranges."""
    return re.compile(
        "[" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges) + "]+"
    )


_NOT_WORDS = _runs_of(NOT_WORD_RANGES)


def _fold(match: re.Match[str]) -> str:
    return _QUOTES_AND_DASHES[match.group()]


def _tidy(text: str) -> str:
    """The reference for ``cleaner._kernel.tidy``: quote and dash variants folded, and
    whatever separates words (emoji, symbols, whitespace...) made single spaces, trimmed."""
    # Each step is skipped when a cheap test shows it would change nothing.
    if not text.isascii() or "`" in text:
        text = _FOLDABLE.sub(_fold, text)
    if not text.isascii() or "_" in text:
        text = _NOT_WORDS.sub(" ", text)
    if "  " in text or not text.isprintable() or text[:1] == " " or text[-1:] == " ":
        text = " ".join(text.split())
    return text


def _compiled_tidy() -> Callable[[str], str] | None:
    set_tables, tidy = compiled("set_tables"), compiled("tidy")
    if set_tables is None or tidy is None:
        return None
    ranges = np.array(NOT_WORD_RANGES, dtype=np.uint32).tobytes()
    set_tables(ranges, "".join(_QUOTES_AND_DASHES), "".join(_QUOTES_AND_DASHES.values()))
    return tidy


TIDY = _compiled_tidy() or _tidy

# Quotes that NFKC takes apart are folded before it: the acute accent typed for an
# apostrophe ("C´est", "don´t") would become a space and a combining accent, which starts a
# word of its own, and the double prime two primes.
_DECOMPOSED_QUOTES = {
    c: folded
    for c, folded in _QUOTES_AND_DASHES.items()
    if _tidy(unicodedata.normalize("NFKC", c)) != folded
}
_UNDECOMPOSED = str.maketrans(_DECOMPOSED_QUOTES)


# Invisible characters: Unicode's format characters (category Cf: soft hyphen, zero-width
# space, the joiners, word joiner, BOM, bidi marks...) and its default-ignorable code points
# (DerivedCoreProperties.txt: the variation selectors, the combining grapheme joiner, the
# Hangul fillers...), which a text shows as nothing. Inside a word they neither end it nor
# make it another word, so the key drops them before anything else. A test checks the table
# against unicodedata's Cf.
INVISIBLE_RANGES = (
    (0xAD, 0xAD),
    (0x34F, 0x34F),
    (0x600, 0x605),
    (0x61C, 0x61C),
    (0x6DD, 0x6DD),
    (0x70F, 0x70F),
    (0x890, 0x891),
    (0x8E2, 0x8E2),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x13438),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
_INVISIBLE = _runs_of(INVISIBLE_RANGES)


def _printable(ranges: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    """The runs of code points of some ranges that ``str.isprintable()`` passes.

    >>> _printable(((0x34F, 0x34F), (0xFEFF, 0xFEFF), (0xE0000, 0xE0101)))
    ((847, 847), (917760, 917761))
    """
    runs: list[tuple[int, int]] = []
    for a, b in ranges:
        for c in range(a, b + 1):
            if not chr(c).isprintable():
                continue
            if runs and runs[-1][1] == c - 1:
                runs[-1] = (runs[-1][0], c)
            else:
                runs.append((c, c))
    return tuple(runs)


# Those str.isprintable() passes (not Cf), looked for apart: a few runs, which the regex
# tests fast (a class of single characters, one per code point, costs a hundred times more).
_PRINTABLE_INVISIBLE = _runs_of(_printable(INVISIBLE_RANGES))

_WORD = re.compile("[0-9A-Za-z_\x80-\U0010ffff]+")
# Figures: digits, and the number words newswire spells out ("Qtly div nine cts vs eight").
_NUMBER_WORDS = (
    "zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    "fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|"
    "sixty|seventy|eighty|ninety|hundred|thousand|million|billion|trillion|half|"
    "quarter|ноль|один|одна|одно|два|две|три|четыре|пять|шесть|семь|восемь|девять|"
    "десять|одиннадцать|двенадцать|двадцать|тридцать|сорок|пятьдесят|сто|тысяча|"
    "тысячи|тысяч|миллион|миллиона|миллионов|миллиард|миллиарда|миллиардов"
)
# A figure starts at a word's start, or right after a character of a script written without
# spaces, where no word boundary is ("增长5.8%", "株価は3.2%上昇")
_UNSPACED_BEFORE = "(?<=[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f])"
_FIGURES = rf"(?:\b|{_UNSPACED_BEFORE})\d+(?:[.,]\d+)*|\b(?:{_NUMBER_WORDS})\b"
# Every figure starts with a digit or the first letter of a number word: a lookahead for one,
# tried before the word boundary and the alternatives, halves the search.
_FIGURE_START = "".join(sorted({word[0] for word in _NUMBER_WORDS.split("|")}))
_NUMBER = re.compile(rf"(?=[\d{_FIGURE_START}])(?:{_FIGURES})")

_MASK64 = (1 << 64) - 1
_WORD_BASE = 0x100000001B3
_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_U32 = np.uint32
_U64 = np.uint64


def normalize(paragraph: str) -> str:
    """The comparison key of a paragraph.

    >>> print(normalize("«Kerry’s  visit» — ＴＯＤＡＹ"))
    "kerry's visit" - today
    >>> print(normalize("⚡️__Срочно__: 🇷🇺 курс"))
    срочно : курс
    >>> normalize("Ver\u00adsiche\u200brung") == normalize("Versicherung")
    True
    >>> print(normalize("C´est"))
    c'est
    """
    # Format characters are not printable: the C test spares most paragraphs the regex.
    if not paragraph.isprintable() or (
        not paragraph.isascii() and _PRINTABLE_INVISIBLE.search(paragraph)
    ):
        paragraph = _INVISIBLE.sub("", paragraph)
    if not paragraph.isascii():
        for quote in _DECOMPOSED_QUOTES:  # two: this loop costs a quarter of any() over a generator
            if quote in paragraph:
                paragraph = paragraph.translate(_UNDECOMPOSED)
                break
    # casefold after tidying, which it cannot undo: it neither makes nor takes away
    # whitespace, quotes, dashes or separators.
    return TIDY(unicodedata.normalize("NFKC", paragraph)).casefold()


def plain_letters(text: str) -> str:
    """``text`` without its diacritics: "ü" as "u", and the letters whose mark is drawn into
    them, which Unicode does not take apart, as the plain letter ("ł" as "l"), as a keyboard
    or a feed that knows only plain letters writes them.

    >>> plain_letters("Łódź, Tromsø, katıldı")
    'Lodz, Tromso, katildi'
    """
    if text.isascii():
        return text
    bare = unicodedata.normalize("NFC", _DIACRITICS.sub("", unicodedata.normalize("NFD", text)))
    for letter, plain in _STROKED:  # replace() scans at C speed, translate() looks up each
        if letter in bare:
            bare = bare.replace(letter, plain)
    return bare


# The combining marks that Latin, Greek and Cyrillic letters take apart into (NFD); other
# scripts' marks (vowel signs, points) are letters of their words, and stay.
_DIACRITICS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Letters with a stroke, a slash or without a dot, which a plain keyboard writes as the letter
_STROKED = tuple(zip("łŁøØđĐħĦıŧŦ", "lLoOdDhHitT", strict=True))
# Latin letters with a diacritic (Latin-1 to Latin Extended-B, and Latin Extended Additional)
MARKED_LATIN = re.compile("[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]")


def words(key: str) -> list[str]:
    """The words of a key.

    >>> words('"kerry-s visit" - today')
    ['kerry', 's', 'visit', 'today']
    """
    return _WORD.findall(key)


def with_words(key: str, new: Sequence[str]) -> str:
    """``key`` with its words (:func:`words`) replaced, in order, by ``new``; the key as it
    is when ``new`` has another number of words.

    >>> with_words("0ne in five, 2.5 pct", ["one", "in", "five", "2", "5", "pct"])
    'one in five, 2.5 pct'
    """
    found = list(_WORD.finditer(key))
    if len(found) != len(new):
        return key
    kept: list[str] = []
    done = 0
    for match, word in zip(found, new, strict=True):
        kept += (key[done : match.start()], word)
        done = match.end()
    kept.append(key[done:])
    return "".join(kept)


def numbers(key: str) -> tuple[str, ...]:
    """The figures a paragraph states, in order; near repeats must not disagree on them.

    A number's thousands are written as the place and the house style want ("58,000",
    "58 000", "58.000", "58'000", "58000"): digits grouped by three are one figure, written
    without the separators, so that two renderings of one paragraph state the same figures.
    So is its decimal mark ("2.5", "2,5"), which OCR also reads one for the other: a comma
    left between digits, thousands aside, is the decimal point.

    >>> numbers("rose 2.5 pct to 1,200 dlrs, up from nine")
    ('2.5', '1200', 'nine')
    >>> numbers("stieg um 2,5 Prozent auf 1.200,75 Euro")
    ('2.5', '1200.75')
    >>> numbers("4 800 человек, 20 000 м²") == numbers("4800 человек, 20000 м²")
    True
    >>> numbers("in 1990 2000 fans, 1, 200 dlrs; in 1990 200 fans, 0.125 pct")
    ('1990', '2000', '1', '200', '1990', '200', '0.125')
    >>> numbers("沪指收涨0.5%，成交额8000亿元"), numbers("株価は3.2%上昇")
    (('0.5', '8000'), ('3.2',))
    """
    if _THOUSANDS.search(key) is not None:
        key = _THOUSANDS.sub(_without_separators, key)
    found = _NUMBER.findall(key)
    return tuple(figure.replace(",", ".") for figure in found) if "," in key else tuple(found)


def _without_separators(match: re.Match[str]) -> str:
    return match.group(0).replace(match.group(2), "")


# A number of one to three digits, not starting with 0 nor after a digit or a separator,
# then groups of exactly three digits after one and the same separator: thousands in one
# house style or another. "1990 200" is two figures, "0.125" and "1,200.5" keep their
# decimals, and a space after a comma parts two figures ("1, 200"). A point before three
# digits reads as thousands ("58.000"), a decimal such as "5.125" too: the same on both
# sides of a comparison, which is all the figures are for.
_THOUSANDS = re.compile(r"(?<![\d.,'’])[1-9]\d{0,2}(([ ,.'’])\d{3})(?:\2\d{3})*(?!\d)")


def masked_figures(key: str) -> str:
    """A key with each figure as ``#``: the lines of a template share it.

    >>> masked_figures("record march 31, pay april one")
    'record march #, pay april #'
    """
    return _NUMBER.sub("#", key)


# Month and weekday names, full and short, in the languages of the corpora and their
# neighbours.
_CALENDAR_NAMES = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday "
    "friday saturday sunday mon tue tues wed thu thur thurs fri sat sun январь февраль март "
    "апрель май июнь июль август сентябрь октябрь ноябрь декабрь января февраля марта "
    "апреля мая июня июля августа сентября октября ноября декабря янв фев мар апр июн июл "
    "авг сен сент окт ноя дек понедельник вторник среда среду четверг пятница пятницу "
    "суббота субботу воскресенье januar februar märz juni juli oktober dezember montag "
    "dienstag mittwoch donnerstag freitag samstag sonntag janvier février mars avril mai "
    "juin juillet août septembre octobre novembre décembre lundi mardi mercredi jeudi "
    "vendredi samedi dimanche enero febrero marzo abril mayo junio julio agosto septiembre "
    "setiembre octubre noviembre diciembre lunes martes miércoles jueves viernes sábado "
    "domingo janeiro fevereiro março maio junho julho setembro outubro novembro dezembro "
    "segunda-feira terça-feira quarta-feira quinta-feira sexta-feira gennaio febbraio "
    "aprile maggio giugno luglio settembre ottobre dicembre lunedì martedì mercoledì "
    "giovedì venerdì sabato januari februari maart mei augustus oktober maandag dinsdag "
    "woensdag donderdag vrijdag zaterdag zondag styczeń luty marzec kwiecień maj czerwiec "
    "lipiec sierpień wrzesień październik listopad grudzień stycznia lutego marca "
    "kwietnia maja czerwca lipca sierpnia września października listopada grudnia "
    "poniedziałek wtorek środa czwartek piątek sobota niedziela mär okt dez janv févr avr "
    "juil déc"
)
_CALENDAR = frozenset(_CALENDAR_NAMES.split())
# Words that join the parts of a date ("24 de octubre de 2024", "4th of July 2024"), part of
# it only between two of its parts.
_DATE_JOINERS = frozenset(("de", "del", "do", "da", "of"))
# What follows a time of day written with a point ("11.00 GMT", "9.30 a.m.")
_ZONES = r"gmt|bst|utc|cet|cest|msk|est|edt|cst|cdt|pst|pdt|am|pm|a\.m|p\.m|uhr"
# A moment: a time of day, a year, a date in figures (ISO, with its time too, or day, month
# and year). The lookahead for a digit comes first, which lets the search skip to digits.
_MOMENT = re.compile(
    # Chinese, Japanese and Korean dates, written into the text without spaces around them
    r"(?<!\d)\d{4}(?:年\d{1,2}月\d{1,2}日|년 ?\d{1,2}월 ?\d{1,2}일)|"
    r"(?<!\d)\d{1,2}(?:[時时]\d{1,2}分|시 ?\d{1,2}분)|"  # and times
    # A colon after a label ("Stand:14.03.2024") is a space; after a digit, part of a time
    r"(?=\d)(?<![\w.,/-])(?<!\d:)(?:\d{1,2}:\d{2}(?::\d{2})?|\d{1,2}h\d{2}|"
    r"\d{4}-\d{1,2}-\d{1,2}(?:t\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:z|[+-]\d{2}:?\d{2})?)?|"
    r"\d{4}([./])\d{1,2}\1\d{1,2}\.?|"  # the year first, as East Asian sites write it
    rf"\d{{1,2}}\.\d{{2}}(?= ?(?:{_ZONES})\b)|"
    r"(?:(?<=kl\. )|(?<=klo ))\d{1,2}\.\d{2}|"  # Nordic: "kl. 14.41", "klo 14.41"
    r"\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})|\d{1,2}-[^\W\d_]{3,9}\.?-\d{4}|"
    r"(?:1[89]|20)\d{2}(?:-(?:1[89]|20)\d{2})?)"
    r"(?![\w.,:/-]*\d)"
)
# A moment told from now ("3 hours ago", "vor 3 Stunden", "il y a 3 heures", "hace 3 horas",
# "3 часа назад"): a relative timestamp, different in each scrape.
_AGO = re.compile(
    r"\b\d{1,3} (?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?) ago\b|"
    r"\b\d{1,3}(?:s|m|min|h|hr|d|w|mo|y|yr) ago\b|"  # "5h ago", "3d ago"
    r"\bvor \d{1,3} (?:sekunden|minuten|stunden|tagen|wochen|monaten|jahren)\b|"
    r"\bil y a \d{1,3} (?:secondes?|minutes?|heures?|jours?|semaines?|mois|ans?)\b|"
    r"\bhace \d{1,3} (?:segundos?|minutos?|horas?|días?|semanas?|meses|años?)\b|"
    r"\b\d{1,3} (?:секунд[уы]?|минут[уы]?|час(?:а|ов)?|дн(?:я|ей)|день|недел[юиь]|месяц(?:а|ев)?|"
    r"год(?:а)?|лет) назад\b"
)
_AGO_MARKS = (" ago", "vor ", "il y a ", "hace ", " назад")
# A count that changes with each scrape and says nothing of the story: the reading time a
# page estimates ("5 min read", "Lesezeit: 3 Min."), and its readers' views, comments,
# shares and likes ("1,234 views", "Comments (12)", "12 комментариев").
_READING = (
    r"(?:reading time|read time|lesezeit|lesedauer|temps de lecture|tiempo de lectura|время чтения)"
)
_REACTIONS = (
    r"(?:views|comments|shares|likes|replies|aufrufe|kommentare|vues|commentaires|visitas|"
    r"comentarios|просмотр(?:ов|а|ы)?|комментари(?:ев|я|й|и))"
)
_COUNTED = r"\d(?:[\d.,]|\s(?=\d{3}\b))*k?"  # "1,234", "1 234", "1.2k"
_COUNT = re.compile(
    rf"\b\d{{1,3}} ?(?:min(?:ute)?s?|мин(?:ут[аы]?)?)\.? read\b|"
    rf"\b{_READING}\W{{1,3}}(?:~ ?)?\d{{1,3}}\b|"
    rf"(?<![\w.,]){_COUNTED} {_REACTIONS}\b|"
    rf"\b{_REACTIONS}\W{{1,3}}{_COUNTED}"
)
_COUNTED_FIGURE = re.compile(_COUNTED)
COUNT_LINE_WORDS = 12  # counts stand in a line of their own or beside a date, a byline
_COUNT_MARKS = (
    "read",
    "lese",
    "lecture",
    "lectura",
    "чтения",
    "view",
    "comment",
    "share",
    "like",
    "repl",
    "aufrufe",
    "kommentar",
    "vues",
    "visitas",
    "comentario",
    "просмотр",
    "коммент",
)
LINE_WORDS = 30  # a dated footer or header is a line; a longer paragraph's dates are its news
_DAY_NUMBER = re.compile(r"\d{1,2}(?:st|nd|rd|th|er|го)?")
_PUNCTUATION = ".,;:()[]-–"


def line_key(key: str) -> str:
    """A key with its moments (times of day, years, dates in figures, times told from now)
    and its counts (reading time, views, comments) as ``#``, and the days, months and
    weekdays beside them: the line a dated footer or
    header repeats, whatever its date ("Updated 10:42 GMT, 14 March 2024", "© 2003-2024",
    "Stand: 14.03.2024", "Updated 3 hours ago"). A key without a moment is its own line:
    "The payment date is March 31" states a date, and "Shr 10 cts vs 12 cts" figures, which
    tell templated reports apart; so is a paragraph of ``LINE_WORDS`` words or more, prose,
    and a key with neither a colon nor a year nor a time told from now (a date of two-digit
    year alone, "14.03.24", is not taken for one).

    >>> line_key("updated 10:42 gmt, 14 march 2024")
    'updated # gmt, # # #'
    >>> line_key("stand: 14.03.2024, 10:42 uhr"), line_key("© 2003-2024 ооо «север»")
    ('stand: #, # uhr', '© # ооо «север»')
    >>> line_key("published: tuesday 3rd april 2023. it may rain")
    'published: # # # #. it may rain'

    Dates joined by "de" or "of", ISO timestamps, dates with the year first ("2024.03.04",
    "2024/03/04") and as Chinese, Japanese and Korean write them ("2024年3月4日"), times
    written with a point before their zone, and moments told from now are moments too:

    >>> line_key("actualizado el 4 de marzo de 2024"), line_key("posted 2024-03-04t10:42:00z")
    ('actualizado el # # # # #', 'posted #')
    >>> line_key("first published on 4 march 2024 11.00 gmt"), line_key("updated 3 hours ago")
    ('first published on # # # # gmt', 'updated #')
    >>> line_key("发布时间 2024年3月4日 10:42"), line_key("입력 2024.03.04 10:42")
    ('发布时间 # #', '입력 # #')

    So are the counts a page shows beside its story, which change with each scrape: its
    reading time, its readers' views, comments and shares.

    >>> line_key("5 min read"), line_key("lesezeit: 3 min."), line_key("1,234 views · 12 comments")
    ('# min read', 'lesezeit: # min.', '# views · # comments')
    >>> line_key("the payment date is march 31."), line_key("net 1.2 mln vs 1,986,000")
    ('the payment date is march 31.', 'net 1.2 mln vs 1,986,000')
    """
    # Cheap tests first (C substring searches): a moment has a colon or a year, or is told
    # from now, and furniture is a line, not a paragraph of prose
    if key.count(" ") >= LINE_WORDS:
        return key
    if any(mark in key for mark in _AGO_MARKS):
        key = _AGO.sub("#", key)
    if key.count(" ") < COUNT_LINE_WORDS and any(mark in key for mark in _COUNT_MARKS):
        key = _COUNT.sub(_count_masked, key)
    if not (":" in key or "20" in key or "19" in key or "18" in key):
        return key
    masked = _MOMENT.sub("#", key)
    if masked == key:
        return key
    # A run of months, weekdays and day numbers that reaches a moment is part of its date.
    words = masked.split(" ")
    bare = [w.strip(_PUNCTUATION) for w in words]
    dated = ["#" in w for w in words]
    grown = True
    while grown:
        grown = False
        for i, word in enumerate(bare):
            if dated[i]:
                continue
            before = i > 0 and dated[i - 1]
            after = i + 1 < len(words) and dated[i + 1]
            if word in _DATE_JOINERS:
                joins = (before and i + 1 < len(words) and _date_part(bare[i + 1])) or (
                    after and i > 0 and _date_part(bare[i - 1])
                )
                if joins:
                    words[i], dated[i], grown = words[i].replace(word, "#"), True, True
            elif (before or after) and _date_part(word):
                words[i], dated[i], grown = words[i].replace(word, "#"), True, True
    return " ".join(words)


def _count_masked(match: re.Match[str]) -> str:
    """A count (:data:`_COUNT`) with its figure as ``#``: "# views", "comments (#)"."""
    return _COUNTED_FIGURE.sub("#", match.group())


def _date_part(word: str) -> bool:
    """A month, a weekday or a day number: the words a date has beside its figures."""
    return word in _CALENDAR or _DAY_NUMBER.fullmatch(word) is not None


def line_hashes(keys: Sequence[str]) -> NDArray[np.uint64]:
    """For each key, a 64-bit hash of its :func:`line_key`, or 0 when that is the key itself
    (a paragraph without figures, counted by the hash of its words): the line boilerplate
    counts, a dated footer's whatever its date."""
    lines = np.zeros(len(keys), dtype=np.uint64)
    masked = {i: line for i, key in enumerate(keys) if (line := line_key(key)) != key}
    if masked:
        hashes = string_hashes(masked.values()).view(np.uint64)
        lines[list(masked)] = np.where(hashes == 0, 1, hashes)  # 0 says: the words' own
    return lines


def or_words(lines: NDArray[np.uint64], hashes: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """Paragraphs' lines (:func:`line_hashes`), each 0 replaced by the hash of the words."""
    found: NDArray[np.uint64] = np.where(lines != 0, lines, hashes)
    return found


# A figure standing on its own: not a digit inside a link, a handle, an id or "+18".
_STANDALONE_FIGURE = re.compile(
    r"(?<![\w+/@#])\d+(?:[.,/-]\d+)*(?![\w/@])|\b(?:" + _NUMBER_WORDS + r")\b"
)


def states_figures(key: str) -> bool:
    """Whether a key states a figure of its own (a number, or a number word).

    >>> states_figures("qtly div 10 cts vs 10 cts prior"), states_figures("nine mths")
    (True, True)
    >>> states_figures("[топор +18. подписаться](https://t.me/+6fykj)")
    False
    """
    return _STANDALONE_FIGURE.search(key) is not None


def shingles(key: str, k: int) -> list[str]:
    """The word shingles of a key, as space-joined strings (what datasketch is fed).

    >>> shingles("the cat sat on", 3)
    ['the cat sat', 'cat sat on']
    """
    tokens = words(key)
    if len(tokens) <= k:
        return [" ".join(tokens)] if tokens else []
    return [" ".join(tokens[i : i + k]) for i in range(len(tokens) - k + 1)]


def _fmix64(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _MASK64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _MASK64
    return h ^ (h >> 33)


@lru_cache(maxsize=1 << 18)
def word_hash(word: str) -> int:
    """A stable 64-bit hash of one word: a polynomial over its UTF-8 bytes, then mixed."""
    h, power = 0, 1
    for byte in word.encode("utf-8"):
        h = (h + (byte + 1) * power) & _MASK64
        power = (power * _WORD_BASE) & _MASK64
    return _fmix64(h)


def _shingle_value(word_hashes: Sequence[int]) -> int:
    x = _FNV_OFFSET
    for w in word_hashes:
        x = ((x ^ w) * _FNV_PRIME) & _MASK64
    return x


def shingle_hash32(shingle: str | bytes) -> int:
    """The 32-bit hash of one shingle, for ``datasketch.MinHash(hashfunc=shingle_hash32)``."""
    if isinstance(shingle, bytes):
        shingle = shingle.decode("utf-8")
    x = _shingle_value([word_hash(w) for w in shingle.split(" ")])
    return (x ^ (x >> 32)) & 0xFFFFFFFF


def permutations(num_perm: int, seed: int) -> tuple[NDArray[np.uint32], NDArray[np.uint32]]:
    """datasketch 2's affine32 permutation parameters for ``MinHash(num_perm, seed)``.

    Drawn here as datasketch draws them (a test checks it), because importing datasketch
    costs a second of scipy imports in every process.
    """
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=_U32) * _U32(2) + _U32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=_U32)
    return a, b


@lru_cache(maxsize=8)
def _permutation_bytes(num_perm: int, seed: int) -> tuple[bytes, bytes]:
    """:func:`permutations` as the kernel takes them, drawn once per process."""
    a, b = permutations(num_perm, seed)
    return a.tobytes(), b.tobytes()


def _fmix32(h: NDArray[np.uint32]) -> NDArray[np.uint32]:
    h = h ^ (h >> _U32(16))
    h = h * _U32(0x85EBCA6B)
    h = h ^ (h >> _U32(13))
    h = h * _U32(0xC2B2AE35)
    mixed: NDArray[np.uint32] = h ^ (h >> _U32(16))
    return mixed


Kernel = Callable[[bytes, bytes, int, bytes, bytes], tuple[bytes, bytes, bytes]]


def _python_kernel(
    data: bytes, ends: bytes, k: int, a: bytes, b: bytes
) -> tuple[bytes, bytes, bytes]:
    """The reference for ``cleaner._kernel.fingerprint``, in Python and numpy."""
    pa, pb = np.frombuffer(a, dtype=_U32), np.frombuffer(b, dtype=_U32)
    stops = np.frombuffer(ends, dtype=np.int64)
    sigs = np.full((len(stops), len(pa)), 0xFFFFFFFF, dtype=_U32)
    out: list[int] = []
    out_ends = np.zeros(len(stops), dtype=np.int64)
    start = 0
    for p, stop in enumerate(stops.tolist()):
        hashes = [word_hash(w) for w in words(data[start:stop].decode("utf-8"))]
        start = stop
        width = min(k, len(hashes))
        count = len(hashes) - width + 1 if hashes else 0
        values = [_shingle_value(hashes[s : s + width]) for s in range(count)]
        if values:
            x = np.array(values, dtype=_U64)
            folded = _fmix32((x ^ (x >> _U64(32))).astype(_U32))
            sigs[p] = (folded[:, None] * pa[None, :] + pb[None, :]).min(axis=0)
        out.extend(values)
        out_ends[p] = len(out)
    return sigs.tobytes(), np.array(out, dtype=_U64).tobytes(), out_ends.tobytes()


KERNEL: Kernel = compiled("fingerprint") or _python_kernel


@dataclass
class Fingerprints:
    """What the de-duplicator needs to know of each paragraph of a batch."""

    keys: list[str]
    signatures: NDArray[np.uint32]
    _shingles: NDArray[np.uint64]
    _ends: NDArray[np.int64]

    def shingle_set(self, i: int) -> frozenset[int]:
        """Distinct 64-bit shingle hashes of paragraph ``i``: tens of them, which a Python set
        compares several times faster than numpy's set routines."""
        ends = self._ends
        return frozenset(self._shingles[(ends[i - 1] if i else 0) : ends[i]].tolist())

    def shingle_union(self, rows: Sequence[int] | NDArray[np.int64]) -> NDArray[np.uint64]:
        """Sorted, distinct 64-bit shingle hashes of the paragraphs ``rows``, together."""
        ends = self._ends
        parts = [self._shingles[(ends[i - 1] if i else 0) : ends[i]] for i in np.asarray(rows)]
        union: NDArray[np.uint64] = distinct(np.concatenate([np.empty(0, dtype=_U64), *parts]))
        return union

    def paragraph_sets(self, rows: Sequence[int] | NDArray[np.int64]) -> list[NDArray[np.uint64]]:
        """``shingle_union([i])`` for each ``i`` of ``rows``, from one sort of them all
        (:func:`distinct_runs`)."""
        values, distinct = distinct_runs(*self.paragraph_shingles(rows))
        return np.split(values, np.cumsum(distinct)[:-1]) if len(distinct) else []

    def paragraph_shingles(
        self, rows: Sequence[int] | NDArray[np.int64]
    ) -> tuple[NDArray[np.uint64], NDArray[np.int64]]:
        """The 64-bit shingle hashes of the paragraphs ``rows`` end to end, in order, repeats
        included, and how many each paragraph has."""
        rows = np.asarray(rows, dtype=np.int64)
        starts = np.concatenate([[0], self._ends])[rows]
        counts: NDArray[np.int64] = self._ends[rows] - starts
        within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        return self._shingles[np.repeat(starts, counts) + within], counts

    def shingle_counts(self) -> NDArray[np.int64]:
        """Shingles per paragraph, repeats counted: a paragraph of ``n >= k`` words has
        ``n - k + 1``."""
        return np.diff(self._ends, prepend=0)

    def sequence_hashes(self) -> NDArray[np.uint64]:
        """A 64-bit hash of each paragraph's shingles in order, i.e. of its words in order
        (punctuation aside); 0 for a paragraph without words."""
        return sequence_hash(self._shingles, self._ends)


def distinct_runs(
    values: NDArray[np.uint64], counts: NDArray[np.int64]
) -> tuple[NDArray[np.uint64], NDArray[np.int64]]:
    """Runs of values (run ``i`` has ``counts[i]`` of them, end to end) each sorted and rid of
    its repeats: ``np.unique`` of each run, from one sort of them all by (run, value); and
    how many values each run keeps.

    >>> distinct_runs(np.array([7, 5, 7, 5, 5], dtype=np.uint64), np.array([3, 0, 2]))
    (array([5, 7, 5], dtype=uint64), array([2, 0, 1]))
    """
    # One sort of 64-bit keys, twice np.lexsort's speed: a value's run (its start) and its
    # rank among all values, each under len(values), which fit for fewer than 3e9 of them.
    # Sorting within runs leaves each position in its run: the owners need no reordering.
    n = len(values)
    order = np.argsort(values)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    keys = np.repeat(np.cumsum(counts) - counts, counts) * n + rank
    keys.sort()
    values = values[order[keys % n]]
    owner = np.repeat(np.arange(len(counts)), counts)
    first = np.ones(len(values), dtype=bool)
    first[1:] = (values[1:] != values[:-1]) | (owner[1:] != owner[:-1])
    distinct: NDArray[np.int64] = np.bincount(owner[first], minlength=len(counts))
    return values[first], distinct


def reduce_runs(
    ufunc: np.ufunc, values: NDArray[Any], counts: NDArray[np.int64], empty: int
) -> NDArray[Any]:
    """``ufunc`` over each run of ``counts[i]`` values (rows, for a 2-D array), end to end,
    from one ``reduceat``; ``empty`` for a run of none.

    >>> reduce_runs(np.add, np.array([1, 2, 3]), np.array([2, 0, 1]), 0)
    array([3, 0, 3])
    """
    reduced = np.full((len(counts), *values.shape[1:]), empty, dtype=values.dtype)
    filled = counts > 0
    if filled.any():  # runs between two starts hold what lies between them
        reduced[filled] = ufunc.reduceat(values, (np.cumsum(counts) - counts)[filled], axis=0)
    return reduced


def distinct(values: ArrayLike) -> NDArray[Any]:
    """``np.unique(values)`` of integers, from one sort: numpy 2.3 and later find them with a
    hash table, which here took 10 to 40 times as long (a million pair codes: 0.77 s, against
    0.02 s for the sort).

    >>> distinct(np.array([7, 5, 7, 1], dtype=np.uint64))
    array([1, 5, 7], dtype=uint64)
    """
    found = np.sort(np.asarray(values).ravel())
    if len(found) > 1:
        first = np.empty(len(found), dtype=bool)
        first[0] = True
        np.not_equal(found[1:], found[:-1], out=first[1:])
        found = found[first]
    return found


def isin(values: NDArray[Any], others: NDArray[Any]) -> NDArray[np.bool_]:
    """``np.isin(values, others)`` of integers of one type, by a binary search in ``others``
    made :func:`distinct` (``np.isin`` makes them distinct with numpy's hash table too).

    >>> isin(np.array([3, 4, 3]), np.array([5, 3, 3]))
    array([ True, False,  True])
    """
    if values.dtype != others.dtype:  # searchsorted would compare them as floats
        raise TypeError(f"isin of {values.dtype} in {others.dtype}")
    return found_in(distinct(others), values)


def found_in(sorted_set: NDArray[Any], values: NDArray[Any]) -> NDArray[np.bool_]:
    """Which of ``values`` the sorted, distinct ``sorted_set`` holds: a binary search of each.

    >>> found_in(np.array([2, 3, 5], dtype=np.uint64), np.array([3, 4], dtype=np.uint64))
    array([ True, False])
    """
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    found: NDArray[np.bool_] = sorted_set[at] == values
    return found


def sequence_hash(values: NDArray[np.uint64], ends: NDArray[np.int64]) -> NDArray[np.uint64]:
    """A hash of each run of ``values`` (run ``i`` ends before ``ends[i]``), order-sensitive:
    a polynomial in the values, then mixed; 0 only for an empty run.

    >>> sequence_hash(np.array([5, 7, 7, 5], dtype=np.uint64), np.array([2, 2, 4]))[1]
    np.uint64(0)
    """
    counts = np.diff(ends, prepend=0)
    starts = ends - counts
    position = np.arange(len(values)) - np.repeat(starts, counts)
    powers = np.cumprod(np.full(max(1, int(counts.max(initial=0))), _FNV_PRIME, dtype=_U64))
    with np.errstate(over="ignore"):
        terms = values * powers[position] if len(values) else values
        sums = reduce_runs(np.add, terms, counts, 0)
        h: NDArray[np.uint64] = (sums ^ counts.astype(_U64)) * _U64(0xFF51AFD7ED558CCD)
        h ^= h >> _U64(33)
    h[h == 0] = 1
    h[counts == 0] = 0
    return h


# The scheme's defaults, which DedupOptions takes as its own: words per shingle, permutations
# and the seed that draws them.
SHINGLE_SIZE = 2
NUM_PERM = 128
SEED = 1


def fingerprint(
    paragraphs: Sequence[str],
    num_perm: int = NUM_PERM,
    seed: int = SEED,
    k: int = SHINGLE_SIZE,
    kernel: Kernel | None = None,
    keyed: bool = False,
) -> Fingerprints:
    """Keys, shingles and MinHash signatures of a batch of paragraphs (``keyed``: of their
    comparison keys, made already)."""
    keys = list(paragraphs) if keyed else [normalize(p) for p in paragraphs]
    encoded = [key.encode("utf-8") for key in keys]
    ends = np.cumsum([len(e) + 1 for e in encoded], dtype=np.int64) - 1
    a, b = _permutation_bytes(num_perm, seed)
    sigs, flat, shingle_ends = (kernel or KERNEL)(b" ".join(encoded), ends.tobytes(), k, a, b)
    return Fingerprints(
        keys,
        np.frombuffer(sigs, dtype=_U32).reshape(len(keys), num_perm),
        np.frombuffer(flat, dtype=_U64),
        np.frombuffer(shingle_ends, dtype=np.int64),
    )


def overlap(
    a: NDArray[np.uint64] | AbstractSet[object], b: NDArray[np.uint64] | AbstractSet[object]
) -> tuple[float, float]:
    """Exact Jaccard similarity and containment (shared share of the smaller) of two sets.

    The sets are Python sets of hashes (:meth:`Fingerprints.shingle_set`, a paragraph's) or
    sorted, distinct hash arrays (:meth:`Fingerprints.shingle_union`, a document's).
    """
    if not len(a) or not len(b):
        return 0.0, 0.0
    if isinstance(a, AbstractSet) and isinstance(b, AbstractSet):
        common = len(a & b)
    elif isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        common = shared(a, b)
    else:
        raise TypeError("overlap() compares two sets or two arrays")
    return overlap_of(common, len(a), len(b))


def overlap_of(common: int, a: int, b: int) -> tuple[float, float]:
    """:func:`overlap` of two sets of ``a`` and ``b`` values that share ``common``."""
    if not a or not b:
        return 0.0, 0.0
    return common / (a + b - common), common / min(a, b)


def shared(a: NDArray[np.uint64], b: NDArray[np.uint64]) -> int:
    """How many values two sorted, distinct arrays share: a binary search of the smaller's in
    the larger, not ``np.intersect1d``'s sort of both.

    >>> shared(np.array([2, 3, 5, 7], dtype=np.uint64), np.array([3, 4, 7], dtype=np.uint64))
    2
    """
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return int(np.count_nonzero(found_in(large, small)))


def string_hashes(texts: Iterable[str | None]) -> NDArray[np.int64]:
    """64-bit hashes of strings (doc_ids, keys), the same in every process and run (None, a
    record without an id, hashes as the empty string, which no named record has)."""
    digests = b"".join(blake2b((t or "").encode(), digest_size=8).digest() for t in texts)
    return np.frombuffer(digests, dtype=np.int64)
