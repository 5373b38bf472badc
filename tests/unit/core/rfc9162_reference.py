"""RFC 9162 section 2.1, transcribed literally over a list of entries, as a test oracle.

Deliberately naive (recursive, recomputes everything) and independent of
``ledger_service.core.merkle``: it shares no code with it, only the RFC text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: Sequence[bytes]) -> bytes:
    """2.1.1: MTH({}) = SHA-256(); MTH({d0}) = SHA-256(0x00 || d0);
    MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))."""
    n = len(d)
    if n == 0:
        return _h(b"")
    if n == 1:
        return _h(b"\x00" + d[0])
    k = _k(n)
    return _h(b"\x01" + mth(d[:k]) + mth(d[k:]))


def path(m: int, d: Sequence[bytes]) -> list[bytes]:
    """2.1.3.1: PATH(0, {d0}) = {}; for m < k: PATH(m, D[0:k]) : MTH(D[k:n]);
    for m >= k: PATH(m - k, D[k:n]) : MTH(D[0:k])."""
    n = len(d)
    assert 0 <= m < n
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]


def proof(m: int, d: Sequence[bytes]) -> list[bytes]:
    """2.1.4.1: PROOF(m, D[n]) = SUBPROOF(m, D[n], true)."""
    assert 0 < m <= len(d)
    return subproof(m, d, True)


def subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])};
    for m <= k: SUBPROOF(m, D[0:k], b) : MTH(D[k:n]);
    for m > k: SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])."""
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = _k(n)
    if m <= k:
        return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]
