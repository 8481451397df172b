"""De-duplication inside a document: what goes, what stays, and the evidence left behind."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cleaner.deduplicate as deduplicate
from cleaner import Options, clean, clean_text
from cleaner.banding import (
    _NEAR_PAIRS,
    ESTIMATE_SLACK,
    SignatureArray,
    banded_pairs,
    candidate_pairs,
    lsh_bands,
    near_pairs,
)
from cleaner.deduplicate import DedupOptions, word_changed
from cleaner.fingerprint import fingerprint, normalize, plain_letters
from cleaner.fingerprint import words as words_of
from tests.conftest import cases, shared


@pytest.mark.parametrize("case", cases("paragraph_pairs.json"))
def test_paragraph_pair(case: dict[str, str]) -> None:
    doc = clean_text(f"{case['first']}\n\nIn between.\n\n{case['second']}")
    if case["expect"] == "kept":
        assert doc.removed == []
    else:
        (removal,) = doc.removed
        assert (removal.index, removal.reason, removal.repeats_index) == (2, case["expect"], 0)
        assert removal.repeats == doc.paragraphs[0]
        if case["expect"] == "exact_duplicate":
            assert removal.similarity == 1.0
        else:
            defaults = DedupOptions()  # a misspelt copy is measured with its words respelt
            first, second = (words_of(normalize(case[k])) for k in ("first", "second"))
            assert (
                removal.similarity >= defaults.threshold
                or removal.containment >= defaults.containment
                or word_changed(first, second)
            )


def test_first_occurrence_is_kept_and_all_later_ones_point_to_it() -> None:
    b = "The minister said the talks would resume in the capital next week."
    doc = clean_text(f"{b}\nA.\n{b}\nC.\n{b}")
    assert doc.paragraphs == [b, "A.", "C."]
    assert [(r.index, r.repeats_index, r.repeats) for r in doc.removed] == [(2, 0, b), (4, 0, b)]


@pytest.mark.parametrize("case", cases("list_structure.json"))
def test_lists_keep_their_repeats_while_scrapers_repeats_go(case: dict[str, Any]) -> None:
    """Pages laid out like real ones: nominees under each award category, a letters page, a
    fixture list, standings; and the repeats a scraper makes, among them and among prose."""
    doc = clean_text("\n".join(case["lines"]))
    assert [r.index for r in doc.removed] == case["removed"]
    if "reasons" in case:
        assert [r.reason for r in doc.removed] == case["reasons"]


def _templated_table(seed: int, lines: int) -> str:
    """Lines made on one template (results, prices), each resembling every other, and among
    them copies of some: whole, with a letter dropped, or cut short."""
    rng = random.Random(seed)
    teams = ["Arsenal", "Chelsea", "Everton", "Fulham", "Leeds", "Burnley", "Wolves", "Villa"]
    table = []
    for _ in range(lines):
        home, away = rng.sample(teams, 2)
        goals = f"{rng.randint(0, 5)}-{rng.randint(0, 5)}"
        table.append(f"{home} beat {away} {goals} at home in the league match on Saturday")
    for _ in range(lines // 10):
        original = rng.randrange(len(table))
        copy = table[original].split()
        if rng.random() < 0.5:
            copy = copy[:-2]
        else:
            copy[8] = "lague"  # league
        table.insert(rng.randrange(original + 1, len(table) + 1), " ".join(copy))
    return "\n".join(table)


# A diacritic in most words: the copy in plain letters shares few shingles with the original.
_MARKED = [
    "Vláda ve středu schválila návrh zákona, který zvyšuje příspěvky rodinám s dětmi a "
    "zjednodušuje žádosti o dávky.",
    "Türkiye'nin başkenti Ankara'da düzenlenen toplantıya çok sayıda bakan ve üst düzey "
    "yetkili katıldı, açıklamada belirtildi.",
    "Thủ tướng Chính phủ đã ký quyết định phê duyệt kế hoạch phát triển hệ thống giao thông "
    "tại các thành phố lớn trong năm nay.",
    "A kormány szerdán elfogadta azt a rendeletet, amely jövőre növeli a nyugdíjakat és a "
    "családi pótlékot is az ország egész területén.",
]


@pytest.mark.parametrize("paragraph", _MARKED)
def test_a_copy_in_plain_letters_is_proposed_and_found(paragraph: str) -> None:
    copy = plain_letters(paragraph)
    keys = [normalize(paragraph), normalize(copy)]
    fp = fingerprint([paragraph, copy])
    floor = deduplicate._candidate_threshold(DedupOptions())
    bands, rows = lsh_bands(floor, fp.signatures.shape[1])
    one_doc = np.zeros(2, dtype=np.int64)
    as_written = near_pairs(fp.signatures, one_doc, bands, rows, floor - ESTIMATE_SLACK)
    assert len(as_written[0]) == 0  # too few shingles shared to be proposed as they are
    plain = deduplicate.plain_signatures(fp, np.arange(2), one_doc, DedupOptions())
    assert plain is not None
    in_plain = near_pairs(plain, one_doc, bands, rows, floor - ESTIMATE_SLACK)
    assert (in_plain[0].tolist(), in_plain[1].tolist()) == ([0], [1])
    assert fp.keys == keys
    doc = clean_text(f"{paragraph}\n\nIn between, other news.\n\n{copy}")
    assert [(r.index, r.reason, r.repeats_index) for r in doc.removed] == [(2, "near_duplicate", 0)]


def test_paragraphs_are_banded_in_plain_letters_only_beside_a_possible_plain_copy() -> None:
    options = DedupOptions()
    short = "The minister said the talks would resume."
    other = "The central bank said on Tuesday that it would keep its key rate unchanged for now."
    texts = [_MARKED[0], other, _MARKED[1], short, short]
    fp = fingerprint(texts)
    rows = np.arange(len(texts), dtype=np.int64)
    assert deduplicate.plain_signatures(fp, rows[3:], rows[3:] * 0, options) is None
    # Document 0: a paragraph with diacritics beside one without, of about its size; document 1:
    # beside short lines only, which are no copy of it
    plain = deduplicate.plain_signatures(fp, rows, np.array([0, 0, 1, 1, 1]), options)
    assert plain is not None
    assert np.array_equal(plain[0], fingerprint([plain_letters(_MARKED[0])]).signatures[0])
    assert np.array_equal(plain[1:], fp.signatures[1:])
    # A document whose every paragraph has diacritics holds no copy without them
    assert deduplicate.plain_signatures(fp, rows[[0, 2]], np.array([0, 0]), options) is None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_templated_table_is_verified_against_its_likeliest_lines_only(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each line of a table resembles all the lines before it: only the ``MOST_CANDIDATES``
    whose signatures agree most with it are verified, and that finds what verifying them all
    finds."""
    text = _templated_table(seed, 200)
    calls: list[int] = []
    verify = deduplicate.verify

    def counted(fp: Any, first: int, second: int, *rest: Any) -> Any:
        calls.append(second)
        return verify(fp, first, second, *rest)

    monkeypatch.setattr(deduplicate, "verify", counted)
    capped = [(r.index, r.repeats_index, r.reason) for r in clean_text(text).removed]
    assert max(Counter(calls).values()) == deduplicate.MOST_CANDIDATES
    assert len(capped) >= 10  # the copies, and the results that happen to recur
    monkeypatch.setattr(deduplicate, "MOST_CANDIDATES", 10**6)
    calls.clear()
    assert [(r.index, r.repeats_index, r.reason) for r in clean_text(text).removed] == capped
    assert max(Counter(calls).values()) > 100


def test_a_paragraph_is_compared_only_with_kept_paragraphs() -> None:
    words = [f"w{i}" for i in range(40)]
    a = words
    b = [*words[:36], "x1", "x2", "x3", "x4"]  # Jaccard 36/44 with a
    c = [*words[:32], "y1", "y2", "y3", "y4", "x1", "x2", "x3", "x4"]  # 36/44 with b, 32/48 with a
    text = "\n".join(" ".join(p) for p in (a, b, c))
    doc = clean_text(text, Options(dedup=DedupOptions(shingle_size=1)))
    assert [(r.index, r.repeats_index) for r in doc.removed] == [(1, 0)]
    assert len(doc.paragraphs) == 2


def test_threshold_and_containment_are_options() -> None:
    words = "alpha beta gamma delta epsilon zeta eta theta iota"
    text = f"{words} kappa\n{words} lambda"  # 2-word shingles: Jaccard 8/10, containment 8/9
    assert [r.reason for r in clean_text(text).removed] == ["near_duplicate"]
    strict = Options(dedup=DedupOptions(containment=1.0))
    assert clean_text(text, strict).removed == []
    loose = Options(dedup=DedupOptions(threshold=0.8, containment=1.0))
    (removal,) = clean_text(text, loose).removed
    assert removal.similarity == 0.8
    assert removal.containment == pytest.approx(8 / 9)


def test_lsh_bands_fit_in_the_signature_and_rarely_miss_at_the_threshold() -> None:
    for threshold in (0.5, 0.7, 0.8, 0.9):
        b, r = lsh_bands(threshold, 128)
        assert b * r <= 128
        assert 1 - (1 - threshold**r) ** b >= 0.99  # chance a pair at the threshold is proposed


def test_candidate_pairs_are_signatures_agreeing_on_a_band() -> None:
    sigs = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [7, 7, 3, 4], [5, 5, 5, 5]], dtype=np.uint32)
    first, second = candidate_pairs(sigs, bands=2, rows=2)
    assert list(zip(first.tolist(), second.tolist(), strict=True)) == [(0, 1), (0, 2)]


def test_candidate_pairs_pair_every_member_of_a_bucket_once_within_its_group() -> None:
    sigs = np.array([[1, 1]] * 4 + [[2, 2]], dtype=np.uint32)
    first, second = candidate_pairs(sigs, bands=2, rows=1)
    assert list(zip(first.tolist(), second.tolist(), strict=True)) == [
        (0, 1),
        (0, 2),
        (0, 3),
        (1, 2),
        (1, 3),
        (2, 3),
    ]
    groups = np.array([0, 0, 1, 1, 1], dtype=np.int64)
    first, second = candidate_pairs(sigs, bands=2, rows=1, groups=groups)
    assert list(zip(first.tolist(), second.tolist(), strict=True)) == [(0, 1), (2, 3)]


def _banded_by_definition(
    sigs: np.ndarray, bands: int, rows: int, min_agree: float, window: int | None
) -> set[tuple[int, int]]:
    """The pairs candidate_pairs is specified to find, band by band, every pair of a run
    compared on its own: (i, j) sharing a band's rows, j among the ``window`` positions of
    its run before it, the share of equal entries at least ``min_agree``."""
    found = set()
    for band in range(bands):
        runs: dict[bytes, list[int]] = {}
        for i, sig in enumerate(sigs):
            runs.setdefault(sig[band * rows : (band + 1) * rows].tobytes(), []).append(i)
        for run in runs.values():
            for k, j in enumerate(run):
                for i in run[:k][-(window or len(run)) :]:
                    if (sigs[i] == sigs[j]).mean() >= min_agree:
                        found.add((i, j))
    return found


@given(
    st.lists(st.lists(st.integers(0, 2), min_size=6, max_size=6), max_size=40),
    st.sampled_from([0.0, 0.3, 0.6]),
    st.sampled_from([None, 1, 3]),
)
def test_candidate_pairs_compare_each_pair_once_and_find_what_every_band_finds(
    values: list[list[int]], min_agree: float, window: int | None
) -> None:
    # Few values: many runs, and pairs that share several bands (compared once, not per band)
    sigs = np.array(values, dtype=np.uint32).reshape(-1, 6)
    compared: list[tuple[int, int]] = []

    class Counted(SignatureArray):
        def agreement(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
            compared.extend(zip(a.tolist(), b.tolist(), strict=True))
            return super().agreement(a, b)

    first, second = banded_pairs(Counted(sigs), range(3), 2, min_agree, window)
    pairs = list(zip(first.tolist(), second.tolist(), strict=True))
    assert pairs == sorted(_banded_by_definition(sigs, 3, 2, min_agree, window))
    assert len(compared) == len(set(compared))


@pytest.mark.parametrize(
    ("first", "second", "agree"),
    [
        ("up 5 pct to 10 dlrs", "up 5 pct to 10 dlrs in March", True),
        ("up 5 pct to 10 dlrs in 1987", "up 5 pct to 10 dlrs", True),  # trailing figure dropped
        ("up 5 pct to 10 dlrs", "up 6 pct to 10 dlrs", False),
        ("10.3 vs 10.3", "10.4 vs 10.3", False),
        ("5 then 10", "10 then 5", False),
    ],
)
def test_figures_agree_when_one_list_is_contained_in_order_in_the_other(
    first: str, second: str, agree: bool
) -> None:
    from cleaner.agreement import found_in_order
    from cleaner.fingerprint import numbers

    assert found_in_order(numbers(first), numbers(second)) is agree


def _edited(paragraph: str, rng: random.Random) -> str:
    """A paragraph with one word dropped or its last sentence cut: a repeat's usual edits."""
    words = paragraph.split()
    if rng.random() < 0.5 and len(words) > 3:
        del words[rng.randrange(len(words))]
        return " ".join(words)
    return paragraph.rsplit(". ", 1)[0]


@pytest.mark.skipif(_NEAR_PAIRS is None, reason="the C kernel was not built")
@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.9])
def test_kernel_near_pairs_equal_banded_pairs_on_real_news(threshold: float) -> None:
    bbc = shared("bbc_news_fulltext", "bbc", "business")
    rng = random.Random(3)
    paragraphs: list[str] = []
    groups: list[int] = []
    # Documents of up to 300 paragraphs: a few real articles with edited copies mixed in.
    for n, path in enumerate(sorted(bbc.glob("*.txt"))[:120]):
        found = [p for p in path.read_text(encoding="latin-1").split("\n") if p.strip()]
        found += [_edited(p, rng) for p in found if rng.random() < 0.3]
        paragraphs += found
        groups += [n // 10] * len(found)
    fp = fingerprint(paragraphs, 128, 1, 2)
    bands, rows = lsh_bands(threshold, 128)
    group_ids = np.array(groups, dtype=np.int64)
    fast = near_pairs(fp.signatures, group_ids, bands, rows, threshold - 0.15)
    slow = near_pairs(fp.signatures, group_ids, bands, rows, threshold - 0.15, use_kernel=False)
    assert len(fast[0]) > 100
    assert np.array_equal(fast[0], slow[0]) and np.array_equal(fast[1], slow[1])


def test_near_pairs_need_a_band_and_enough_agreement() -> None:
    sigs = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [7, 7, 3, 4], [1, 2, 3, 5]], dtype=np.uint32)
    groups = np.zeros(4, dtype=np.int64)
    for use_kernel in (True, False):
        first, second = near_pairs(sigs, groups, 2, 2, 0.5, use_kernel=use_kernel)
        pairs = list(zip(first.tolist(), second.tolist(), strict=True))
        assert pairs == [(0, 1), (0, 2), (0, 3), (1, 3)]
        first, second = near_pairs(sigs, groups, 2, 2, 0.75, use_kernel=use_kernel)
        assert list(zip(first.tolist(), second.tolist(), strict=True)) == [(0, 3)]
        first, second = near_pairs(sigs, np.arange(4), 2, 2, 0.0, use_kernel=use_kernel)
        assert len(first) == 0


def test_a_fixture_list_keeps_its_repeated_line() -> None:
    """BBC sport/190.txt: "Winners meet in final match" closes each group of fixtures."""
    doc = clean_text(shared("bbc_news_fulltext", "bbc", "sport", "190.txt").read_bytes())
    assert doc.removed == []
    assert doc.paragraphs.count("Winners meet in final match") == 3


def test_a_puzzle_keeps_its_second_example_and_its_answer() -> None:
    """A Telegram post whose two examples share input lines and differ in their answers."""
    path = shared("russian_telegram_news_posts", "raw", "1001465826763_messages.json")
    (post,) = [p for p in json.loads(path.read_text()) if p.get("message_id") == 5204]
    doc = clean_text(post["text"])
    assert doc.removed == []
    assert any(p.endswith("Преобразование невозможно") for p in doc.paragraphs)


@pytest.mark.parametrize("page", ["TheTelegraph_2.html.gz", "TheIndependent_0.html.gz"])
def test_an_awards_page_keeps_each_nominee_under_each_category(page: str, tmp_path: Path) -> None:
    """Brit Awards nominations of fundus_eval_news_html: the gold text lists a nominee under
    every category it is up for, and so must the corpus."""
    folder = shared("fundus_eval_news_html")
    gold = json.loads((folder / "ground_truth.json").read_text())[page]["body"]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / page).write_bytes((folder / "html" / page).read_bytes())
    out = tmp_path / "corpus.parquet"
    options = Options(dedup=DedupOptions(scope="document"))
    clean([str(tmp_path / "in")], out, options)
    (row,) = pq.read_table(out).to_pylist()
    # Compared on their words: the page marks list items with a dash the gold text leaves out.
    counts = Counter(" ".join(words_of(normalize(p))) for p in gold)
    assert max(counts.values()) > 1  # the page is the awards page this test is about
    lost = [
        r["paragraph"]
        for r in row["removed"]
        if counts[" ".join(words_of(normalize(r["paragraph"])))] > 1
    ]
    assert lost == []


_TOKENS = ["rose", "pct", "nine", "3", "2.5", "1,200", "x3", "dog:", "'3'", "сто", "half", "-"]


@given(
    st.lists(st.sampled_from(_TOKENS), max_size=8), st.lists(st.sampled_from(_TOKENS), max_size=8)
)
def test_figure_replaced_without_figures_skips_only_the_alignment(
    original: list[str], copy: list[str]
) -> None:
    """The fast path of :func:`figure_replaced` (no figure in either text) decides as the
    alignment does: a replaced block whose two sides state different figures."""
    from difflib import SequenceMatcher

    from cleaner.agreement import figure_replaced
    from cleaner.fingerprint import numbers

    matcher = SequenceMatcher(None, original, copy, autojunk=False)
    aligned = any(
        op == "replace" and numbers(" ".join(original[i1:i2])) != numbers(" ".join(copy[j1:j2]))
        for op, i1, i2, j1, j2 in matcher.get_opcodes()
    )
    assert figure_replaced(original, copy) == aligned


def test_an_ocr_misread_number_word_on_a_real_page_is_a_repeat() -> None:
    """trafilatura's benchmark page of forest lands: its paragraph stating "11.6 million" given
    again later with OCR's "milIion" goes, as the original's figure misspelt, not replaced."""
    page = shared("trafilatura_eval_html", "cache", "theplanetarypress.com.forestlands.html")
    paragraphs = clean_text(page.read_bytes(), kind="html").paragraphs
    (original,) = [p for p in paragraphs if "11.6 million" in p]
    copy = original.replace("million", "milIion")
    doc = clean_text("\n\n".join([*paragraphs, copy]))
    removal = doc.removed[-1]
    assert (removal.index, removal.reason, removal.repeats) == (
        len(paragraphs),
        "near_duplicate",
        original,
    )
