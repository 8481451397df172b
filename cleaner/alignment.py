"""Alignment: the blocks two word lists share, and the edits from one to the other.

What :class:`difflib.SequenceMatcher` finds (no junk, ``autojunk=False``), computed by the
kernel over the words numbered, where difflib's dictionaries per element cost a sixth of
de-duplication inside documents. Without the kernel, difflib itself.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from difflib import SequenceMatcher

from cleaner.compiled import compiled

Block = tuple[int, int, int]  # (i, j, size): a[i:i + size] == b[j:j + size]
Opcode = tuple[str, int, int, int, int]  # difflib's (tag, i1, i2, j1, j2)

_MATCHING_BLOCKS = compiled("matching_blocks")


def matching_blocks(a: Sequence[str], b: Sequence[str]) -> list[Block]:
    """``SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()``, as tuples.

    >>> matching_blocks("the fine is 3 years".split(), "a fine is 5 years".split())
    [(1, 1, 2), (4, 4, 1), (5, 5, 0)]
    """
    if _MATCHING_BLOCKS is None:
        matcher = SequenceMatcher(None, a, b, autojunk=False)
        return [(m.a, m.b, m.size) for m in matcher.get_matching_blocks()]
    numbers: dict[str, int] = {}  # each word's id, in order of first sight
    a_ids, b_ids = (
        array("i", [numbers.setdefault(w, len(numbers)) for w in words]).tobytes()
        for words in (a, b)
    )
    found: list[Block] = _MATCHING_BLOCKS(a_ids, b_ids, len(numbers))
    return found


def opcodes(a: Sequence[str], b: Sequence[str]) -> list[Opcode]:
    """``SequenceMatcher(None, a, b, autojunk=False).get_opcodes()``: how to turn ``a``
    into ``b``, from the blocks they share.

    >>> opcodes("the fine is 3 years".split(), "a fine is years".split())
    [('replace', 0, 1, 0, 1), ('equal', 1, 3, 1, 3), ('delete', 3, 4, 3, 3), ('equal', 4, 5, 3, 4)]
    """
    edits: list[Opcode] = []
    i = j = 0
    for ai, bj, size in matching_blocks(a, b):
        if i < ai or j < bj:
            tag = "replace" if i < ai and j < bj else "delete" if i < ai else "insert"
            edits.append((tag, i, ai, j, bj))
        i, j = ai + size, bj + size
        if size:
            edits.append(("equal", ai, i, bj, j))
    return edits
