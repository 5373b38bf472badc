"""Evidence the service hands out: inclusion proofs tied to their on-chain anchor."""

from __future__ import annotations

import base64
from typing import Any

from ledger_service.core.checkpoints import SignedCheckpoint
from ledger_service.core.errors import ChainStateMismatch
from ledger_service.core.proofs import Anchor, ConsistencyProof, InclusionProof
from ledger_service.store.anchors import AnchorInfo, AnchorStore
from ledger_service.store.checkpoints import CheckpointStore
from ledger_service.store.log import LogStore

#: the envelope of a proof with its checkpoint (``docs/proof-format.md``)
PROOF_BUNDLE_FORMAT = "chainwitness/evidence-proof"


def anchor_of(info: AnchorInfo) -> Anchor:
    return Anchor(
        chain_id=info.chain_id,
        contract=info.contract,
        tx_hash=info.tx_hash,
        block_number=info.block_number,
        block_hash=info.block_hash,
        block_time=info.block_time,
        head_index=info.head_index,
        tree_size=info.tree_size,
        root=info.root,
    )


def inclusion_proof(
    log_store: LogStore, anchors: AnchorStore, index: int, *, first: bool = False
) -> InclusionProof:
    """Proof of record ``index`` to the newest anchored head that holds it (with
    ``first``: the oldest one, whose checkpoint's witnessed time says when the record
    was first witnessed, e.g. a bid against its deadline).

    A record not yet anchored gets a proof to the current head with ``anchor``
    null: it verifies, but nothing on chain backs it yet.
    """
    stored = log_store.record(index)
    info = anchors.first_covering(index) if first else anchors.covering(index)
    if info is None:
        head = log_store.head()
        size, root, anchor = head.size, head.root, None
    else:
        size, root, anchor = info.tree_size, info.root, anchor_of(info)
        local = log_store.root_at(size)
        if local != root:
            raise ChainStateMismatch(
                f"expected the anchored root at size {size} to be the log's {local.hex()}, "
                f"found {root.hex()}"
            )
    path = log_store.inclusion_proof(index, size)
    return InclusionProof(
        leaf_index=index,
        tree_size=size,
        leaf_hash=stored.leaf_hash,
        path=tuple(path),
        root=root,
        anchor=anchor,
        record=stored.canonical,
    )


def consistency_proof(log_store: LogStore, size1: int, size2: int) -> ConsistencyProof:
    return ConsistencyProof(
        size1=size1,
        size2=size2,
        root1=log_store.root_at(size1),
        root2=log_store.root_at(size2),
        path=tuple(log_store.consistency_proof(size1, size2)),
    )


def signed_checkpoint_for(
    checkpoints: CheckpointStore, proof: InclusionProof
) -> tuple[SignedCheckpoint, str | None] | None:
    """The log's signed (and cosigned) checkpoint of the head ``proof`` goes to, if stored,
    with the TSA's RFC 3161 token over it (base64 DER) if it has one.

    Only an anchored proof has one: the log signs a checkpoint for each anchored head.
    """
    if proof.anchor is None:
        return None
    stored = checkpoints.at_size(proof.tree_size)
    if stored is None or stored.root != proof.root:
        return None
    token = None if stored.timestamp is None else base64.b64encode(stored.timestamp).decode()
    return SignedCheckpoint.from_bytes(stored.note), token


def checkpoint_for(checkpoints: CheckpointStore, proof: InclusionProof) -> SignedCheckpoint | None:
    """The signed checkpoint of :func:`signed_checkpoint_for`, if any."""
    found = signed_checkpoint_for(checkpoints, proof)
    return None if found is None else found[0]


def timestamp_for(checkpoints: CheckpointStore, proof: InclusionProof) -> str | None:
    """The TSA's RFC 3161 token (base64 DER) over the checkpoint of ``proof``'s head, if any."""
    found = signed_checkpoint_for(checkpoints, proof)
    return None if found is None else found[1]


def proof_bundle(
    log_store: LogStore, anchors: AnchorStore, checkpoints: CheckpointStore, index: int
) -> dict[str, Any]:
    """``chainwitness/evidence-proof`` v1: the inclusion proof and the checkpoint it rests on."""
    p = inclusion_proof(log_store, anchors, index)
    cp = checkpoint_for(checkpoints, p)
    return {
        "format": PROOF_BUNDLE_FORMAT,
        "version": 1,
        "proof": p.to_json(),
        "checkpoint": None if cp is None else cp.to_json(),
        "timestamp": timestamp_for(checkpoints, p),
    }
