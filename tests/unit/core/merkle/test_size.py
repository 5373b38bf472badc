"""Size proofs: the root holds exactly ``size`` leaves (EvidenceLog 2's check, in Python)."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger_service.core.errors import VerificationFailed
from ledger_service.core.merkle import (
    inclusion_proof_from_leaves,
    leaf_hash,
    root_from_leaves,
    size_proof_nodes,
    verify_inclusion,
    verify_size_proof,
)
from ledger_service.core.merkle.size import MAX_LEAF_BYTES, size_proof_from_leaves

DATA = [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(80)]


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 80))
def test_every_genuine_size_proof_verifies(size: int) -> None:
    proof = size_proof_from_leaves(DATA, size)
    verify_size_proof(size, root_from_leaves([leaf_hash(d) for d in DATA[:size]]), proof)


def test_the_last_leaf_inclusion_alone_does_not_bind_the_size() -> None:
    """Helper's counterexample: after (8, root8), claim (11, root13) with genuine proofs."""
    root13 = root_from_leaves([leaf_hash(d) for d in DATA[:13]])
    # record 12's genuine inclusion proof verifies as leaf 10 of a tree of 11 ...
    path = inclusion_proof_from_leaves(12, 13, [leaf_hash(d) for d in DATA[:13]])
    verify_inclusion(leaf_hash(DATA[12]), 10, 11, path, root13)
    # ... and a size proof shaped for 11 (last = 10 = 0b1010: subtrees of height 1 and 3)
    # must climb from a leaf to each of those hashes: the first is a height-2 node
    genuine = size_proof_from_leaves(DATA, 13)
    shaped = size_proof_from_leaves(DATA, 11)
    forged = dataclasses.replace(genuine, block_leaves=shaped.block_leaves,
                                 block_paths=shaped.block_paths)  # fmt: skip
    with pytest.raises(
        VerificationFailed, match=r"size proof of 11: expected 4 items in block_paths, found 5"
    ):
        verify_size_proof(11, root13, genuine)
    with pytest.raises(
        VerificationFailed,
        match=r"size proof of 11: subtree 0 beside the last leaf is not of height 1",
    ):
        verify_size_proof(11, root13, forged)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 80), st.integers(1, 80))
def test_a_proof_of_one_size_never_verifies_another(true_size: int, claimed: int) -> None:
    if claimed == true_size:
        return
    root = root_from_leaves([leaf_hash(d) for d in DATA[:true_size]])
    with pytest.raises(VerificationFailed, match=f"size proof of {claimed}"):
        verify_size_proof(claimed, root, size_proof_from_leaves(DATA, true_size))


def test_an_interior_node_as_the_last_leaf_is_refused() -> None:
    size = 8
    proof = size_proof_from_leaves(DATA, size)
    root = root_from_leaves([leaf_hash(d) for d in DATA[:size]])
    forged = dataclasses.replace(proof, last_leaf=leaf_hash(DATA[7]))
    with pytest.raises(VerificationFailed, match="the last leaf is not at index 7"):
        verify_size_proof(size, root, forged)


@pytest.mark.parametrize("part", ["inclusion", "block_leaves", "block_paths"])
def test_every_part_has_its_exact_length(part: str) -> None:
    proof = size_proof_from_leaves(DATA, 14)  # last = 13 = 0b1101: 3 blocks, heights 0+2+3
    root = root_from_leaves([leaf_hash(d) for d in DATA[:14]])
    longer = dataclasses.replace(proof, **{part: (*getattr(proof, part), b"\x00" * 32)})
    with pytest.raises(VerificationFailed, match=f"in {part}, found"):
        verify_size_proof(14, root, longer)


def test_leaf_length_limit_is_exact() -> None:
    big = [*DATA[:3], b"x" * MAX_LEAF_BYTES]
    verify_size_proof(
        4, root_from_leaves([leaf_hash(d) for d in big]), size_proof_from_leaves(big, 4)
    )
    bigger = [*DATA[:3], b"x" * (MAX_LEAF_BYTES + 1)]
    with pytest.raises(
        VerificationFailed, match=f"at most {MAX_LEAF_BYTES} bytes, found {MAX_LEAF_BYTES + 1}"
    ):
        verify_size_proof(
            4, root_from_leaves([leaf_hash(d) for d in bigger]), size_proof_from_leaves(bigger, 4)
        )


def test_nodes_a_store_must_read() -> None:
    nodes, leaves = size_proof_nodes(14)
    assert leaves == [13, 12, 8, 0]
    # the path of leaf 13 ((0, 12), (2, 2), (3, 0)) and the climbs from leaves 8 and 0
    assert nodes == {(0, 12), (2, 2), (3, 0), (0, 9), (1, 5), (0, 1), (1, 1), (2, 1)}
    with pytest.raises(ValueError, match="expected a size >= 1"):
        size_proof_nodes(0)
