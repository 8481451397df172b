"""Repair: fix mojibake, HTML entities and control characters with ftfy.

Every line is repaired on its own with ``ftfy.fix_text`` and ftfy's default configuration
(which also straightens curly quotes). Repairing line by line keeps the result of one line
independent of the others: ftfy carries state between the lines of one call (after a ``<`` it
stops decoding HTML entities), which would make a paragraph's repair depend on its neighbours.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import ftfy
from ftfy.badness import is_bad
from ftfy.chardata import CONTROL_CHARS, LIGATURES, WIDTH_MAP

CONFIG = ftfy.TextFixerConfig(explain=False)

# Every character some fixer of ftfy's default configuration acts on, taken from ftfy's own
# tables: HTML entities start with '&'; C1 controls; the characters fix_latin_ligatures,
# fix_character_width and remove_control_chars translate; the curly quotes uncurl_quotes
# straightens; line breaks; lone surrogates; ESC, which starts a terminal escape.
_TOUCHED = re.compile(
    "["
    + re.escape(
        "&\r\x0b\x0c\x1b\u2028\u2029"
        + "".join(map(chr, sorted({*CONTROL_CHARS, *LIGATURES, *WIDTH_MAP})))
    )
    + "\x80-\x9f\u02bc\u2018-\u201f\ud800-\udfff]"
)

_TOUCHED_ASCII = re.compile("[&\x00-\x08\x0b-\x1f\x7f]")


def may_change(line: str) -> bool:
    """False only when ``ftfy.fix_text(line)`` provably returns ``line`` unchanged.

    ftfy's default fixers act on specific characters (see ``_TOUCHED``), its mojibake
    repair leaves ASCII and text its ``is_bad`` heuristic finds clean alone, and NFC
    normalisation leaves normalised text alone. Checking those three costs a few regex and
    C calls instead of ftfy's whole chain of fixers; a test compares the two on real text.
    """
    if line.isascii():
        return _TOUCHED_ASCII.search(line) is not None
    if _TOUCHED.search(line):
        return True
    return is_bad(line) or not unicodedata.is_normalized("NFC", line)


def ftfy_options() -> dict[str, Any]:
    """The ftfy options in force, as recorded in the output's metadata."""
    options = CONFIG._asdict()
    options.pop("explain")
    return {"ftfy_version": ftfy.__version__, **options}


def repair_line(line: str) -> str:
    """Repair one line of text.

    >>> repair_line("Kerryâ€™s visit &amp; talks")
    "Kerry's visit & talks"
    """
    return ftfy.fix_text(line, CONFIG) if may_change(line) else line


def repair_lines(text: str) -> tuple[list[str], bool]:
    """Repair ``text`` line by line; return the repaired lines and whether anything changed.

    Lines are cut at ``\n`` only (a trailing ``\r`` dropped), as ftfy cuts them: U+0085 and
    friends are often pieces of mojibake, and only ftfy can tell. Line breaks that ftfy
    normalises (``\r``, U+2028, U+0085 when it really is one) then become line ends too.
    """
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    fixed = [repair_line(line) for line in lines]
    changed = fixed != lines
    if any("\n" in line for line in fixed):
        fixed = "\n".join(fixed).split("\n")
    return fixed, changed
