"""Split: repaired lines to paragraphs.

- Blocks separated by blank lines are paragraphs; the hard-wrapped lines of a block are joined
  with one space.
- Where a text marks paragraphs by indenting their first line (newswire style: no blank lines,
  wrapped lines, each paragraph starting with spaces), an indented line starts a paragraph.
- A text with neither blank lines nor indentation has one paragraph per non-empty line (the
  layout most scrapers write).
Whitespace is trimmed and runs of it (non-breaking spaces included) collapse to one space.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import chain, groupby

from cleaner.compiled import compiled

# Whitespace other than the space and the line break, spelled out: a class of literals scans
# faster than the negated category [^\S \n]. All of it lies in the BMP (a test checks).
_OTHER_SPACE = re.compile(
    "["
    + re.escape("".join(c for c in map(chr, range(0x10000)) if c.isspace() and c not in " \n"))
    + "]"
)
_BLANK_RUN = re.compile(r"\n\n+")


def _plainly_spaced(text: str) -> bool:
    """Whether only single spaces and line breaks separate the words of ``text``: no other
    whitespace, no two spaces in a row, no space at either end of a line. The reference for
    ``cleaner._kernel.plainly_spaced``, which scans a text once instead of four times."""
    return not (
        "  " in text
        or " \n" in text
        or "\n " in text
        or text[:1] == " "
        or text[-1:] == " "
        or _OTHER_SPACE.search(text)
    )


PLAINLY_SPACED: Callable[[str], bool] = compiled("plainly_spaced") or _plainly_spaced


def split_paragraphs(text: str) -> list[str]:
    """Return the paragraphs of a text whose lines end at ``\n`` (as repair leaves them).

    >>> split_paragraphs("Title\\n\\nFirst line\\nwrapped.\\n\\nNext.")
    ['Title', 'First line wrapped.', 'Next.']
    >>> split_paragraphs("One.\\nTwo.")
    ['One.', 'Two.']
    """
    if PLAINLY_SPACED(text):
        # Most texts: every line is trimmed and single-spaced already, and a blank line is an
        # empty one, so whole-text string operations find the same paragraphs as the words
        # of each line would, without making a string of every word.
        text = text.strip("\n")
        if "\n\n" in text:
            blocks = _BLANK_RUN.split(text) if "\n\n\n" in text else text.split("\n\n")
            return [block.replace("\n", " ") for block in blocks]
        return text.split("\n") if text else []  # trimmed, no blank line: none is empty
    lines = text.split("\n")
    words = [line.split() for line in lines]  # a line without words is blank
    if any(line[:1].isspace() for line in lines):
        return split_by_layout(lines, words)
    # Without indented lines, blocks are whatever lies between blank lines, or single lines
    # when there is no blank line among the text.
    filled = [i for i, found in enumerate(words) if found]
    if filled and filled[-1] - filled[0] + 1 > len(filled):
        groups = groupby(words, bool)
        return [" ".join(chain.from_iterable(group)) for full, group in groups if full]
    return [" ".join(found) for found in words if found]


def split_by_layout(lines: Sequence[str], words: Sequence[list[str]]) -> list[str]:
    """:func:`split_paragraphs` for any layout, line by line; ``words`` are each line's."""
    blank = [not found for found in words]
    indented = [
        bool(line) and line[0].isspace() and not b for line, b in zip(lines, blank, strict=True)
    ]
    # Indentation marks paragraphs only when an indented line follows a non-blank one.
    uses_indent = any(indented[i] and not blank[i - 1] for i in range(1, len(lines)))
    filled = [i for i, b in enumerate(blank) if not b]
    has_blank_lines = bool(filled) and any(blank[filled[0] : filled[-1]])
    paragraphs: list[str] = []
    current: list[str] = []

    def close() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for found, is_blank, is_indented in zip(words, blank, indented, strict=True):
        # a paragraph ends at a blank line, at an indented line where indents mark them, and
        # at every line where neither blank lines nor indents do (a blank line adds no words)
        if is_blank or (uses_indent and is_indented) or not (has_blank_lines or uses_indent):
            close()
        current.extend(found)
    close()
    return paragraphs
