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

from collections.abc import Sequence


def split_paragraphs(lines: Sequence[str]) -> list[str]:
    """Return the paragraphs of a text given as lines.

    >>> split_paragraphs(["Title", "", "First line", "wrapped.", "", "Next."])
    ['Title', 'First line wrapped.', 'Next.']
    >>> split_paragraphs(["One.", "Two."])
    ['One.', 'Two.']
    """
    blank = [not line.strip() for line in lines]
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
            joined = " ".join(" ".join(current).split())
            if joined:
                paragraphs.append(joined)
            current.clear()

    for line, is_blank, is_indented in zip(lines, blank, indented, strict=True):
        if is_blank:
            close()
        elif (uses_indent and is_indented) or not (has_blank_lines or uses_indent):
            close()
            current.append(line)
        else:
            current.append(line)
    close()
    return paragraphs
