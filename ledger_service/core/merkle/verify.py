"""Verifying RFC 9162 inclusion and consistency proofs: readable on its own.

Verifiers take untrusted input and raise :class:`VerificationFailed` for *anything*
that does not verify, malformed values included, and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ledger_service.core.errors import VerificationFailed
from ledger_service.core.merkle.hashing import HASH_SIZE, describe, node_hash


def _need_hash(name: str, value: object) -> bytes:
    if type(value) is not bytes or len(value) != HASH_SIZE:
        raise VerificationFailed(
            f"expected {name} to be a {HASH_SIZE}-byte hash, found {describe(value)}"
        )
    return value


def _need_size(name: str, value: object) -> int:
    if type(value) is not int or value < 0:
        raise VerificationFailed(f"expected {name} to be an integer >= 0, found {value!r}")
    return value


def _need_path(name: str, proof: object) -> list[bytes]:
    if isinstance(proof, bytes | str) or not isinstance(proof, Sequence):
        raise VerificationFailed(
            f"expected {name} to be a sequence of hashes, found {type(proof).__name__}"
        )
    return [_need_hash(f"{name}[{i}]", p) for i, p in enumerate(proof)]


def verify_inclusion(
    leaf_hash: bytes,
    index: int,
    size: int,
    proof: Sequence[bytes],
    root: bytes,
    *,
    node: Callable[[bytes, bytes], bytes] = node_hash,
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` leaves with ``root``.

    RFC 9162 section 2.1.3.2, step by step. The proof binds the leaf to the
    (size, root) pair only as a pair: callers must take both from the same trusted
    tree head (an anchor checked on chain), never the size from the proof's author.

    Preconditions (checked): every hash is exactly 32 bytes; ``0 <= index < size``.
    ``node`` is the interior hash: RFC 9162's SHA-256 unless a profile says otherwise
    (the GM profile's SM3 tree, ``merkle/sm3.py``).

    Raises:
        VerificationFailed: any precondition fails or the proof does not verify.
    """
    leaf = _need_hash("leaf hash", leaf_hash)
    want_root = _need_hash("root", root)
    index = _need_size("leaf index", index)
    size = _need_size("tree size", size)
    path = _need_path("inclusion proof", proof)
    if index >= size:
        raise VerificationFailed(
            f"expected leaf index < tree size, found index {index} >= size {size}"
        )
    fn, sn = index, size - 1
    r = leaf
    for p in path:
        if sn == 0:
            raise VerificationFailed(
                f"expected an inclusion proof of at most the length the tree allows for "
                f"index {index} in size {size}, found {len(path)} elements (too long)"
            )
        if fn & 1 or fn == sn:
            r = node(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationFailed(
            f"expected a longer inclusion proof for index {index} in size {size}, "
            f"found {len(path)} elements (too short)"
        )
    if r != want_root:
        raise VerificationFailed(
            f"expected the proof to reproduce root {want_root.hex()}, found {r.hex()}"
        )


def _hex(value: object) -> str:
    return value.hex() if isinstance(value, bytes) else repr(value)


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree (size2, root2) extends the tree (size1, root1).

    RFC 9162 section 2.1.4.2, step by step, plus the RFC's equal-size case: when
    ``size1 == size2`` the proof must be empty and the roots equal.

    Size-0 rule: ``size1 == 0`` never verifies, whatever the proof (as in the
    published RFC 6962 vectors): the empty tree commits to nothing, so there is
    nothing to be consistent with. Anchoring a first head is a chain rule.

    Preconditions (checked): ``0 < size1 <= size2``; every hash, roots included, is
    exactly 32 bytes, except that equal sizes with an empty proof compare the roots
    as given (the published vectors' rule).

    Raises:
        VerificationFailed: any precondition fails or the proof does not verify.
    """
    size1 = _need_size("size1", size1)
    size2 = _need_size("size2", size2)
    path = _need_path("consistency proof", proof)
    if size1 == 0:
        raise VerificationFailed(
            f"expected size1 > 0 (no consistency proof from the empty tree), "
            f"found size1=0, size2={size2}"
        )
    if size1 > size2:
        raise VerificationFailed(f"expected size1 <= size2, found {size1} > {size2}")
    if size1 == size2:
        # RFC 9162: equal sizes need an empty proof and the same root. The roots are
        # compared as given, whatever their length (as the published vectors do):
        # the claim "a tree equals itself" commits to nothing new.
        if path:
            raise VerificationFailed(
                f"expected an empty proof for equal sizes {size1}, found {len(path)} elements"
            )
        if not isinstance(root1, bytes) or root1 != root2:
            raise VerificationFailed(
                f"expected equal roots for equal sizes {size1}, "
                f"found {_hex(root1)} and {_hex(root2)}"
            )
        return
    first = _need_hash("root1", root1)
    second = _need_hash("root2", root2)
    # step 1
    if not path:
        raise VerificationFailed(
            f"expected a non-empty consistency proof from {size1} to {size2}, found none"
        )
    # step 2: the old root is itself a node of the new tree, the verifier supplies it
    if size1 & (size1 - 1) == 0:
        path = [first, *path]
    # steps 3-4
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # step 5
    fr = sr = path[0]
    # step 6
    for c in path[1:]:
        if sn == 0:
            raise VerificationFailed(
                f"expected a consistency proof of at most the length sizes {size1} -> "
                f"{size2} allow, found {len(proof)} elements (too long)"
            )
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    # step 7
    if sn != 0:
        raise VerificationFailed(
            f"expected a longer consistency proof for sizes {size1} -> {size2}, "
            f"found {len(proof)} elements (too short)"
        )
    if fr != first:
        raise VerificationFailed(
            f"expected the proof to reproduce root1 {first.hex()}, found {fr.hex()}"
        )
    if sr != second:
        raise VerificationFailed(
            f"expected the proof to reproduce root2 {second.hex()}, found {sr.hex()}"
        )
