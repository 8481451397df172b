"""Scraped text on a terminal: shown, never obeyed.

File names, JSON ids, rejects' details and paragraphs come from untrusted input. Printed as
they are, an escape sequence in one of them could move the cursor, retitle the window, hide
the lines before it or make text read backwards. :func:`shown` writes every such character
as its Python escape instead, so each piece of text stays on its own line, as it is.
"""

from __future__ import annotations

import unicodedata

# Controls (C0, DEL, C1: ESC and CSI start terminal sequences, CR and BS overwrite a line),
# line and paragraph separators, surrogates, and the bidirectional formatting characters,
# which reorder what a terminal displays (CVE-2021-42574, "Trojan Source").
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def shown(text: str) -> str:
    r"""``text`` safe to print on one line of a terminal.

    >>> shown("caf\xe9 \x1b]0;pwned\x07 line\nbreak \u202eevil")
    'café \\x1b]0;pwned\\x07 line\\nbreak \\u202eevil'
    """
    return "".join(
        ascii(c)[1:-1] if c in _BIDI or unicodedata.category(c) in _ESCAPED_CATEGORIES else c
        for c in text
    )
