"""Fingerprints: the key folds renderings; signatures are datasketch's, bit for bit; the
compiled kernel computes exactly what the Python reference computes."""

from __future__ import annotations

import random

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash
from hypothesis import given
from hypothesis import strategies as st

from cleaner import fingerprint as fpmod
from cleaner.fingerprint import (
    SHINGLE_SIZE,
    fingerprint,
    normalize,
    numbers,
    overlap,
    permutations,
    shingle_hash32,
    shingles,
)
from tests.conftest import EXAMPLE, FIXTURES, shared


def test_key_folds_case_quotes_dashes_spaces_and_width() -> None:
    assert normalize("“Kerry’s” visit\u00a0— ＴＯＤＡＹ ") == normalize('"kerry\'s"  visit - today')


@pytest.mark.parametrize("char", list(fpmod._QUOTES_AND_DASHES))
def test_each_quote_and_dash_folds_however_nfkc_reads_it(char: str) -> None:
    folded = fpmod._QUOTES_AND_DASHES[char]
    assert normalize(f"qu{char}il dit {char}oui{char}") == normalize(
        f"qu{folded}il dit {folded}oui{folded}"
    )


def test_invisible_table_is_unicodes_format_characters_and_default_ignorables() -> None:
    import sys
    import unicodedata

    listed = {c for lo, hi in fpmod.INVISIBLE_RANGES for c in range(lo, hi + 1)}
    cf = {c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"}
    assert cf <= listed
    # The rest are default-ignorable (DerivedCoreProperties.txt) and not Cf: marks that join
    # or select a glyph, fillers that are letters drawn as nothing, unassigned code points
    # kept for such characters, and nothing that a text shows.
    for c in sorted(listed - cf):
        char = chr(c)
        kind = unicodedata.category(char)
        name = unicodedata.name(char, "")
        assert (kind, name.split()[-1] if kind == "Lo" else kind) in {
            ("Mn", "Mn"),
            ("Lo", "FILLER"),
            ("Cn", "Cn"),
        }, (hex(c), kind, name)
        if kind == "Mn":
            assert "VARIATION SELECTOR" in name or name in {
                "COMBINING GRAPHEME JOINER",
                "KHMER VOWEL INHERENT AQ",
                "KHMER VOWEL INHERENT AA",
            }, (hex(c), name)


@pytest.mark.parametrize(
    "char",
    [
        *("\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e"),
        # default-ignorable but printable: grapheme joiner, variation selectors, Hangul fillers
        *("\u034f", "\ufe0f", "\U000e0100", "\u3164", "\uffa0", "\u115f", "\u17b4"),
    ],
)
def test_invisible_characters_neither_split_nor_join_words(char: str) -> None:
    plain = "Die Versicherungsgesellschaft meldete einen Gewinn"
    hidden = f"Die Versiche{char}rungsgesell{char}schaft meldete{char} einen Gewinn"
    assert normalize(hidden) == normalize(plain)
    assert fingerprint([hidden]).shingle_set(0) == fingerprint([plain]).shingle_set(0)


def test_key_keeps_words_and_figures() -> None:
    assert normalize("Shares rose 5 pct") != normalize("Shares rose 6 pct")
    assert numbers(normalize("rose 2.5 pct to 1,200")) == ("2.5", "1200")


def _datasketch(paragraph: str, k: int, num_perm: int = 128, seed: int = 1) -> MinHash:
    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=shingle_hash32)
    for shingle in shingles(normalize(paragraph), k):
        m.update(shingle)
    return m


def _paragraphs() -> list[str]:
    text = (FIXTURES / EXAMPLE).read_text(encoding="utf-8")
    words = text.split()
    rng = random.Random(7)
    made = [" ".join(rng.sample(words, rng.randint(1, 40))) for _ in range(60)]
    return [*text.splitlines(), *made, "", "Короткий абзац.", "ok", "— «» …", "a_b c1d 𝔘𝔫𝔦"]


@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (64, 42), (256, 7)])
def test_permutations_are_datasketchs(num_perm: int, seed: int) -> None:
    a, b = permutations(num_perm, seed)
    theirs = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    assert np.array_equal(a, theirs[0]) and np.array_equal(b, theirs[1])


@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (64, 42)])
def test_signatures_equal_datasketch_minhash_fed_the_same_shingles(
    k: int, num_perm: int, seed: int
) -> None:
    paragraphs = _paragraphs()
    sigs = fingerprint(paragraphs, num_perm, seed, k).signatures
    for paragraph, sig in zip(paragraphs, sigs, strict=True):
        expected = _datasketch(paragraph, k, num_perm, seed).hashvalues
        assert np.array_equal(sig, expected), paragraph


def test_lean_minhash_from_stored_signature_estimates_the_same_jaccard() -> None:
    paragraphs = _paragraphs()
    fp = fingerprint(paragraphs)
    rng = random.Random(3)
    for _ in range(50):
        i, j = rng.sample(range(len(paragraphs)), 2)
        ours = [LeanMinHash(seed=1, hashvalues=fp.signatures[x], scheme="affine32") for x in (i, j)]
        theirs = [_datasketch(paragraphs[x], SHINGLE_SIZE) for x in (i, j)]
        assert ours[0].jaccard(ours[1]) == theirs[0].jaccard(theirs[1])


def test_shingle_sets_are_the_hashes_of_the_shingle_strings() -> None:
    paragraphs = _paragraphs()
    fp = fingerprint(paragraphs)
    for i, paragraph in enumerate(paragraphs):
        folded = {shingle_hash32(s) for s in shingles(normalize(paragraph), SHINGLE_SIZE)}
        ours = fp.shingle_set(i)
        assert {(h ^ (h >> 32)) & 0xFFFFFFFF for h in ours} == folded
        assert (fp.shingle_counts()[i] > 0) == bool(folded)


def test_exact_jaccard_and_containment() -> None:
    fp = fingerprint(["a b c d e", "a b c d f", "", "b c d"], k=1)
    assert overlap(fp.shingle_set(0), fp.shingle_set(1)) == pytest.approx((4 / 6, 4 / 5))
    assert overlap(fp.shingle_set(0), fp.shingle_set(0)) == (1.0, 1.0)
    assert overlap(fp.shingle_set(0), fp.shingle_set(2)) == (0.0, 0.0)
    assert overlap(fp.shingle_set(0), fp.shingle_set(3)) == pytest.approx((3 / 5, 1.0))
    for i, j in [(0, 1), (0, 3), (1, 2)]:  # a paragraph's set and a document's array agree
        as_arrays = overlap(fp.shingle_union([i]), fp.shingle_union([j]))
        assert as_arrays == overlap(fp.shingle_set(i), fp.shingle_set(j))


@given(st.lists(st.text(alphabet="ab c", max_size=30), max_size=8), st.integers(1, 3))
def test_paragraph_sets_are_each_paragraphs_union(paragraphs: list[str], k: int) -> None:
    fp = fingerprint(paragraphs, k=k)
    rows = list(range(len(paragraphs)))[::-1] + [0] * bool(paragraphs)  # any order, repeats
    sets = fp.paragraph_sets(rows)
    assert len(sets) == len(rows)
    for i, found in zip(rows, sets, strict=True):
        assert found.dtype == np.uint64
        assert np.array_equal(found, fp.shingle_union([i]))


def test_short_paragraph_is_one_shingle() -> None:
    assert shingles("two words", 3) == ["two words"]
    assert len(fingerprint(["two words"]).shingle_set(0)) == 1


needs_kernel = pytest.mark.skipif(
    fpmod.KERNEL is fpmod._python_kernel, reason="the C kernel was not built"
)


def _same(paragraphs: list[str], k: int = SHINGLE_SIZE) -> None:
    fast = fingerprint(paragraphs, k=k)
    slow = fingerprint(paragraphs, k=k, kernel=fpmod._python_kernel)
    assert np.array_equal(fast.signatures, slow.signatures)
    assert np.array_equal(fast._shingles, slow._shingles)
    assert np.array_equal(fast._ends, slow._ends)


@needs_kernel
@pytest.mark.parametrize("k", [1, 3, 5])
def test_kernel_equals_reference_on_made_up_text(k: int) -> None:
    _same(_paragraphs(), k)


def _real_news() -> list[str]:
    bbc = shared("bbc_news_fulltext", "bbc", "business")
    telegram = shared("russian_telegram_news_posts", "raw")
    paragraphs: list[str] = []
    for path in sorted(bbc.glob("*.txt"))[:60]:
        paragraphs += [p for p in path.read_text(encoding="latin-1").split("\n") if p]
    import json

    for path in sorted(telegram.glob("*.json"))[:2]:
        posts = json.loads(path.read_text(encoding="utf-8"))[:150]
        paragraphs += [p for post in posts for p in str(post.get("text", "")).split("\n") if p]
    assert len(paragraphs) > 1000
    return paragraphs


@needs_kernel
def test_kernel_equals_reference_on_real_news() -> None:
    _same(_real_news())


@needs_kernel
def test_compiled_tidy_equals_reference_on_real_news() -> None:
    for paragraph in _real_news():
        assert fpmod.TIDY(paragraph) == fpmod._tidy(paragraph), paragraph


# What tidying treats specially, next to anything at all.
_TRICKY = st.sampled_from(
    list(" \t\n\r\x1c\x85\xa0\u2028\u3000_`´‘’«»“—–−-xЯ⚡\ufe0f🇷😀\U000e0041")
)


@needs_kernel
@given(st.text(st.one_of(_TRICKY, st.characters())))
def test_compiled_tidy_equals_reference(text: str) -> None:
    assert fpmod.TIDY(text) == fpmod._tidy(text)


# Pieces of figures and of number words, and what bounds a word, next to anything at all.
_FIGURE_PARTS = st.sampled_from(
    ["1", "٣", ".", ",", " ", "_", "a", "one", "ten", "seventy", "сто", "два", "half", "x", "é"]
)


@given(st.lists(st.one_of(_FIGURE_PARTS, st.characters())).map("".join))
def test_figures_are_found_as_the_pattern_without_its_lookahead_finds_them(key: str) -> None:
    import re

    reference = re.compile(fpmod._FIGURES)
    # numbers() writes thousands without their separators and a decimal comma as a point
    grouped = fpmod._THOUSANDS.sub(fpmod._without_separators, key)
    assert numbers(key) == tuple(f.replace(",", ".") for f in reference.findall(grouped))
    assert fpmod.masked_figures(key) == reference.sub("#", key)
