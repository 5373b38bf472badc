"""RFC 9162 (section 2.1) Merkle tree hashing over SHA-256, for a store and a verifier.

The log is the RFC's Merkle Tree Hash (MTH) over leaf entries ``D[0:n]``. A store
keeps *perfect subtrees*: ``(level, index)`` is the hash of leaves
``[index * 2**level, (index + 1) * 2**level)``; level 0 is the leaf hash itself.
Perfect subtrees never change once all their leaves exist, so a store writes each
one once (:func:`append_leaves`) and answers any root or proof from them
(:func:`range_hash`): every MTH the RFC needs is a right fold over the perfect
subtrees that tile its leaf range.

Two kinds of failure, on purpose:

* builders (ranges, proofs, append) raise :class:`ValueError` when a caller breaks a
  stated precondition; that is a bug in the caller, never a property of user input
  (callers check sizes first and answer ``NotFound`` themselves);
* verifiers (:func:`verify_inclusion`, :func:`verify_consistency`) take untrusted
  input and raise :class:`VerificationFailed` for *anything* that does not verify,
  malformed values included, and nothing else.

The consistency rule for the empty tree: a consistency proof from size 0 is never
valid (it proves nothing, and the published RFC 6962 vectors reject it); anchoring
the first head is a chain rule, not a proof. See ``docs/proof-format.md``.
"""

from ledger_service.core.merkle.hashing import (
    EMPTY_ROOT,
    HASH_SIZE,
    NodeGetter,
    leaf_hash,
    node_hash,
)
from ledger_service.core.merkle.size import (
    SizeProof,
    size_proof,
    size_proof_nodes,
    verify_size_proof,
)
from ledger_service.core.merkle.tree import (
    append_leaves,
    consistency_proof,
    consistency_proof_from_leaves,
    consistency_ranges,
    inclusion_proof,
    inclusion_proof_from_leaves,
    inclusion_ranges,
    needed_nodes,
    perfect_subtree_hash,
    perfect_subtrees,
    range_hash,
    root,
    root_from_frontier,
    root_from_leaves,
)
from ledger_service.core.merkle.verify import verify_consistency, verify_inclusion

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "NodeGetter",
    "SizeProof",
    "append_leaves",
    "consistency_proof",
    "consistency_proof_from_leaves",
    "consistency_ranges",
    "inclusion_proof",
    "inclusion_proof_from_leaves",
    "inclusion_ranges",
    "leaf_hash",
    "needed_nodes",
    "node_hash",
    "perfect_subtree_hash",
    "perfect_subtrees",
    "range_hash",
    "root",
    "root_from_frontier",
    "root_from_leaves",
    "size_proof",
    "size_proof_nodes",
    "verify_consistency",
    "verify_inclusion",
    "verify_size_proof",
]
