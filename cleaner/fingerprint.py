"""Fingerprint: a paragraph's comparison key, its word shingles and their MinHash signature.

The **key** folds what a repeat may differ in without being a different paragraph: Unicode
form (NFKC, so non-breaking and full-width spaces become spaces), case, quote and dash
variants, and whitespace. Two paragraphs with the same key are exact repeats.

**Shingles** are runs of ``k`` consecutive words of the key (a paragraph shorter than ``k``
words is one shingle). A shingle's 64-bit hash combines 64-bit hashes of its words (BLAKE2b),
FNV-style; the exact Jaccard similarity used to verify a near repeat is computed on these
64-bit values, so it is exact up to a 2**-64 collision chance per pair of shingles.

**Signatures** follow datasketch 2's ``affine32`` MinHash scheme bit for bit: a shingle's
32-bit hash ``h`` (the 64-bit one folded) is pre-mixed with the MurmurHash3 finalizer and
permuted as ``a_k * fmix(h) + b_k mod 2**32``, with ``a_k, b_k`` taken from
``datasketch.MinHash(num_perm, seed)``. So ``datasketch.MinHash(num_perm, seed,
hashfunc=shingle_hash32)`` updated with the shingles of :func:`shingles` gives the same hash
values, and the standard MinHash estimate holds: the fraction of equal signature entries
estimates the Jaccard similarity with standard error ``sqrt(J(1-J)/num_perm)``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash
from numpy.typing import NDArray

# Recorded with every corpus: signatures are comparable only under the same scheme.
SCHEME = "datasketch-affine32/blake2b64-fnv1a-words"
NORMALIZATION_VERSION = 1

_QUOTES_AND_DASHES = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛′`´", "'"),
        **dict.fromkeys("“”„‟″«»‹›", '"'),
        **dict.fromkeys("‐‑‒–—―−", "-"),
    }
)
_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*")

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_MASK64 = (1 << 64) - 1
_U32 = np.uint32


def normalize(paragraph: str) -> str:
    """The comparison key of a paragraph.

    >>> normalize("«Kerry’s  visit» — ＴＯＤＡＹ")
    '"kerry\\'s visit" - today'
    """
    text = unicodedata.normalize("NFKC", paragraph).translate(_QUOTES_AND_DASHES).casefold()
    return " ".join(text.split())


def words(key: str) -> list[str]:
    return _WORD.findall(key)


def numbers(key: str) -> tuple[str, ...]:
    """The figures a paragraph states, in order; near repeats must not disagree on them.

    >>> numbers("rose 2.5 pct to 1,200 dlrs")
    ('2.5', '1,200')
    """
    return tuple(_NUMBER.findall(key))


_word_cache: dict[str, int] = {}
_WORD_CACHE_LIMIT = 1 << 19


def word_hash(word: str) -> int:
    """A stable 64-bit hash of one word (the same in every process and Python version)."""
    value = _word_cache.get(word)
    if value is None:
        digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
        value = int.from_bytes(digest, "little")
        if len(_word_cache) >= _WORD_CACHE_LIMIT:
            _word_cache.clear()
        _word_cache[word] = value
    return value


def shingles(key: str, k: int) -> list[str]:
    """The word shingles of a key, as space-joined strings (for use with datasketch).

    >>> shingles("the cat sat on", 3)
    ['the cat sat', 'cat sat on']
    """
    tokens = words(key)
    if len(tokens) <= k:
        return [" ".join(tokens)] if tokens else []
    return [" ".join(tokens[i : i + k]) for i in range(len(tokens) - k + 1)]


def _combine(word_hashes: NDArray[np.uint64], k: int) -> NDArray[np.uint64]:
    """64-bit hashes of every run of ``k`` consecutive words (FNV-1a over word hashes)."""
    count = len(word_hashes) - k + 1
    if count <= 0:
        count, k = 1, len(word_hashes)
    out = np.full(count, _FNV_OFFSET, dtype=np.uint64)
    for j in range(k):
        out ^= word_hashes[j : j + count]
        out *= _FNV_PRIME
    return out


def shingle_hashes(key: str, k: int) -> NDArray[np.uint64]:
    """Sorted, distinct 64-bit hashes of the shingles of a key."""
    tokens = words(key)
    if not tokens:
        return np.empty(0, dtype=np.uint64)
    hashes = np.fromiter((word_hash(t) for t in tokens), dtype=np.uint64, count=len(tokens))
    return np.unique(_combine(hashes, k))


def fold32(hashes: NDArray[np.uint64]) -> NDArray[np.uint32]:
    folded: NDArray[np.uint32] = (hashes ^ (hashes >> np.uint64(32))).astype(_U32)
    return folded


def shingle_hash32(shingle: str | bytes) -> int:
    """The 32-bit hash of one shingle, for ``datasketch.MinHash(hashfunc=shingle_hash32)``."""
    if isinstance(shingle, bytes):
        shingle = shingle.decode("utf-8")
    value = int(_FNV_OFFSET)
    for word in shingle.split(" "):
        value = ((value ^ word_hash(word)) * int(_FNV_PRIME)) & _MASK64
    return (value ^ (value >> 32)) & 0xFFFFFFFF


def _fmix32(h: NDArray[np.uint32]) -> NDArray[np.uint32]:
    h = h ^ (h >> _U32(16))
    h = h * _U32(0x85EBCA6B)
    h = h ^ (h >> _U32(13))
    h = h * _U32(0xC2B2AE35)
    mixed: NDArray[np.uint32] = h ^ (h >> _U32(16))
    return mixed


class MinHasher:
    """MinHash signatures of many shingle sets at once, as datasketch computes them one by one."""

    def __init__(self, num_perm: int = 128, seed: int = 1) -> None:
        self.num_perm = num_perm
        self.seed = seed
        a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
        self._a = np.asarray(a, dtype=_U32)
        self._b = np.asarray(b, dtype=_U32)

    def signatures(
        self, sets: Sequence[NDArray[np.uint64]], chunk: int = 8192
    ) -> NDArray[np.uint32]:
        """One row per set; an empty set gets the all-ones row datasketch starts from."""
        out = np.full((len(sets), self.num_perm), 0xFFFFFFFF, dtype=_U32)
        start = 0
        while start < len(sets):
            # Take whole sets until the chunk is full, so reduceat never straddles a chunk.
            end, size = start, 0
            while end < len(sets) and (size == 0 or size + len(sets[end]) <= chunk):
                size += len(sets[end])
                end += 1
            rows = [i for i in range(start, end) if len(sets[i])]
            if rows:
                hashes = _fmix32(fold32(np.concatenate([sets[i] for i in rows])))
                offsets = np.cumsum([0] + [len(sets[i]) for i in rows[:-1]])
                permuted = hashes[:, None] * self._a[None, :] + self._b[None, :]
                out[rows] = np.minimum.reduceat(permuted, offsets, axis=0)
            start = end
        return out


@dataclass
class Fingerprints:
    """What the de-duplicator needs to know of each paragraph of a batch."""

    keys: list[str]
    shingles: list[NDArray[np.uint64]]
    signatures: NDArray[np.uint32]
    numbers: list[tuple[str, ...]]


def fingerprint(paragraphs: Sequence[str], hasher: MinHasher, k: int) -> Fingerprints:
    keys = [normalize(p) for p in paragraphs]
    sets = [shingle_hashes(key, k) for key in keys]
    return Fingerprints(keys, sets, hasher.signatures(sets), [numbers(key) for key in keys])


def jaccard(a: NDArray[np.uint64], b: NDArray[np.uint64]) -> float:
    """Exact Jaccard similarity of two sorted, distinct hash arrays."""
    if not len(a) or not len(b):
        return 0.0
    common = len(np.intersect1d(a, b, assume_unique=True))
    return common / (len(a) + len(b) - common)
