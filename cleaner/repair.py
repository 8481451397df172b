"""Repair: fix mojibake, HTML entities and control characters with ftfy.

Every line is repaired on its own with ``ftfy.fix_text`` and ftfy's default configuration
(which also straightens curly quotes). Repairing line by line keeps the result of one line
independent of the others: ftfy carries state between the lines of one call (after a ``<`` it
stops decoding HTML entities), which would make a paragraph's repair depend on its neighbours.
"""

from __future__ import annotations

from typing import Any

import ftfy

CONFIG = ftfy.TextFixerConfig(explain=False)


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
    return ftfy.fix_text(line, CONFIG)


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
