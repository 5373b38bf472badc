"""The GM profile's SM3 Merkle tree: RFC 9162 structure, SM3 hash, same prefixes.

Oracle: the RFC 9162 reference (``tests/unit/core/rfc9162_reference.py``) with its
hash swapped for SM3, so the shapes are the RFC's and only the hash differs.
"""

from __future__ import annotations

from unittest import mock

import pytest

from ledger_service.core import merkle
from ledger_service.core.errors import VerificationFailed
from ledger_service.core.merkle import sm3 as sm3_tree
from ledger_service.core.sm2 import sm3
from tests.unit.core import rfc9162_reference as ref

DATA = [b"leaf %d" % i for i in range(17)]


def test_known_answers_and_domain_separation() -> None:
    assert sm3(b"") == sm3_tree.EMPTY_ROOT_SM3
    assert sm3_tree.leaf_hash(b"abc") == sm3(b"\x00abc")
    assert sm3_tree.node_hash(b"a" * 32, b"b" * 32) == sm3(b"\x01" + b"a" * 32 + b"b" * 32)
    assert sm3_tree.root_from_leaves([sm3_tree.leaf_hash(b"x")]) == sm3(b"\x00x")
    # same leaves, another hash: the SM3 root is not the SHA-256 root
    sha = merkle.root_from_leaves([merkle.leaf_hash(d) for d in DATA])
    assert sm3_tree.root_from_leaves([sm3_tree.leaf_hash(d) for d in DATA]) != sha


@pytest.mark.parametrize("size", range(1, 18))
def test_root_and_paths_match_the_rfc_reference_with_sm3(size: int) -> None:
    leaves = [sm3_tree.leaf_hash(d) for d in DATA[:size]]
    with mock.patch.object(ref, "_h", sm3):
        assert sm3_tree.root_from_leaves(leaves) == ref.mth(DATA[:size])
        for i in range(size):
            p = sm3_tree.inclusion_proof_from_leaves(i, leaves)
            assert p == ref.path(i, DATA[:size])
            sm3_tree.verify_inclusion(leaves[i], i, size, p, sm3_tree.root_from_leaves(leaves))


def test_a_sha256_path_or_a_wrong_index_does_not_verify_in_sm3() -> None:
    leaves = [sm3_tree.leaf_hash(d) for d in DATA[:7]]
    root = sm3_tree.root_from_leaves(leaves)
    p = sm3_tree.inclusion_proof_from_leaves(3, leaves)
    with pytest.raises(VerificationFailed, match="expected the proof to reproduce root"):
        sm3_tree.verify_inclusion(leaves[3], 2, 7, p, root)
    sha_leaves = [merkle.leaf_hash(d) for d in DATA[:7]]
    with pytest.raises(VerificationFailed, match="expected the proof to reproduce root"):
        sm3_tree.verify_inclusion(sha_leaves[3], 3, 7,
                                  merkle.inclusion_proof_from_leaves(3, 7, sha_leaves), root)  # fmt: skip
    with pytest.raises(ValueError, match="outside tree of size 7"):
        sm3_tree.inclusion_proof_from_leaves(7, leaves)
