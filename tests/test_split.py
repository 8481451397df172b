"""Split: the three layouts scrapers write, and whitespace."""

from __future__ import annotations

from cleaner.split import split_paragraphs


def test_blank_line_blocks_with_hard_wrapped_lines() -> None:
    lines = ["Headline", "", "First paragraph", "wrapped here.", "", "", "Second."]
    assert split_paragraphs(lines) == ["Headline", "First paragraph wrapped here.", "Second."]


def test_one_paragraph_per_line_without_blank_lines() -> None:
    assert split_paragraphs(["One.", "Two.", "Three."]) == ["One.", "Two.", "Three."]


def test_one_blank_line_switches_to_blocks() -> None:
    assert split_paragraphs(["One.", "Two.", "  ", "Three."]) == ["One. Two.", "Three."]


def test_newswire_indentation_starts_paragraphs() -> None:
    lines = [
        "Showers continued throughout the week in",
        "the Bahia cocoa zone.",
        "    The dry period means the temporao will be late",
        "this year.",
        "    Arrivals were 155,221 bags.",
    ]
    assert split_paragraphs(lines) == [
        "Showers continued throughout the week in the Bahia cocoa zone.",
        "The dry period means the temporao will be late this year.",
        "Arrivals were 155,221 bags.",
    ]


def test_leading_and_trailing_blank_lines_do_not_change_the_layout() -> None:
    assert split_paragraphs(["", "One.", "Two.", "", ""]) == ["One.", "Two."]


def test_whitespace_is_trimmed_and_collapsed_including_nbsp() -> None:
    assert split_paragraphs(["  a \u00a0 b\tc  "]) == ["a b c"]


def test_empty_and_blank_texts_have_no_paragraphs() -> None:
    assert split_paragraphs([]) == []
    assert split_paragraphs(["", " \t"]) == []
