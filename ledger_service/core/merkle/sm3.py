"""The GM profile's second Merkle tree: RFC 9162 structure over the same leaves, with SM3.

The EVM log keeps SHA-256 (no SM3 precompile exists on EVM chains, so an on-chain
consistency check in SM3 would cost a full software SM3 per node). The GM profile
therefore adds, in each checkpoint, the root of this tree over the same leaf
entries: ``MTH`` exactly as RFC 9162 section 2.1.1 with the hash replaced by SM3
and the same domain-separating prefixes (``0x00`` leaf, ``0x01`` node). The empty
tree's root is ``SM3("")``. Audit paths have the same shape as SHA-256 ones (same
index, same size, same order), only their hash values differ.

Builders take every leaf (``O(n)``); the verifier is the RFC 9162 one with SM3 nodes.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger_service.core.merkle.hashing import LEAF_PREFIX, NODE_PREFIX
from ledger_service.core.merkle.verify import verify_inclusion as _verify_inclusion
from ledger_service.core.sm2 import sm3

__all__ = [
    "EMPTY_ROOT_SM3",
    "inclusion_proof_from_leaves",
    "leaf_hash",
    "node_hash",
    "root_from_leaves",
    "verify_inclusion",
]

#: MTH({}) = SM3()
EMPTY_ROOT_SM3 = sm3(b"")


def leaf_hash(data: bytes) -> bytes:
    """``SM3(0x00 || data)``."""
    return sm3(LEAF_PREFIX + data)


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SM3(0x01 || left || right)``."""
    return sm3(NODE_PREFIX + left + right)


def _split(n: int) -> int:
    # the largest power of two smaller than n (RFC 9162 section 2.1.1), n >= 2
    return 1 << ((n - 1).bit_length() - 1)


def _mth(leaves: Sequence[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def root_from_leaves(leaf_hashes: Sequence[bytes]) -> bytes:
    """The SM3 MTH of the leaves whose (SM3) leaf hashes are given."""
    return _mth(leaf_hashes) if leaf_hashes else EMPTY_ROOT_SM3


def inclusion_proof_from_leaves(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 ``PATH(index, D[0:n])`` in SM3. Raises ValueError unless ``0 <= index < n``."""
    if not 0 <= index < len(leaf_hashes):
        raise ValueError(f"leaf index {index} outside tree of size {len(leaf_hashes)}")
    path: list[bytes] = []
    leaves = list(leaf_hashes)
    while len(leaves) > 1:
        k = _split(len(leaves))
        if index < k:
            path.append(_mth(leaves[k:]))
            leaves = leaves[:k]
        else:
            path.append(_mth(leaves[:k]))
            leaves, index = leaves[k:], index - k
    return path[::-1]


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 section 2.1.3.2 with SM3 nodes; ``leaf`` is :func:`leaf_hash` of the entry.

    Raises:
        VerificationFailed: anything is malformed or the path does not give ``root``.
    """
    _verify_inclusion(leaf, index, size, proof, root, node=node_hash)
