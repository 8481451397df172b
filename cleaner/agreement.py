"""Agreement: whether two texts state the same figures and name the same names.

Shingles measure how many words two texts share; they cannot tell a repeat from a templated
report that differs only in its figures or its names ("up 5 pct to 10 dlrs", "up 6 pct to
10 dlrs"). Both levels of de-duplication therefore also ask that the figures (see
:func:`cleaner.fingerprint.numbers`) and the names (:func:`names`) of the two agree, in order:

- two paragraphs agree when the list of one is found, in order, within the other's
  (:func:`found_in_order`: a figure added, a dateline, takes nothing away) and no figure of one
  stands where the other has other words (:func:`figure_replaced`); names may be misspelt by
  one edit (:func:`same_name`), or split or joined by a space (:func:`names_agree`);
- two documents agree as much as the share of the shorter list found, in order, in the longer
  (:func:`share_in_order`), which must reach the similarity asked of their words: one figure
  changed in a long story costs little, one changed in a market report costs much.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

from cleaner.alignment import matching_blocks, opcodes
from cleaner.fingerprint import numbers, plain_letters

# Misreadings of OCR that turn two letters into one: "rn" read as "m", "ri" as "n", "lc" as "k";
# and "ß" read as "B", which the casefolded key spells "ss" and "b".
_OCR_PAIRS = {
    ("rn", "m"),
    ("ri", "n"),
    ("cl", "d"),
    ("lc", "k"),
    ("vv", "w"),
    ("ii", "u"),
    ("li", "h"),
    ("ss", "b"),
}
MIN_MISSPELT = 5  # letters a word needs before any one edit is a misspelling, not another word
_NAME = re.compile(r"\b[^\W\d_a-zа-яё][^\W_]*(?:[-'’][^\W_]+)*")
# An apostrophe before a lowercase letter: what follows is a possessive or a contraction
# ("Smith's", "I'm") or, after an elided article or pronoun, a common word ("C'est",
# "Dell'anno"), not part of a name; before a capital it is inside one ("O'Brien", "L'État").
_APOSTROPHE = re.compile("['’]")


def names(paragraph: str) -> tuple[str, ...]:
    """The capitalised words of a paragraph, in order: names, mostly; a word is cut where an
    apostrophe leads on to a lowercase letter.

    >>> names("Wheat stocks in Chicago rose, CFTC said; rating B-minus.")
    ('Wheat', 'Chicago', 'CFTC', 'B-minus')
    >>> names("C'est Smith's turn, said L'État and O'Brien.")
    ('C', 'Smith', "L'État", "O'Brien")
    """
    found = (_before_lowercase_tail(w) for w in _NAME.findall(paragraph))
    return tuple(w for w in found if w[0].isupper())


def _before_lowercase_tail(word: str) -> str:
    for apostrophe in _APOSTROPHE.finditer(word):
        if word[apostrophe.end() : apostrophe.end() + 1].islower():
            return word[: apostrophe.start()]
    return word


def one_edit(a: str, b: str) -> bool:
    """Whether two different words are one misspelling apart.

    A word of ``MIN_MISSPELT`` letters or more: a letter changed, added or dropped, two
    adjacent letters swapped, or two letters read as one by OCR. Shorter words have
    neighbours that are other words ("Iran", "Iraq"; "Mr", "Ms"), so for them only the slips
    that seldom make another word count (:func:`slip`).

    >>> one_edit("government", "govermnent"), one_edit("Modern", "Modem")
    (True, True)
    >>> one_edit("gain", "grin"), one_edit("Smith", "Smiths"), one_edit("Kerry", "Berra")
    (False, True, False)
    >>> one_edit("Tge", "The"), one_edit("Mr", "Ms"), one_edit("Iran", "Iraq")
    (True, False, False)

    A word whose letters mix the Latin and the Cyrillic alphabets is the word its letters
    look like, however many of them OCR or a keyboard layout swapped (:func:`look_alike`).

    >>> one_edit("Москва", "Mocквa"), one_edit("сон", "coн")
    (True, True)

    Words that differ only in digits are never one misspelling apart: a digit changed, added,
    doubled or swapped for another makes another figure or code ("25000" and "35000", "100"
    and "1000", flight "BA2490" and "BA2940"), and figures are compared exactly. A letter OCR
    reads as a digit is a misreading still ("2O19" for "2019").

    >>> one_edit("25000", "35000"), one_edit("100", "1000"), one_edit("BA2490", "BA2940")
    (False, False, False)
    >>> one_edit("2O19", "2019"), one_edit("5ony", "Sony")
    (True, True)

    A word written without its diacritics, however many it has, is the same word: a feed or a
    keyboard that knows only plain letters writes "declare" for "déclaré", "Wladze" for
    "Władze", "katildi" for "katıldı".

    >>> one_edit("déclaré", "declare"), one_edit("à", "a"), one_edit("Władze", "Wladze")
    (True, True, True)

    Capitals aside, as in a headline in capitals: "SMITH" is "Smith", "Außen" is "Aussen".

    >>> one_edit("SMITH", "Smith"), one_edit("Außen", "Aussen")
    (True, True)
    """
    if a == b:
        return False
    _, x, y = _differing(a.casefold(), b.casefold())
    # Capitals aside ("ß" is "ss" so), only what differs is compared: dropping diacritics
    # goes letter by letter.
    if plain_letters(x) == plain_letters(y):
        return True
    if look_alike(a, b):
        return True
    if abs(len(a) - len(b)) > 1 or (x + y).isdigit():
        return False
    if min(len(a), len(b)) < MIN_MISSPELT:
        return slip(a, b)
    _, x, y = _differing(a, b)
    if len(x) <= 1 and len(y) <= 1:
        return True  # one letter changed, added or dropped
    if len(x) == len(y) == 2 and x == y[::-1]:
        return True  # two adjacent letters swapped
    return _misread(x, y) or _glyphs_misread(a, b)


def _differing(a: str, b: str) -> tuple[int, str, str]:
    """Where two words start to differ, and what differs once their common start and end are
    set aside."""
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    return start, a[start : len(a) - end], b[start : len(b) - end]


def _misread(x: str, y: str) -> bool:
    """Whether OCR reads letters ``x`` as ``y`` (or back): two letters as one, or a letter
    without its diacritics ("ü" is read as "ii" as "u" is)."""
    x, y = plain_letters(x), plain_letters(y)
    return (x, y) in _OCR_PAIRS or (y, x) in _OCR_PAIRS


def _glyphs_misread(a: str, b: str) -> bool:
    """Whether two words of one length differ only in glyphs OCR read for others of their
    shape, however many, the word keeping most of its letters: OCR repeats its confusions,
    so that "Mandelson" comes out "Maudelsou", "Elliott" "Ellioff" and "SEGAS" "5EGA5". Each
    differing letter must be a glyph for the other (:data:`_GLYPHS`), or the same letter
    without its diacritics; capitals aside.

    >>> _glyphs_misread("Mandelson", "Maudelsou"), _glyphs_misread("SEGAS", "5EGA5")
    (True, True)
    >>> _glyphs_misread("Mandelson", "Mandelsen"), _glyphs_misread("cattle", "coffle")
    (False, False)
    >>> _glyphs_misread("Straße", "StraBe"), _glyphs_misread("Straße", "Strafe")
    (False, False)
    """
    a, b = a.casefold(), b.casefold()  # which may change a length: "ß" is "ss"
    if len(a) != len(b):
        return False
    changed = [(p, q) for p, q in zip(a, b, strict=True) if p != q]
    return 2 * len(changed) < len(a) and all(
        pair in _SLIPS_OF_THE_EYE or plain_letters(pair[0]) == plain_letters(pair[1])
        for pair in changed
    )


def _neighbours(rows: tuple[str, ...]) -> set[tuple[str, str]]:
    """The pairs of keys that touch on a keyboard whose rows are staggered as a typewriter's:
    a key lies under the key above it and that key's right-hand neighbour."""
    pairs: set[tuple[str, str]] = set()
    for r, row in enumerate(rows):
        for i, key in enumerate(row):
            touching = [row[i + 1 : i + 2]]
            if r + 1 < len(rows):
                touching += [rows[r + 1][max(i - 1, 0) : i], rows[r + 1][i : i + 1]]
            pairs.update((key, other) for other in touching if other)
    return pairs | {(b, a) for a, b in pairs}


# Keys struck for a neighbour (QWERTY, and ЙЦУКЕН for Cyrillic), and glyphs OCR reads for
# letters of their shape: a digit for the letter it looks like, "h" for "b", "t" for "f".
_SLIPS = _neighbours(("qwertyuiop", "asdfghjkl", "zxcvbnm")) | _neighbours(
    ("йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю")
)
_GLYPHS = (
    "0o",
    "1l",
    "1i",
    "il",
    "5s",
    "8b",
    "2z",
    "6b",
    "9g",
    "hb",
    "hn",
    "tf",
    "nu",
    "ce",
    "gq",
    "vy",
    "ao",
    "о0",
    "ес",
    "пн",
    "ин",
    "шщ",
    "з3",
    "б6",
    "ъь",
)
_SLIPS_OF_THE_EYE = {(g[0], g[1]) for g in _GLYPHS} | {(g[1], g[0]) for g in _GLYPHS}
_SLIPS |= _SLIPS_OF_THE_EYE


def slip(a: str, b: str) -> bool:
    """Whether two different words, one of them short, are one slip of the hand or of the eye
    apart: a key struck for its neighbour or a glyph read for another of its shape (a digit
    for a letter, at any place in the word), a diacritic lost, two letters read as one; in
    a word of three letters or more, also a key struck twice or with its neighbour, or two
    letters swapped; capitals aside. Most of a short word's other neighbours are other words
    ("Iraq" for "Iran", "no" for "not"); these slips make few, and a copy that differs by one
    of them from an original it otherwise repeats is the same text. A word of one letter is
    an initial, a class or a grade ("B", "BB"), which any slip makes another.

    >>> slip("the", "tge"), slip("Owen", "0wen"), slip("BBC", "BBgC"), slip("thhe", "the")
    (True, True, True, True)
    >>> slip("gain", "grin"), slip("Iran", "Iraq"), slip("Mr", "Ms"), slip("not", "no")
    (False, False, False, False)
    >>> slip("teh", "the"), slip("on", "no"), slip("año", "ano"), slip("tirne", "time")
    (True, False, True, True)
    >>> slip("B", "BB"), slip("BB", "BBB"), slip("A", "S"), slip("Mr", "Me"), slip("urn", "um")
    (False, False, False, True, True)
    """
    a, b = a.casefold(), b.casefold()
    if a == b:
        return True
    shorter = min(len(a), len(b))
    if shorter < 2:
        return False
    start, x, y = _differing(a, b)
    if len(x) == len(y) == 1:
        return (x, y) in _SLIPS or plain_letters(x) == plain_letters(y)
    if _misread(x, y):
        return True
    if shorter < 3:
        return False
    if len(x) + len(y) == 1:  # a key struck twice, or with the key beside it
        long = a if x else b
        around = long[max(start - 1, 0) : start] + long[start + 1 : start + 2]
        return any(c == long[start] or (c, long[start]) in _SLIPS for c in around)
    return len(x) == len(y) == 2 and x == y[::-1]


# Latin letters drawn as Cyrillic ones are (capitals, and small letters as a casefolded key
# spells them), which OCR and a keyboard layout left on put into Cyrillic words, and back.
_AS_CYRILLIC = str.maketrans("AaBbCcEeHhKkMmOoPpTtXxYy", "АаВвСсЕеНнКкМмОоРрТтХхУу")
_LATIN = re.compile("[A-Za-z]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")


def look_alike(a: str, b: str) -> bool:
    """Whether two words are the same letters to the eye, one of them mixing Latin and
    Cyrillic: no word of either language does, so such a word is the other's letters in
    the wrong alphabet, not another word ("Mocквa" is Москва; "Moscow" is not).

    >>> look_alike("Mocквa", "Москва"), look_alike("Moscow", "Москва"), look_alike("сок", "cok")
    (True, False, False)
    """
    if len(a) != len(b) or (a.isascii() and b.isascii()):
        return False
    if not (_mixed_script(a) or _mixed_script(b)):
        return False
    return a.translate(_AS_CYRILLIC) == b.translate(_AS_CYRILLIC)


def _mixed_script(word: str) -> bool:
    return _LATIN.search(word) is not None and _CYRILLIC.search(word) is not None


def same_name(a: str, b: str) -> bool:
    """The same name, or one misspelt by one edit (:func:`one_edit`)."""
    return a == b or one_edit(a, b)


def found_in_order(
    a: Sequence[str], b: Sequence[str], same: Callable[[str, str], bool] = str.__eq__
) -> bool:
    """Whether the items of the shorter list appear, in order, among those of the other (each
    the ``same`` as one of them): the shorter is a subsequence of the longer.

    >>> found_in_order(("5", "10"), ("5", "10", "1987")), found_in_order(("5", "10"), ("10", "5"))
    (True, False)
    """
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    rest = iter(long)
    return all(any(same(item, other) for other in rest) for item in short)


def share_in_order(a: Sequence[str], b: Sequence[str]) -> float:
    """The share of the shorter list found, in order, in the other (1.0 for two empty ones),
    as the matching blocks of :func:`cleaner.alignment.matching_blocks` find it: a figure added (an
    update's time) takes nothing away, a figure changed does.

    >>> share_in_order(["5", "10"], ["5", "10", "12"]), share_in_order(["5", "10"], ["6", "10"])
    (1.0, 0.5)
    """
    if not a or not b:
        return 1.0 if not a and not b else 0.0
    return sum(size for _, _, size in matching_blocks(a, b)) / min(len(a), len(b))


def figure_replaced(original: Sequence[str], copy: Sequence[str]) -> bool:
    """Whether words of one stand where the other states a figure: "... in 'dog': 3" and
    "... in 'dog': impossible" give different answers, although the figures of one (none)
    are found among those of the other. A figure only added or dropped (a dateline, a
    trimmed sentence) is not replaced.

    >>> figure_replaced("steps from cat to dog 3".split(), "steps from cat to dog none".split())
    True
    >>> figure_replaced("rose 3 pct".split(), "london march 3 rose 3 pct".split())
    False
    >>> figure_replaced("lost 58 000 customers".split(), "lost 58000 customers".split())
    False
    """
    # A figure lies inside a run of words, so a replaced block can hold one only if a whole
    # text does: most paragraphs state none, and need no alignment. A block that states the
    # same figures on both sides is a figure written another way ("58 000", "58000").
    if not numbers(" ".join(original)) and not numbers(" ".join(copy)):
        return False
    return any(
        op == "replace" and numbers(" ".join(original[i1:i2])) != numbers(" ".join(copy[j1:j2]))
        for op, i1, i2, j1, j2 in opcodes(original, copy)
    )


def paragraphs_agree(
    keys: tuple[str, str], words: tuple[Sequence[str], Sequence[str]], texts: tuple[str, str]
) -> bool:
    """Whether two paragraphs (their comparison keys, words and texts) state the same figures,
    none replaced by words, and name the same names."""
    return (
        found_in_order(numbers(keys[0]), numbers(keys[1]))
        and not figure_replaced(*words)
        and names_agree(*texts)
    )


def names_agree(a: str, b: str) -> bool:
    """Whether the names of one text are found, in order, among the other's (:func:`same_name`),
    a name split by a space (OCR, a hard wrap's hyphen: "Th- atcher") or two joined by a lost
    one counting as the same letters in the other text.

    >>> names_agree("Mr Thatcher met Mr Smith.", "Mr Th- atcher met MrSmith.")
    True
    >>> names_agree("Mr Thatcher met Mr Smith.", "Mr Th atcher met Mr Jones.")
    False
    """
    found = names(a), names(b)
    if found_in_order(*found, same_name):
        return True
    healed = _joined(a, b), _joined(b, a)
    return healed != found and found_in_order(*healed, same_name)


_PIECE = re.compile(r"[^\W_]+")
_SPLIT_BY = frozenset(" \t\n-\u00ad")  # what may part a word's pieces: spaces, a hyphen


def _joined(text: str, other: str) -> tuple[str, ...]:
    """The names of ``text`` once each two adjacent pieces of letters parted only by spaces
    or a hyphen are joined where together they spell a capitalised word of ``other``."""
    wanted = {w for w in _PIECE.findall(other) if w[0].isupper()}
    pieces = list(_PIECE.finditer(text))
    kept: list[str] = []
    done = 0  # text[:done] is in kept
    for left, right in itertools.pairwise(pieces):
        gap = text[left.end() : right.start()]
        if gap and set(gap) <= _SPLIT_BY and left.group() + right.group() in wanted:
            kept.append(text[done : left.end()])
            done = right.start()
    return names("".join(kept) + text[done:])


def documents_agree(
    figures: tuple[Sequence[str], Sequence[str]], named: tuple[Sequence[str], Sequence[str]]
) -> float:
    """How far two documents (the figures and the names of each, in reading order) agree:
    the lesser of the two shares of :func:`share_in_order`."""
    return min(share_in_order(*figures), share_in_order(*named))
