"""Alignment: the kernel's matching blocks and edits are difflib's, ties included."""

from __future__ import annotations

import random
from difflib import SequenceMatcher

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cleaner import alignment
from tests.conftest import examples
from tests.test_fingerprint import _real_news

needs_kernel = pytest.mark.skipif(
    alignment._MATCHING_BLOCKS is None, reason="the C kernel was not built"
)


def _difflib(a: list[str], b: list[str]) -> tuple[list[tuple[int, int, int]], list[object]]:
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    blocks = [(m.a, m.b, m.size) for m in matcher.get_matching_blocks()]
    return blocks, matcher.get_opcodes()


def _same(a: list[str], b: list[str]) -> None:
    blocks, edits = _difflib(a, b)
    assert alignment.matching_blocks(a, b) == blocks
    assert alignment.opcodes(a, b) == edits


# Few distinct words, so that a word recurs and the longest match has ties to break.
_WORDS = st.lists(st.sampled_from(["a", "b", "c", "d", "3", "the", "Я"]), max_size=60)


@needs_kernel
@given(_WORDS, _WORDS)
def test_the_kernel_aligns_as_difflib_does(a: list[str], b: list[str]) -> None:
    _same(a, b)


@needs_kernel
@given(st.lists(st.text(max_size=3), max_size=30), st.data())
def test_the_kernel_aligns_a_list_and_its_edited_copy_as_difflib_does(
    a: list[str], data: st.DataObject
) -> None:
    b = list(a)
    for _ in range(data.draw(st.integers(0, 4))):
        at = data.draw(st.integers(0, len(b)))
        edit = data.draw(st.sampled_from(["drop", "add", "swap", "repeat"]))
        if edit == "add" or not b:
            b.insert(at, data.draw(st.text(max_size=3)))
        elif edit == "drop":
            del b[min(at, len(b) - 1)]
        elif edit == "swap":
            b[min(at, len(b) - 1)] = data.draw(st.text(max_size=3))
        else:
            b[at:at] = b[at : at + 3]
    _same(a, b)


@needs_kernel
def test_the_kernel_aligns_real_paragraphs_and_their_scraped_copies_as_difflib_does() -> None:
    chance = random.Random(7)
    paragraphs = [p.split() for p in _real_news()]
    for n in range(0, len(paragraphs) - 1, max(1, len(paragraphs) // examples(20))):
        a = paragraphs[n]
        copy = list(a)
        for _ in range(chance.randint(0, 3)):  # a typo, a figure changed, a dateline
            if copy:
                copy[chance.randrange(len(copy))] = chance.choice(["teh", "5", "MOSCOW", "—"])
        _same(a, copy)
        _same(a, paragraphs[n + 1])  # the next paragraph: few words in common


def test_without_the_kernel_difflib_aligns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alignment, "_MATCHING_BLOCKS", None)
    _same(
        ["the", "fine", "is", "up", "to", "10", "years"],
        ["rome", "-", "the", "fine", "is", "up", "to"],
    )
