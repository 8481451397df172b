"""Split: the three layouts scrapers write, and whitespace."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner import split
from cleaner.split import split_by_layout, split_paragraphs
from tests.conftest import FIXTURES, examples


def test_blank_line_blocks_with_hard_wrapped_lines() -> None:
    lines = ["Headline", "", "First paragraph", "wrapped here.", "", "", "Second."]
    assert split_paragraphs("\n".join(lines)) == [
        "Headline",
        "First paragraph wrapped here.",
        "Second.",
    ]


def test_one_paragraph_per_line_without_blank_lines() -> None:
    assert split_paragraphs("One.\nTwo.\nThree.") == ["One.", "Two.", "Three."]


def test_one_blank_line_switches_to_blocks() -> None:
    assert split_paragraphs("One.\nTwo.\n  \nThree.") == ["One. Two.", "Three."]


def test_newswire_indentation_starts_paragraphs() -> None:
    lines = [
        "Showers continued throughout the week in",
        "the Bahia cocoa zone.",
        "    The dry period means the temporao will be late",
        "this year.",
        "    Arrivals were 155,221 bags.",
    ]
    assert split_paragraphs("\n".join(lines)) == [
        "Showers continued throughout the week in the Bahia cocoa zone.",
        "The dry period means the temporao will be late this year.",
        "Arrivals were 155,221 bags.",
    ]


def test_leading_and_trailing_blank_lines_do_not_change_the_layout() -> None:
    assert split_paragraphs("\nOne.\nTwo.\n\n") == ["One.", "Two."]


def test_whitespace_is_trimmed_and_collapsed_including_nbsp() -> None:
    assert split_paragraphs("  a \u00a0 b\tc  ") == ["a b c"]


def test_empty_and_blank_texts_have_no_paragraphs() -> None:
    assert split_paragraphs("") == []
    assert split_paragraphs("\n \t") == []


def _both(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert split_paragraphs(text) == split_by_layout(lines, [line.split() for line in lines])


def test_fast_layouts_equal_the_line_by_line_split_on_real_news() -> None:
    import json

    from tests.conftest import shared

    texts = [path.read_text(encoding="utf-8", errors="replace") for path in FIXTURES.iterdir()]
    for path in sorted(shared("bbc_news_fulltext", "bbc").glob("*/*.txt"))[::20]:
        texts.append(path.read_text(encoding="latin-1"))
    for path in sorted(shared("russian_telegram_news_posts", "raw").glob("*.json"))[:3]:
        texts += [str(post.get("text", "")) for post in json.loads(path.read_text())[:300]]
    sgm = shared("reuters21578_sgm", "sgm-data", "reut2-000.sgm").read_text(errors="replace")
    texts += sgm.split("<BODY>")[1:200]
    assert len(texts) > 1000
    for text in texts:
        _both(text.split("\n"))
        _both([line.strip() for line in text.split("\n")])  # the same text without indents


@settings(max_examples=examples(5), deadline=None)
@given(st.lists(st.sampled_from(["", " ", "\t", "\u00a0", "a", "b c", " d", "\u3000e", "f "])))
def test_fast_layouts_equal_the_line_by_line_split_on_any_layout(lines: list[str]) -> None:
    _both(lines)


def test_the_spelled_out_whitespace_is_all_whitespace_but_space_and_line_break() -> None:
    from cleaner.split import _OTHER_SPACE

    for code in range(0x110000):
        c = chr(code)
        assert bool(_OTHER_SPACE.match(c)) == (c.isspace() and c not in " \n")


needs_kernel = pytest.mark.skipif(
    split.PLAINLY_SPACED is split._plainly_spaced, reason="the C kernel was not built"
)


@needs_kernel
@settings(max_examples=examples(5), deadline=None)
@given(
    st.text(
        st.one_of(st.sampled_from(list(" \n\t\r\x0b\x1c\x85\xa0\u2028\u3000ab")), st.characters())
    )
)
def test_compiled_spacing_check_equals_the_reference(text: str) -> None:
    assert split.PLAINLY_SPACED(text) == split._plainly_spaced(text)


@needs_kernel
def test_compiled_spacing_check_equals_the_reference_on_every_character() -> None:
    for code in range(0x110000):
        text = f"a{chr(code)}b"
        assert split.PLAINLY_SPACED(text) == split._plainly_spaced(text), hex(code)
