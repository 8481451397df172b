"""Repair: fix mojibake, HTML entities and control characters with ftfy, then drop the
invisible characters that carry nothing in news text.

Every line is repaired on its own with ``ftfy.fix_text`` and ftfy's default configuration
(which also straightens curly quotes). Repairing line by line keeps the result of one line
independent of the others: ftfy carries state between the lines of one call (after a ``<`` it
stops decoding HTML entities), which would make a paragraph's repair depend on its neighbours.

ftfy keeps soft hyphens, zero-width spaces and joiners; :func:`drop_invisible`, a step of its
own after ftfy, removes those that only hide inside words (see ``INVISIBLE``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import ftfy
from ftfy.badness import BADNESS_RE, is_bad
from ftfy.chardata import CONTROL_CHARS, LIGATURES, WIDTH_MAP
from ftfy.fixes import remove_control_chars, uncurl_quotes, unescape_html

CONFIG = ftfy.TextFixerConfig(explain=False)

# Every character some fixer of ftfy's default configuration acts on, taken from ftfy's own
# tables: HTML entities start with '&'; C1 controls; the characters fix_latin_ligatures,
# fix_character_width and remove_control_chars translate; the curly quotes uncurl_quotes
# straightens; line breaks; lone surrogates; ESC, which starts a terminal escape.
# _OTHER_FIXES leaves out '&', the quotes and the controls: what fixers other than
# unescape_html, uncurl_quotes and remove_control_chars act on (ESC and U+000B stay in it,
# which other fixers may act on too).
_OTHER_FIXED = (
    re.escape("\r\x0b\x0c\x1b\u2028\u2029" + "".join(map(chr, sorted({*LIGATURES, *WIDTH_MAP}))))
    + "\x80-\x9f\ud800-\udfff"
)
_CONTROLS = re.escape("".join(map(chr, sorted(CONTROL_CHARS))))
_TOUCHED = re.compile("[&" + _OTHER_FIXED + _CONTROLS + "\u02bc\u2018-\u201f]")
_OTHER_FIXES = re.compile("[" + _OTHER_FIXED + "]")
_CONTROL = re.compile("[" + _CONTROLS + "]")

_TOUCHED_ASCII = re.compile("[&\x00-\x08\x0b-\x1f\x7f]")


# ftfy's mojibake detector, is_bad(), is one regex of 37 alternatives tried at every position
# of a line: about 9 MB/s on Russian text. For a line written in ASCII, Cyrillic, common
# punctuation and symbols only, the alternatives that need a character outside that alphabet
# cannot match; _reduced() keeps the others (eight, in ftfy 6.3), restricted to the alphabet,
# which gives the same answer several times faster. A test checks both on real and random
# text.
_ALPHABET = (
    (0x00, 0x7F),  # ASCII
    (0xA0, 0xA0),  # no-break space
    (0xA3, 0xA3),  # £
    (0xAB, 0xAB),  # «
    (0xB0, 0xB0),  # °
    (0xBB, 0xBB),  # »
    (0x401, 0x401),  # Ё
    (0x410, 0x44F),  # А-я
    (0x451, 0x451),  # ё
    (0x200B, 0x200B),  # zero-width space
    (0x200D, 0x200D),  # zero-width joiner (emoji sequences)
    (0x2010, 0x2014),  # hyphens and dashes
    (0x2018, 0x201E),  # curly quotes
    (0x2022, 0x2022),  # •
    (0x2026, 0x2026),  # …
    (0x20AC, 0x20AC),  # €
    (0x20BD, 0x20BD),  # ₽
    (0x20E3, 0x20E3),  # keycap
    (0x2116, 0x2116),  # №
    (0x2190, 0x21FF),  # arrows
    (0x2300, 0x23FF),  # technical symbols (⌚, ⏰)
    (0x25A0, 0x25FF),  # geometric shapes
    (0x2600, 0x27BF),  # symbols and dingbats
    (0x2B00, 0x2BFF),  # arrows and stars (⬇, ⭐)
    (0xFE0F, 0xFE0F),  # emoji presentation selector
    (0x1F000, 0x1FAFF),  # emoji
)
_ALPHABET_CLASS = "".join(f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" for lo, hi in _ALPHABET)
_OUTSIDE_ALPHABET = re.compile(f"[^{_ALPHABET_CLASS}]")


def _reduced(pattern: re.Pattern[str], alphabet: tuple[tuple[int, int], ...]) -> re.Pattern[str]:
    """The alternatives of ``pattern`` that can match text drawn from ``alphabet``.

    Each alternative is rebuilt element by element, every character class cut down to the
    alphabet; an alternative with a class left empty cannot match and is dropped. Anything
    this rewrite does not understand keeps the whole pattern, so the result is never wrong.
    """
    parser, const = re._parser, re._constants  # type: ignore[attr-defined]
    allowed = "".join(chr(c) for lo, hi in alphabet for c in range(lo, hi + 1))
    categories = {
        const.CATEGORY_SPACE: r"\s",
        const.CATEGORY_WORD: r"\w",
        const.CATEGORY_DIGIT: r"\d",
    }

    def one_char(op: object, av: object) -> str:
        """A single-character element as a class of the allowed characters it matches."""
        if op is const.LITERAL:
            source = re.escape(chr(av))  # type: ignore[arg-type]
        elif op is const.ANY:
            source = "."
        elif op is const.IN:
            items: list[str] = []
            for o, a in av:  # type: ignore[attr-defined]
                if o is const.NEGATE:
                    items.insert(0, "^")
                elif o is const.LITERAL:
                    items.append(re.escape(chr(a)))
                elif o is const.RANGE:
                    items.append(f"{re.escape(chr(a[0]))}-{re.escape(chr(a[1]))}")
                else:
                    items.append(categories[a])
            source = "[" + "".join(items) + "]"
        else:
            raise KeyError(op)
        chars = sorted(set(re.findall(source, allowed)))
        return "[" + "".join(re.escape(c) for c in chars) + "]" if chars else ""

    try:
        tree = parser.parse(pattern.pattern, pattern.flags)
        if len(tree) != 1 or tree[0][0] is not const.BRANCH:
            return pattern
        kept = []
        for branch in tree[0][1][1]:
            parts = []
            for op, av in branch:
                if op is const.AT and av is const.AT_BEGINNING:
                    parts.append("^")
                elif op is const.MAX_REPEAT and len(av[2]) == 1:
                    low, high, ((inner_op, inner_av),) = av
                    inner = one_char(inner_op, inner_av)
                    if low == 0 and high == 1:
                        parts.append(f"{inner}?" if inner else "")
                    elif inner:
                        parts.append(f"{inner}{{{low},{'' if high is const.MAXREPEAT else high}}}")
                    else:
                        break
                else:
                    element = one_char(op, av)
                    if not element:
                        break
                    parts.append(element)
            else:
                kept.append("".join(parts))
    except (KeyError, TypeError, ValueError):
        return pattern
    return re.compile("|".join(kept) or "(?!)")


def _prefilter(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """A class of characters, one of which is in every match of ``pattern``.

    From each alternative it takes the characters of one element the alternative cannot
    match without (the one with the fewest letters, digits and spaces, which are
    everywhere), so a line without any of them cannot match, and a fast scan for a
    character class spares the search. None when some alternative has no such element
    spelled out as characters.
    """
    parser, const = re._parser, re._constants  # type: ignore[attr-defined]

    def chars(op: object, av: Any) -> set[str] | None:
        if op is const.LITERAL:
            return {chr(av)}
        if op is not const.IN:
            return None
        found: set[str] = set()
        for o, a in av:
            if o is const.LITERAL:
                found.add(chr(a))
            elif o is const.RANGE:
                found.update(map(chr, range(a[0], a[1] + 1)))
            else:  # a negation or a category: not spelled out
                return None
        return found

    if pattern.flags & re.IGNORECASE:
        return None
    tree = parser.parse(pattern.pattern, pattern.flags)
    branches = tree[0][1][1] if len(tree) == 1 and tree[0][0] is const.BRANCH else [tree]
    needed: set[str] = set()
    for branch in branches:
        best: tuple[tuple[int, int], set[str]] | None = None
        for op, av in branch:
            if op is const.MAX_REPEAT and av[0] >= 1 and len(av[2]) == 1:
                op, av = av[2][0]
            found = chars(op, av)
            if found:
                rank = (sum(c.isalnum() or c.isspace() for c in found), len(found))
                if best is None or rank < best[0]:
                    best = (rank, found)
        if best is None:
            return None
        needed |= best[1]
    return re.compile("[" + "".join(map(re.escape, sorted(needed))) + "]")


# Compiled with "^" matching after every "\n" too, so that a search over a whole text finds
# whatever it would find in any one of its lines (the pattern has no "$" and no lookaround;
# a test checks); on a single line the flag changes nothing.
_BAD_IN_ALPHABET = _reduced(BADNESS_RE, _ALPHABET)
_BAD_IN_ALPHABET = re.compile(_BAD_IN_ALPHABET.pattern, _BAD_IN_ALPHABET.flags | re.MULTILINE)
_MAYBE_BAD_IN_ALPHABET = _prefilter(_BAD_IN_ALPHABET)
# The longest match, if bounded: every match lies within this distance of a character of
# the prefilter, and only there is the (slow) pattern worth trying.
_BAD_WIDTH: int | None = re._parser.parse(_BAD_IN_ALPHABET.pattern).getwidth()[1]  # type: ignore[attr-defined]
if _BAD_WIDTH is not None and _BAD_WIDTH >= re._constants.MAXREPEAT:  # type: ignore[attr-defined]
    _BAD_WIDTH = None


def _bad_in_alphabet(text: str) -> bool:
    """Whether ``_BAD_IN_ALPHABET`` matches in ``text``, trying the pattern only around the
    characters of the prefilter. Russian news quotes with «», which the prefilter holds, in
    most paragraphs: searching each quote's neighbourhood costs a tenth of the whole text.
    ``search(text, pos, endpos)`` lets "^" match only where a line really starts, and a
    pattern without lookaround finds in a slice only matches that are in the text."""
    if _MAYBE_BAD_IN_ALPHABET is None or _BAD_WIDTH is None:
        return _BAD_IN_ALPHABET.search(text) is not None
    width = _BAD_WIDTH
    for hit in _MAYBE_BAD_IN_ALPHABET.finditer(text):
        at = hit.start()
        if _BAD_IN_ALPHABET.search(text, max(0, at - width + 1), at + width):
            return True
    return False


def _is_bad(text: str) -> bool:
    """``ftfy.badness.is_bad`` of a line, faster on text written in ``_ALPHABET``. Of a whole
    text, True when some line of it may be bad: the reduced detector searches every line at
    once; outside the alphabet, ftfy's own detector (whose "^" is the text's start) is left
    to each line."""
    if _OUTSIDE_ALPHABET.search(text) is None:
        return _bad_in_alphabet(text)
    return "\n" in text or is_bad(text)


def may_change(line: str) -> bool:
    """False only when ``ftfy.fix_text(line)`` provably returns ``line`` unchanged.

    ftfy's default fixers act on specific characters (see ``_TOUCHED``), its mojibake
    repair leaves ASCII and text its ``is_bad`` heuristic finds clean alone, and NFC
    normalisation leaves normalised text alone. Checking those three costs a few regex and
    C calls instead of ftfy's whole chain of fixers; a test compares the two on real text.

    Given a whole text, it is False only when it is False for every line: each character
    scan finds what it finds in any line, :func:`_is_bad` says so of its lines, and a text
    is NFC when its lines are.
    """
    if len(line) > CONFIG.max_decode_length:
        return True  # ftfy cuts it into pieces, each judged on its own
    if line.isascii():
        return _TOUCHED_ASCII.search(line) is not None
    if _TOUCHED.search(line):  # _TOUCHED_ASCII's characters among them
        return True
    return _is_bad(line) or not unicodedata.is_normalized("NFC", line)


def ftfy_options() -> dict[str, Any]:
    """The ftfy options in force, and the invisible characters dropped after ftfy, as
    recorded in the output's metadata."""
    options = CONFIG._asdict()
    options.pop("explain")
    return {"ftfy_version": ftfy.__version__, **options, "drop_invisible": INVISIBLE}


def repair_line(line: str) -> str:
    """Repair one line of text.

    >>> repair_line("Kerryâ€™s visit &amp; talks")
    "Kerry's visit & talks"
    """
    if not may_change(line):
        return line
    fixed = _entities_and_quotes(line)
    return ftfy.fix_text(line, CONFIG) if fixed is None else fixed


def _entities_and_quotes(line: str) -> str | None:
    """``ftfy.fix_text(line)`` for a line that needs no fixer but unescape_html,
    uncurl_quotes and remove_control_chars (most lines ftfy changes: entities, curly quotes,
    a byte-order mark inside the text), else None.

    ftfy's loop runs its fixers in passes until one changes nothing. Here each pass runs
    those three fixers of ftfy's, in ftfy's order, and checks that no other would act:
    ``fix_encoding`` leaves text alone that its detector finds clean, the fixers of
    ``_OTHER_FIXES`` need one of its characters, NFC leaves NFC text alone. When one would
    act, the answer is None and ftfy repairs the line. ftfy takes a third of a millisecond
    for a line of entities; this, a tenth of that.
    """
    if len(line) > CONFIG.max_decode_length:
        return None
    entities = "<" not in line  # ftfy's "auto" setting for unescape_html
    text = line
    while True:
        before = text
        if entities and "&" in text:
            text = unescape_html(text)
        if not text.isascii() and _is_bad(text):
            return None
        if _OTHER_FIXES.search(text):
            return None
        text = uncurl_quotes(text)
        if _CONTROL.search(text):  # the translation looks up every character
            text = remove_control_chars(text)
        if not unicodedata.is_normalized("NFC", text):
            return None
        if text == before:
            return text


# Format characters (Unicode category Cf) that change nothing a reader sees in news text:
# the soft hyphen (a hyphenation hint), the word joiner and a byte-order mark inside the text.
# The zero-width space too, except between letters of the scripts written without spaces
# (Thai, Lao, Myanmar, Khmer), where it marks the word boundary.
# The joiners (ZWJ, ZWNJ) shape emoji sequences and Arabic, Persian and Indic scripts; they
# go only between letters of the alphabets that never join (Latin, Greek, Cyrillic, Armenian),
# where they are debris. Bidi marks are kept: they order mixed Arabic or Hebrew text.
_NO_SPACE_SCRIPTS = "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff"
_NON_JOINING = "0-9A-Za-z\u00c0-\u058f\u1e00-\u1fff"
INVISIBLE = {
    "U+00AD": "soft hyphen",
    "U+2060": "word joiner",
    "U+FEFF": "byte-order mark",
    "U+200B": "zero-width space, but between Thai, Lao, Myanmar or Khmer letters",
    "U+200C, U+200D": "zero-width (non-)joiner between Latin, Greek, Cyrillic or Armenian letters",
}
_INVISIBLE = re.compile(
    "[\u00ad\u2060\ufeff]"
    f"|(?<![{_NO_SPACE_SCRIPTS}])\u200b|\u200b(?![{_NO_SPACE_SCRIPTS}])"
    f"|(?<=[{_NON_JOINING}])[\u200c\u200d]+(?=[{_NON_JOINING}])"
)
_MAYBE_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")


def drop_invisible(line: str) -> str:
    """The line without the invisible characters that carry nothing (see ``INVISIBLE``).

    >>> print(ascii(drop_invisible("Ve\\xadr\\u200bche\\u200dris \\U0001f468\\u200d\\U0001f466")))
    'Vercheris \\U0001f468\\u200d\\U0001f466'
    """
    if line.isascii() or _MAYBE_INVISIBLE.search(line) is None:
        return line
    return _INVISIBLE.sub("", line)


def repair_title(title: str) -> str | None:
    """A title repaired as a text is, on one line; None when nothing is left.

    >>> repair_title("  CafÃ© owners say &quot;no&quot;\\n to the tax ")
    'Café owners say "no" to the tax'
    """
    return " ".join(repair(title)[0].split()) or None


def repair(text: str) -> tuple[str, bool]:
    """:func:`repair_lines`, then :func:`drop_invisible`: the repaired lines joined by ``\n``
    again, and whether anything changed.

    A text, not its lines, since most texts need no repair: cutting them into lines for the
    paragraph split to join again cost a tenth of both stages. Invisible characters are
    dropped from a text that held some before repair.
    """
    if may_change(text):
        fixed, changed = _repaired_lines(text)
        repaired = "\n".join(fixed)
    else:
        repaired, changed = text, False
    if text.isascii() or _MAYBE_INVISIBLE.search(text) is None:
        return repaired, changed
    # Line by line, as most lines hold none: the pattern's lookarounds make it slow to search.
    dropped = "\n".join([drop_invisible(line) for line in repaired.split("\n")])
    return dropped, changed or dropped != repaired


def repair_lines(text: str) -> tuple[list[str], bool]:
    """Repair ``text`` line by line; return the repaired lines and whether anything changed.

    Lines are cut at ``\n`` only (a trailing ``\r`` dropped), as ftfy cuts them: U+0085 and
    friends are often pieces of mojibake, and only ftfy can tell. Line breaks that ftfy
    normalises (``\r``, U+2028, U+0085 when it really is one) then become line ends too.
    """
    if not may_change(text):  # most texts: no line needs ftfy ('\r' is among _TOUCHED_ASCII)
        return text.split("\n"), False
    fixed, changed = _repaired_lines(text)
    if any("\n" in line for line in fixed):
        fixed = "\n".join(fixed).split("\n")
    return fixed, changed


def _repaired_lines(text: str) -> tuple[list[str], bool]:
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    fixed = [repair_line(line) for line in lines]
    return fixed, fixed != lines
