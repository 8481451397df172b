"""LSH banding: which MinHash signatures are worth comparing, for paragraphs and documents alike.

A signature of ``num_perm`` entries is cut into ``b`` bands of ``r`` rows. Two sets with
Jaccard similarity ``s`` agree on one entry with probability ``s``, on a whole band with
``s**r``, and share at least one band with ``1 - (1 - s**r)**b``: an S-curve that is near 0
well below the threshold it is tuned for and near 1 above it (:func:`lsh_bands` tunes it).
Pairs that share a band are candidates (:func:`candidate_pairs`); those whose signatures agree
on far fewer entries than the threshold asks are dropped at once, since the share of equal
entries estimates the Jaccard similarity with a standard error of ``sqrt(s (1 - s) / num_perm)``
(at most 0.044 with 128 permutations), and ``ESTIMATE_SLACK`` under the aim is over three of
them. Every candidate left is verified exactly by the level that asked for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from cleaner.compiled import compiled
from cleaner.fingerprint import distinct, found_in

# Pairs whose signatures agree this much less than the aim are not worth verifying: over three
# standard errors of the estimate at 128 permutations.
ESTIMATE_SLACK = 0.15
PAIR_CHUNK = 1 << 16  # pairs compared at a time: 8 MiB of signatures per side


@lru_cache(maxsize=32)
def lsh_bands(threshold: float, num_perm: int, recall: float = 0.99) -> tuple[int, int]:
    """Bands ``b`` and rows ``r`` (``b * r <= num_perm``) for a similarity threshold.

    A pair with Jaccard similarity ``s`` shares a band with probability
    ``1 - (1 - s**r)**b``. Every candidate is verified exactly, so a false candidate costs
    one comparison while a missed one leaves a duplicate in the corpus: among the settings
    that propose a pair *at* the threshold with probability ``recall`` or more, take the
    one with the fewest candidates below it (datasketch's ``MinHashLSH`` instead weighs
    both errors equally).
    """
    s = np.linspace(0.0, threshold, 201)
    best, best_area = (num_perm, 1), float("inf")
    for r in range(1, num_perm + 1):
        b = num_perm // r
        if 1.0 - (1.0 - threshold**r) ** b < recall:
            continue
        area = float(np.trapezoid(1.0 - (1.0 - s**r) ** b, s))
        if area < best_area:
            best, best_area = (b, r), area
    return best


# Odd multipliers that fold a band's rows into one 64-bit key (collisions only add candidates).
_BAND_MIX = np.random.RandomState(0x5EED).randint(1, 1 << 62, 1024, dtype=np.uint64) * np.uint64(
    2
) + np.uint64(1)


def band_keys(signatures: NDArray[np.uint32], band: int, rows: int) -> NDArray[np.uint64]:
    """One 64-bit key per signature for its rows of ``band``: equal rows, equal keys."""
    return fold_rows(signatures[:, band * rows : (band + 1) * rows])


def fold_rows(block: NDArray[np.uint32]) -> NDArray[np.uint64]:
    """One 64-bit key per row of a band's block of signature entries (signatures x rows)."""
    wide = block.astype(np.uint64)
    keys: NDArray[np.uint64] = (wide * _BAND_MIX[: block.shape[1]]).sum(axis=1) ^ wide[:, 0]
    return keys


class Signatures(Protocol):
    """Signatures as banding reads them: a band's keys for all, whole ones for some pairs;
    in memory (:class:`SignatureArray`) or on disk (read a band or a chunk at a time)."""

    def __len__(self) -> int: ...

    def band_keys(self, band: int, rows: int) -> NDArray[np.uint64]: ...

    def agreement(self, a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.float64]: ...


@dataclass(frozen=True)
class SignatureArray:
    """Signatures in memory; ``salt`` (:func:`group_salt`) folded into their band keys."""

    signatures: NDArray[np.uint32]
    salt: NDArray[np.uint64] | None = None

    def __len__(self) -> int:
        return len(self.signatures)

    def band_keys(self, band: int, rows: int) -> NDArray[np.uint64]:
        keys = band_keys(self.signatures, band, rows)
        return keys if self.salt is None else keys ^ self.salt

    def agreement(self, a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.float64]:
        return agreement(self.signatures, a, b)


def group_salt(groups: NDArray[np.int64]) -> NDArray[np.uint64]:
    """Folded into band keys, it keeps pairs within a group (a collision only adds one)."""
    salt: NDArray[np.uint64] = groups.astype(np.uint64) * _BAND_MIX[-1]
    return salt


def equal_key_pairs(
    keys: NDArray[np.uint64], window: int | None = None
) -> Iterator[tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """Pairs ``(i, j)``, ``i < j``, of positions with equal keys, in chunks.

    Within a run of equal keys each position is paired with the ``window`` before it in
    position order (all of them without a window): a run can hold thousands (posts of one
    channel whose signatures come mostly from one footer, a site giving every page its home
    page as canonical URL), and all their pairs would not fit in memory.
    """
    order = np.argsort(keys, kind="stable")  # a run lists its positions in ascending order
    k = keys[order]
    for distance in range(1, (len(keys) if window is None else window + 1)):
        same = np.flatnonzero(k[distance:] == k[:-distance])
        if not len(same):
            return
        yield order[same].astype(np.int64), order[same + distance].astype(np.int64)


def agreement(
    signatures: NDArray[np.uint32], a: NDArray[np.int64], b: NDArray[np.int64]
) -> NDArray[np.float64]:
    """The share of equal signature entries of each pair (their Jaccard estimate)."""
    agree = np.empty(len(a))
    for start in range(0, len(a), PAIR_CHUNK):  # bounded: a chunk of pairs at a time
        part = slice(start, start + PAIR_CHUNK)
        agree[part] = (signatures[a[part]] == signatures[b[part]]).mean(axis=1)
    return agree


def candidate_pairs(
    signatures: NDArray[np.uint32],
    bands: int,
    rows: int,
    groups: NDArray[np.int64] | None = None,
    min_agree: float = 0.0,
    window: int | None = None,
    band_range: range | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Pairs ``(i, j)``, ``i < j``, whose signatures agree on all rows of at least one band
    and on a share ``min_agree`` or more of all their entries.

    With ``groups``, only pairs within the same group (e.g. the same document) are proposed;
    with ``window``, see :func:`equal_key_pairs`; with ``band_range``, only those bands are
    looked at (a shard of the work: the union over all shards is the whole answer). Returned
    as two arrays, sorted by ``i`` then ``j``, each pair once.
    """
    salt = None if groups is None else group_salt(groups)
    chosen = range(bands) if band_range is None else band_range
    return banded_pairs(SignatureArray(signatures, salt), chosen, rows, min_agree, window)


def banded_pairs(
    signatures: Signatures,
    bands: Iterable[int],
    rows: int,
    min_agree: float = 0.0,
    window: int | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """:func:`candidate_pairs` over the given ``bands`` of signatures held anywhere."""
    n = len(signatures)
    found = [np.empty(0, dtype=np.int64)]
    # Pairs whose agreement is known, sorted: a near pair shares most of its bands, and
    # comparing it again in each (reading both signatures back) was most of the work.
    compared = np.empty(0, dtype=np.int64)
    for band in bands if n > 1 else ():
        fresh = [compared]  # a band's pairs are distinct: it need not know its own
        keys = signatures.band_keys(band, rows)
        for a, b in _gathered(equal_key_pairs(keys, window), PAIR_CHUNK):
            codes = a * n + b
            if min_agree > 0:
                new = ~found_in(compared, codes)
                codes = codes[new]
                if not len(codes):
                    continue
                fresh.append(codes)
                codes = codes[signatures.agreement(a[new], b[new]) >= min_agree]
            found.append(codes)
        if len(fresh) > 1:
            compared = np.sort(np.concatenate(fresh))
    return distinct_pairs(found, n)


def distinct_pairs(
    codes: Sequence[NDArray[np.int64]], n: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The pairs that arrays of codes ``i * n + j`` name, each once, as ``(i, j)`` sorted by
    ``i`` then ``j``.

    >>> distinct_pairs([np.array([7, 2]), np.array([2])], 5)
    (array([0, 1]), array([2, 2]))
    """
    found = distinct(np.concatenate([np.empty(0, dtype=np.int64), *codes]))
    return found // max(n, 1), found % max(n, 1)


def _gathered(
    chunks: Iterable[tuple[NDArray[np.int64], NDArray[np.int64]]], size: int
) -> Iterator[tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """Consecutive chunks of pairs joined until they hold ``size`` pairs: signatures on disk
    are read back once per join, and most chunks of a band hold a few dozen pairs.

    >>> [len(a) for a, _ in _gathered([(np.arange(3), np.arange(3))] * 5, 4)]
    [6, 6, 3]
    """
    held: list[tuple[NDArray[np.int64], NDArray[np.int64]]] = []
    count = 0
    for a, b in chunks:
        held.append((a, b))
        count += len(a)
        if count >= size:
            yield np.concatenate([a for a, _ in held]), np.concatenate([b for _, b in held])
            held, count = [], 0
    if held:
        yield np.concatenate([a for a, _ in held]), np.concatenate([b for _, b in held])


_NEAR_PAIRS: Callable[[bytes, bytes, int, int, int, int], bytes] | None = compiled("near_pairs")


def near_pairs(
    signatures: NDArray[np.uint32],
    groups: NDArray[np.int64],
    bands: int,
    rows: int,
    min_estimate: float,
    use_kernel: bool = True,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """:func:`candidate_pairs` within ``groups`` (which must come in runs, a document's rows
    together) whose signatures agree on a share ``min_estimate`` or more of their entries.

    The C kernel compares every pair of a group instead of banding (documents are small);
    without it, or with ``use_kernel=False``, bands are hashed with numpy. Both give the same
    pairs (banding can add a pair on a 64-bit key collision, which verification then drops).
    """
    if not (use_kernel and _NEAR_PAIRS is not None):
        return candidate_pairs(signatures, bands, rows, groups, min_estimate)
    m = signatures.shape[1]
    # The least number of agreeing entries whose share c / m reaches the estimate, computed
    # as numpy's mean computes the share, so that both paths draw the line at the same pair.
    need = next((c for c in range(m + 1) if c / m >= min_estimate), m + 1)
    sigs = np.ascontiguousarray(signatures, dtype=np.uint32)
    found = _NEAR_PAIRS(
        sigs.tobytes(), np.ascontiguousarray(groups, dtype=np.int64).tobytes(), m, bands, rows, need
    )
    pairs = np.frombuffer(found, dtype=np.int64).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1]
