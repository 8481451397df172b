"""Fingerprints: the key folds renderings, and signatures are datasketch's, bit for bit."""

from __future__ import annotations

import random

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash

from cleaner.fingerprint import (
    MinHasher,
    fingerprint,
    jaccard,
    normalize,
    numbers,
    shingle_hash32,
    shingle_hashes,
    shingles,
)
from tests.conftest import EXAMPLE, FIXTURES


def test_key_folds_case_quotes_dashes_spaces_and_width() -> None:
    assert normalize("“Kerry’s” visit\u00a0— ＴＯＤＡＹ ") == normalize('"kerry\'s"  visit - today')


def test_key_keeps_words_and_figures() -> None:
    assert normalize("Shares rose 5 pct") != normalize("Shares rose 6 pct")
    assert numbers(normalize("rose 2.5 pct to 1,200")) == ("2.5", "1,200")


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
    return [*text.splitlines(), *made, "", "Короткий абзац.", "ok"]


@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (64, 42)])
def test_signatures_equal_datasketch_minhash_fed_the_same_shingles(
    k: int, num_perm: int, seed: int
) -> None:
    paragraphs = _paragraphs()
    hasher = MinHasher(num_perm, seed)
    sigs = fingerprint(paragraphs, hasher, k).signatures
    for paragraph, sig in zip(paragraphs, sigs, strict=True):
        expected = _datasketch(paragraph, k, num_perm, seed).hashvalues
        assert np.array_equal(sig, expected), paragraph


def test_lean_minhash_from_stored_signature_estimates_the_same_jaccard() -> None:
    paragraphs = _paragraphs()
    fp = fingerprint(paragraphs, MinHasher(), 3)
    rng = random.Random(3)
    for _ in range(50):
        i, j = rng.sample(range(len(paragraphs)), 2)
        ours = [LeanMinHash(seed=1, hashvalues=fp.signatures[x], scheme="affine32") for x in (i, j)]
        theirs = [_datasketch(paragraphs[x], 3) for x in (i, j)]
        assert ours[0].jaccard(ours[1]) == theirs[0].jaccard(theirs[1])


def test_shingle_hashes_are_those_of_the_shingle_strings() -> None:
    key = normalize(_paragraphs()[0])
    folded = {shingle_hash32(s) for s in shingles(key, 3)}
    ours = shingle_hashes(key, 3)
    assert {int((h ^ (h >> np.uint64(32))) & np.uint64(0xFFFFFFFF)) for h in ours} == folded


def test_exact_jaccard() -> None:
    a = shingle_hashes("a b c d e", 1)
    b = shingle_hashes("a b c d f", 1)
    assert jaccard(a, b) == pytest.approx(4 / 6)
    assert jaccard(a, a) == 1.0
    assert jaccard(a, shingle_hashes("", 1)) == 0.0


def test_short_paragraph_is_one_shingle() -> None:
    assert shingles("two words", 3) == ["two words"]
    assert len(shingle_hashes("two words", 3)) == 1
