"""Size proofs: evidence that a root holds exactly ``size`` leaves (EvidenceLog 2).

An RFC 9162 consistency proof does not bind the new size, and neither does the last
leaf's inclusion proof alone (for ``index = size - 1`` the verifier only counts the
path's hashes: sizes whose last index has as many bits set look alike). A size
proof adds, for each subtree beside the last leaf, that subtree's first leaf and
the hashes climbing from it, so its height is checked too. ``docs/anchoring.md``
states the construction and why it binds; ``EvidenceLog._requireSize`` is the
on-chain check and :func:`verify_size_proof` the same check here.

For ``last = size - 1`` and each bit ``b`` set in ``last`` (lowest first), with
``start = last & ~(2**(b+1) - 1)``: ``block_leaves`` holds leaf ``start``'s data and
``block_paths`` the perfect subtrees ``(i, start // 2**i + 1)`` for ``i < b``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ledger_service.core.errors import VerificationFailed
from ledger_service.core.merkle.hashing import NodeGetter, is_size, leaf_hash, node_hash
from ledger_service.core.merkle.tree import (
    append_leaves,
    inclusion_proof,
    inclusion_ranges,
    perfect_subtrees,
)
from ledger_service.core.merkle.verify import verify_inclusion

#: longest leaf the chain accepts in a size proof (EvidenceLog.MAX_LEAF_BYTES)
MAX_LEAF_BYTES = 65_536


@dataclass(frozen=True)
class SizeProof:
    """The last leaf's data and inclusion path, and one witness per subtree beside it."""

    last_leaf: bytes
    inclusion: tuple[bytes, ...]
    block_leaves: tuple[bytes, ...]
    block_paths: tuple[bytes, ...]

    def as_abi(self) -> tuple[bytes, list[bytes], list[bytes], list[bytes]]:
        """The ``IEvidenceLog.SizeProof`` tuple for a contract call."""
        return (
            self.last_leaf,
            list(self.inclusion),
            list(self.block_leaves),
            list(self.block_paths),
        )


def _starts(last: int) -> list[tuple[int, int]]:
    """``(bit, first leaf)`` of each subtree beside leaf ``last``, lowest bit first."""
    return [(b, last & ~((1 << (b + 1)) - 1)) for b in range(last.bit_length()) if last >> b & 1]


def size_proof_nodes(size: int) -> tuple[set[tuple[int, int]], list[int]]:
    """The perfect subtrees and the leaf indices a store must read for :func:`size_proof`.

    Precondition: ``size >= 1``. Raises ValueError otherwise.
    """
    if not is_size(size) or size < 1:
        raise ValueError(f"expected a size >= 1, found {size!r}")
    last = size - 1
    nodes: set[tuple[int, int]] = set()
    for start, end in inclusion_ranges(last, size):
        nodes.update(perfect_subtrees(start, end))
    leaves = [last]
    for b, start in _starts(last):
        leaves.append(start)
        nodes.update((i, (start >> i) + 1) for i in range(b))
    return nodes, leaves


def size_proof(size: int, get: NodeGetter, leaf_data: Callable[[int], bytes]) -> SizeProof:
    """Build the size proof of the tree of ``size`` from perfect subtrees and leaf data.

    Precondition: ``size >= 1`` and every node :func:`size_proof_nodes` names is
    available from ``get``. Raises ValueError otherwise (a caller's bug).
    """
    last = size - 1
    leaves: list[bytes] = []
    paths: list[bytes] = []
    for b, start in _starts(last):
        leaves.append(leaf_data(start))
        paths.extend(get(i, (start >> i) + 1) for i in range(b))
    return SizeProof(
        leaf_data(last), tuple(inclusion_proof(last, size, get)), tuple(leaves), tuple(paths)
    )


def verify_size_proof(size: int, root: bytes, proof: SizeProof) -> None:
    """Check that ``root`` holds exactly ``size`` leaves, as EvidenceLog does on chain.

    Raises VerificationFailed naming the part that fails: a part of the wrong length,
    a leaf over :data:`MAX_LEAF_BYTES`, the last leaf's inclusion, or the witness of
    subtree ``j``.
    """
    if not is_size(size) or size < 1:
        raise VerificationFailed(f"size proof: expected a size >= 1, found {size!r}")
    last = size - 1
    starts = _starts(last)
    heights = sum(b for b, _ in starts)
    for part, want, got in (
        ("inclusion", len(starts), len(proof.inclusion)),
        ("block_leaves", len(starts), len(proof.block_leaves)),
        ("block_paths", heights, len(proof.block_paths)),
    ):
        if got != want:
            raise VerificationFailed(
                f"size proof of {size}: expected {want} items in {part}, found {got}"
            )
    for leaf in (proof.last_leaf, *proof.block_leaves):
        if len(leaf) > MAX_LEAF_BYTES:
            raise VerificationFailed(
                f"size proof of {size}: expected leaves of at most {MAX_LEAF_BYTES} bytes, "
                f"found {len(leaf)}"
            )
    try:
        verify_inclusion(leaf_hash(proof.last_leaf), last, size, list(proof.inclusion), root)
    except VerificationFailed as exc:
        raise VerificationFailed(
            f"size proof of {size}: the last leaf is not at index {last}: {exc}"
        ) from exc
    paths = iter(proof.block_paths)
    for j, (b, _start) in enumerate(starts):
        r = leaf_hash(proof.block_leaves[j])
        for _ in range(b):
            r = node_hash(r, next(paths))
        if r != proof.inclusion[j]:
            raise VerificationFailed(
                f"size proof of {size}: subtree {j} beside the last leaf is not of height {b}"
            )


def size_proof_from_leaves(data: Sequence[bytes], size: int) -> SizeProof:
    """:func:`size_proof` over leaf data held in memory (tests, vector generation)."""
    nodes, _ = append_leaves(0, [], [leaf_hash(d) for d in data[:size]])
    table = {(level, index): h for level, index, h in nodes}
    return size_proof(size, lambda level, index: table[level, index], lambda i: data[i])
