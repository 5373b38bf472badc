"""Near-duplicate documents: Broder's bottom-k MinHash sketch and its resemblance estimate.

A. Z. Broder, "On the resemblance and containment of documents", SEQUENCES 1997, section
3: with a hash that behaves as a random permutation, MIN_k(S) -- the k smallest hashes of
a document's shingles S -- is a sketch, and for two documents A and B

    r(A, B) ~= |MIN_k(S(A) u S(B)) n S(A) n S(B)| / |MIN_k(S(A) u S(B))|

is an unbiased estimate of the resemblance (Jaccard) |S(A) n S(B)| / |S(A) u S(B)|,
computed from the two sketches alone. One hash per shingle makes it cheap enough to
sketch every opened bid. Chinese text has no spaces, so shingles are character n-grams
of the text with whitespace removed (n = 5 by default, as Broder's word 4-grams have
about the same length in characters).
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterable, Sequence

from ledger_service.core.errors import MalformedInput
from ledger_service.supervision.signals import SKETCH_SIZE

__all__ = ["SHINGLE_CHARS", "mix", "resemblance", "shingles", "sketch", "sketch_text"]

SHINGLE_CHARS = 5
_MASK52 = 2**52 - 1
_MASK64 = 2**64 - 1


def shingles(text: str, n: int = SHINGLE_CHARS) -> set[str]:
    """The set of character n-grams of ``text`` with all whitespace removed.

    A text shorter than ``n`` is one shingle (itself); an empty text has none.
    Raises MalformedInput for ``n < 1``.
    """
    if type(n) is not int or n < 1:
        raise MalformedInput(f"n: expected an integer >= 1, found {n!r}")
    compact = "".join(text.split())
    if len(compact) <= n:
        return {compact} if compact else set()
    return {compact[i : i + n] for i in range(len(compact) - n + 1)}


def mix(x: int) -> int:
    """SplitMix64's finalizer truncated to 52 bits: a fast hash of an integer shingle id."""
    z = (x + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return (z ^ (z >> 31)) & _MASK52


def sketch(hashes: Iterable[int], k: int = SKETCH_SIZE) -> tuple[int, ...]:
    """MIN_k of a set of shingle hashes, ascending (fewer than k if the set is smaller)."""
    return tuple(heapq.nsmallest(k, set(hashes)))


def sketch_text(text: str, k: int = SKETCH_SIZE) -> tuple[int, ...]:
    """The sketch of a document's text: SHA-256 of each shingle (UTF-8), first 52 bits."""
    return sketch(
        (
            int.from_bytes(hashlib.sha256(s.encode()).digest()[:8], "big") & _MASK52
            for s in shingles(text)
        ),
        k,
    )


def resemblance(a: Sequence[int], b: Sequence[int], k: int = SKETCH_SIZE) -> float:
    """Broder's estimate of the resemblance of two documents from their sketches, in [0, 1].

    Requires both sketches made with the same hash and ``k``. Two empty sketches
    (empty documents) resemble 0, not 1: an empty file is caught by its digest instead.
    """
    sa, sb = set(a), set(b)
    union = sorted(sa | sb)[:k]
    if not union:
        return 0.0
    return len((sa & sb).intersection(union)) / len(union)
