"""Repair: ftfy's own real-world cases must come through the repair stage as ftfy expects."""

from __future__ import annotations

import importlib.metadata
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.repair import drop_invisible, ftfy_options, repair, repair_line, repair_lines
from tests.conftest import SHARED_DATA, examples, shared

CASE_FILES = ["in-the-wild", "synthetic", "negative", "language-names", "known-failures"]
# Listed by ftfy as a known failure, yet fixed by the ftfy release we install.
FIXED_KNOWN_FAILURES = {"Misleading mix-up in Spanish"}


def _cases() -> list[Any]:
    folder = SHARED_DATA / "ftfy_test_cases"
    if not folder.exists():
        return [pytest.param(None, marks=pytest.mark.skip(f"{folder} is absent"))]
    params = []
    for name in CASE_FILES:
        for n, case in enumerate(json.loads((folder / f"{name}.json").read_text())):
            fails = case["expect"] == "fail" and case["label"] not in FIXED_KNOWN_FAILURES
            marks = [pytest.mark.xfail(strict=True)] if fails else []
            params.append(pytest.param(case, id=f"{name}-{n}", marks=marks))
    return params


@pytest.mark.parametrize("case", _cases())
def test_ftfy_case_through_the_repair_stage(case: dict[str, str]) -> None:
    lines, _ = repair_lines(case["original"])
    assert lines == case["fixed"].splitlines()


def test_each_line_is_repaired_independently_of_its_neighbours() -> None:
    # ftfy.fix_text stops decoding entities after a '<' in an earlier line of the same call.
    lines, changed = repair_lines("a < b\nfish &amp; chips")
    assert lines == ["a < b", "fish & chips"]
    assert changed


def test_unchanged_text_is_reported_unchanged() -> None:
    assert repair_lines("Plain text.\nSecond line.") == (["Plain text.", "Second line."], False)


def test_mojibake_and_entities_are_fixed() -> None:
    assert repair_line("Kerryâ€™s visit &amp; talks") == "Kerry's visit & talks"


def test_options_name_the_ftfy_version_and_its_settings() -> None:
    options = ftfy_options()
    assert options["ftfy_version"] == importlib.metadata.version("ftfy")
    assert options["uncurl_quotes"] is True and "explain" not in options
    assert set(options["drop_invisible"]) >= {"U+00AD", "U+200B", "U+2060", "U+FEFF"}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Versiche\u00adrungs\u00adgesellschaft", "Versicherungsgesellschaft"),  # soft hyphens
        ("mel\u200bdete, \u200bsaid", "meldete, said"),  # zero-width spaces
        ("Rekord\u2060gewinn \ufeffheute", "Rekordgewinn heute"),  # word joiner, stray BOM
        ("Пре\u200dзидент и pa\u200cris", "Президент и paris"),  # joiners inside Cyrillic, Latin
    ],
)
def test_invisible_characters_that_carry_nothing_are_dropped(line: str, expected: str) -> None:
    assert drop_invisible(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "\U0001f468\u200d\U0001f469\u200d\U0001f467 \u2764\ufe0f\u200d\U0001f525",  # emoji
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian, ZWNJ
        "\u0915\u094d\u200d\u0937",  # Devanagari, ZWJ
        "\u0e20\u0e32\u0e29\u0e32\u200b\u0e44\u0e17\u0e22",  # Thai words, ZWSP
        "\u05e9\u05dc\u05d5\u05dd \u200f(123)",  # Hebrew with a bidi mark
    ],
)
def test_invisible_characters_that_carry_something_stay(line: str) -> None:
    assert drop_invisible(line) == line


def test_the_repair_stage_is_ftfy_then_dropping_invisible_characters() -> None:
    text = "Kerryâ€™s visit &amp; tal\u00adks\nSecond line."
    assert repair(text) == ("Kerry's visit & talks\nSecond line.", True)
    assert repair_lines(text)[0][0] == "Kerry's visit & tal\u00adks"  # ftfy keeps it
    assert repair("Visi\u200bble\nline") == ("Visible\nline", True)
    assert repair("Plain text.") == ("Plain text.", False)


# What repair acts on, line breaks, and invisible characters among letters of either side,
# as found and as repair makes them (an entity, mojibake).
_REPAIRED = st.sampled_from(
    [
        *("\n", "\r", "\r\n", "&amp;", "’", "Ã©", "â€™", "a", "ย", " "),
        *("\u00ad", "\u200b", "\u200d", "&shy;", "&#8203;", "â€‹"),
    ]
)


@settings(max_examples=examples(10), deadline=None)
@given(st.lists(st.one_of(_REPAIRED, st.characters())).map("".join))
def test_repairing_a_whole_text_equals_repairing_its_lines(text: str) -> None:
    lines, changed = repair_lines(text)
    if not (text.isascii() or re.search("[\u00ad\u200b-\u200d\u2060\ufeff]", text) is None):
        dropped = [drop_invisible(line) for line in lines]
        lines, changed = dropped, changed or dropped != lines
    assert repair(text) == ("\n".join(lines), changed)


def _real_lines() -> list[str]:
    """Lines of real news of four sources; skips the test without ../shared/data."""
    import codecs

    lines: list[str] = []
    for folder, pattern in [
        ("bbc_news_fulltext", "bbc/*/*.txt"),
        ("russian_telegram_news_posts", "raw/*.json"),
        ("reuters21578_sgm", "sgm-data/reut2-00[0-2].sgm"),
        ("trafilatura_eval_html", "cache/*.html"),
    ]:
        root = shared(folder)
        for path in sorted(root.glob(pattern))[:: 1 if folder.startswith("reuters") else 8][:60]:
            text = codecs.decode(path.read_bytes(), "utf-8", "replace")
            if path.suffix == ".json":
                text = "\n".join(str(p.get("text", "")) for p in json.loads(text))
            lines += text.split("\n")
    return lines


def test_fast_path_agrees_with_ftfy_on_real_text() -> None:
    import ftfy

    from cleaner.repair import CONFIG, may_change

    lines = _real_lines()
    skipped = 0
    for line in lines:
        if not may_change(line):
            skipped += 1
            assert ftfy.fix_text(line, CONFIG) == line
    assert skipped > len(lines) / 2  # the fast path is taken, not just correct


def _ftfy_case_lines() -> list[str]:
    """Every line of ftfy's own cases; skips the test without ../shared/data."""
    folder = shared("ftfy_test_cases")
    cases = [c for name in CASE_FILES for c in json.loads((folder / f"{name}.json").read_text())]
    return [line for case in cases for line in case["original"].split("\n")]


def test_fast_path_agrees_with_ftfy_on_mojibake_cases() -> None:
    import ftfy

    from cleaner.repair import CONFIG, may_change

    lines = _ftfy_case_lines()
    unchanged = [line for line in lines if not may_change(line)]
    assert 0 < len(unchanged) < len(lines)  # mojibake cases: most, not all, need a look
    for line in unchanged:
        assert ftfy.fix_text(line, CONFIG) == line


@settings(max_examples=examples(3), deadline=None)
@given(st.text(alphabet=st.characters(codec=None), max_size=60))
def test_fast_path_agrees_with_ftfy_on_arbitrary_text(line: str) -> None:
    import ftfy

    from cleaner.repair import CONFIG, may_change

    if not may_change(line):
        assert ftfy.fix_text(line, CONFIG) == line


MOJIBAKE_ALPHABET = (
    "aé€ÃƒÂ¢â€™œžŸ™šŒ¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿ÐÑÒÓ"
    "РСТУПФабвгдеёжзийклмнопрстуфхцчшщъыьэюяЁЄІЇЎ ,.-'\"«»…—"
)


@settings(max_examples=examples(5), deadline=None)
@given(st.text(alphabet=MOJIBAKE_ALPHABET, max_size=40))
def test_fast_path_agrees_with_ftfy_on_mojibake_like_text(line: str) -> None:
    import ftfy

    from cleaner.repair import CONFIG, may_change

    if not may_change(line):
        assert ftfy.fix_text(line, CONFIG) == line


@settings(max_examples=examples(15), deadline=None)
@given(st.lists(st.text(alphabet=MOJIBAKE_ALPHABET + "µ\t&;#", max_size=12), max_size=4))
def test_fast_path_agrees_with_ftfy_on_texts_of_several_lines(pieces: list[str]) -> None:
    """may_change() judges a whole text at once; ftfy fixes it line by line."""
    import ftfy

    from cleaner.repair import CONFIG, may_change

    text = "\n".join(pieces)
    if not may_change(text):
        assert ftfy.fix_text(text, CONFIG) == text


def _alphabet_text() -> str:
    from cleaner.repair import _ALPHABET

    chars = "".join(chr(c) for lo, hi in _ALPHABET for c in range(lo, hi + 1))
    # weight towards the characters ftfy's detector cares about, so that mojibake shows up
    return chars + "РСВГ«»•№◊°µ" * 50


@settings(max_examples=examples(15), deadline=None)
@given(st.text(alphabet=_alphabet_text().replace("\n", ""), max_size=12))
def test_reduced_mojibake_detector_equals_ftfys_on_its_alphabet(line: str) -> None:
    from ftfy.badness import is_bad

    from cleaner.repair import _is_bad

    assert _is_bad(line) == is_bad(line)


@settings(max_examples=examples(15), deadline=None)
@given(st.lists(st.text(alphabet=_alphabet_text(), max_size=8), min_size=2, max_size=4))
def test_detector_of_a_whole_text_flags_each_bad_line(pieces: list[str]) -> None:
    """Of a text of several lines, ``_is_bad`` may say True where no line is bad (it is a
    cheap first look), but never False where ftfy, which judges each line ending at "\n",
    would find one bad."""
    from ftfy.badness import is_bad

    from cleaner.repair import _is_bad

    text = "\n".join(pieces)
    lines = re.findall(r"[^\n]*\n|[^\n]+", text)
    if any(is_bad(line) for line in lines):
        assert _is_bad(text)


def test_reduced_mojibake_detector_equals_ftfys_on_real_text() -> None:
    from ftfy.badness import is_bad

    from cleaner.repair import _is_bad

    lines = _real_lines()
    mojibake = [line.encode("utf-8").decode("cp1251", "replace") for line in lines[::7]]
    for line in lines + mojibake:
        assert _is_bad(line) == is_bad(line), line


def test_entity_and_quote_path_agrees_with_ftfy_on_real_text() -> None:
    import ftfy

    from cleaner.repair import CONFIG, _entities_and_quotes, may_change

    lines = [line for line in _real_lines() if may_change(line)]
    # as the bench's workload renders repeats: entities, curly quotes, guillemets
    lines += [line.replace("'", "\u2019").replace("о", "&#1086;") for line in lines[::3]]
    taken = 0
    for line in lines:
        fixed = _entities_and_quotes(line)
        if fixed is not None:
            taken += 1
            assert fixed == ftfy.fix_text(line, CONFIG), line
    assert taken > len(lines) / 2


def test_entity_and_quote_path_agrees_with_ftfy_on_ftfys_cases() -> None:
    import ftfy

    from cleaner.repair import CONFIG, _entities_and_quotes

    taken = 0
    for line in _ftfy_case_lines():
        fixed = _entities_and_quotes(line)
        if fixed is not None:
            taken += 1
            assert fixed == ftfy.fix_text(line, CONFIG), line
    assert taken > 0


ENTITY_PIECES = st.sampled_from(
    ["&amp;", "&lt;", "&#1086;", "&#x2019;", "&quot;", "&eacute;", "&EACUTE;", "&amp;lt;", "&",
     "&#10;", "&#133;", "&#150;", "&#x80;", ";", "#", "<", "\u2018", "\u2019", "\u201c", "\u201d",
     "\u02bc", "\u00e2\u20ac\u2122", "\u0420\u045f", "\u00c3", " ", "a", "\u043e", "\u00ab",
     "\u00bb", "\u2014", "\u00a0", "\r", "\x85", "e\u0301", "\ufb01", "\ufeff", "\x01",
     "\x0b", "\x1b[0m", "\x7f", "\u206a", "\ufffc", "\u200d"]
)  # fmt: skip


@settings(max_examples=examples(10), deadline=None)
@given(st.lists(ENTITY_PIECES, max_size=12).map("".join))
def test_repair_line_agrees_with_ftfy_on_entities_and_quotes(line: str) -> None:
    import ftfy

    from cleaner.repair import CONFIG

    assert repair_line(line) == ftfy.fix_text(line, CONFIG)


def test_prefilter_holds_a_character_of_every_match() -> None:
    from cleaner.repair import _MAYBE_BAD_IN_ALPHABET, _prefilter

    assert _MAYBE_BAD_IN_ALPHABET is not None
    # rare in text, unlike letters, digits and spaces
    assert not re.search(r"[\w\s]", _MAYBE_BAD_IN_ALPHABET.pattern.strip("[]"))
    needed = _prefilter(re.compile("ab-|[xy]%|q+[0-9]|r?s"))
    assert needed is not None  # one element per alternative, the rarest, never an optional one
    assert set(needed.findall("abcdefghijklmnopqrstuvwxyz%-0123456789")) == {"-", "%", "q", "s"}
    assert _prefilter(re.compile("a|\\w")) is None  # a class not spelled out


def test_prefilter_finds_a_character_wherever_the_detector_matches_real_text() -> None:
    from cleaner.repair import _BAD_IN_ALPHABET, _MAYBE_BAD_IN_ALPHABET

    assert _MAYBE_BAD_IN_ALPHABET is not None
    lines = _real_lines()
    mojibake = [line.encode("utf-8").decode("cp1251", "replace") for line in lines[:3000:7]]
    matched = [line for line in lines[:3000] + mojibake if _BAD_IN_ALPHABET.search(line)]
    assert matched  # the mojibake has some
    for line in matched:
        assert _MAYBE_BAD_IN_ALPHABET.search(line), line


@settings(max_examples=examples(10), deadline=None)
@given(st.lists(st.text(alphabet=_alphabet_text(), max_size=12), max_size=4))
def test_the_detector_tried_around_the_prefilter_finds_what_the_whole_search_finds(
    lines: list[str],
) -> None:
    from cleaner.repair import _BAD_IN_ALPHABET, _bad_in_alphabet

    text = "\n".join(lines)
    assert _bad_in_alphabet(text) == bool(_BAD_IN_ALPHABET.search(text))


def _as_lines_would_be(text: str) -> None:
    lines, changed = repair_lines(text)
    expected = [repair_line(line.removesuffix("\r")) for line in text.split("\n")]
    assert lines == "\n".join(expected).split("\n")  # ftfy may make line breaks
    assert changed == (expected != [line.removesuffix("\r") for line in text.split("\n")])


def test_ascii_texts_are_checked_whole_as_their_lines_would_be() -> None:
    for text in ["plain\nlines\n", "a &amp; b\nplain", "crlf\r\nline", "tab\there\n\x7f"]:
        _as_lines_would_be(text)


@settings(max_examples=examples(10), deadline=None)
@given(st.lists(st.text(alphabet=_alphabet_text() + "&\r\u00e9\u0301", max_size=12), max_size=4))
def test_texts_in_the_alphabet_are_checked_whole_as_their_lines_would_be(
    lines: list[str],
) -> None:
    _as_lines_would_be("\n".join(lines))


def test_texts_in_the_alphabet_are_checked_whole_on_real_text() -> None:
    lines = _real_lines()
    mojibake = [line.encode("utf-8").decode("cp1251", "replace") for line in lines[::7]]
    for start in range(0, len(lines), 5):
        _as_lines_would_be("\n".join(lines[start : start + 5]))
    for start in range(0, len(mojibake), 3):
        _as_lines_would_be("\n".join(mojibake[start : start + 3]))


def test_what_ascii_text_may_need_is_among_what_any_text_may_need() -> None:
    # may_change reads only _TOUCHED for a text that is not all ASCII
    from cleaner.repair import _TOUCHED, _TOUCHED_ASCII

    for c in map(chr, range(0x80)):
        assert not _TOUCHED_ASCII.match(c) or _TOUCHED.match(c), repr(c)


def test_the_whole_text_detector_matches_where_a_line_alone_would() -> None:
    # With "^" matching after each line break, whatever the reduced detector finds in a line
    # it finds in the text around that line, as long as it has no "$", "\\b" or lookaround.
    from cleaner.repair import _BAD_IN_ALPHABET

    parser, const = re._parser, re._constants  # type: ignore[attr-defined]
    for branch in parser.parse(_BAD_IN_ALPHABET.pattern, _BAD_IN_ALPHABET.flags)[0][1][1]:
        for op, av in branch:
            assert op in (const.IN, const.LITERAL, const.MAX_REPEAT) or (
                op is const.AT and av is const.AT_BEGINNING
            ), (op, av)
