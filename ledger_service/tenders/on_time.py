"""A bidder's own proof that its bid was on time: witnessed before the deadline.

The chain's deadline check binds nobody on a chain the operator runs. What does
bind is witnessed time (``docs/log-witness.md``): the bid's ``tender.bid_submitted``
record is in a checkpoint that k of the n witnesses pinned in the bidder's trust
policy cosigned, each by its own clock, at or before the deadline. The bidder's
client asks the service for the record's proof to the FIRST anchored head holding
it (``GET /v1/records/{i}?head=first``) and checks everything itself: that the
record is its own bid (tender, bidder, nonce, ciphertext digest), the inclusion
proof, the anchor's chain and EvidenceLog against the policy, the log signature and
the cosignatures against the policy's keys. The answer is kept with the receipt:
with it the bidder can show a court its bid was on time even if the operator later
drops it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger_service.core.checkpoints import SignedCheckpoint
from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.pinned import check_cosigned, check_pinned_anchor
from ledger_service.core.proofs import InclusionProof
from ledger_service.core.records import EvidenceRecord
from ledger_service.core.trust_policy import TrustPolicy

__all__ = ["OnTime", "check_on_time"]


@dataclass(frozen=True)
class OnTime:
    """When k pinned witnesses had seen the bid, against the deadline."""

    record_index: int
    tree_size: int
    witnessed_time: int
    deadline: int
    cosigned_by: tuple[str, ...]
    k: int
    n: int

    def to_json(self) -> dict[str, Any]:
        return {"record_index": self.record_index, "tree_size": self.tree_size,
                "witnessed_time": self.witnessed_time, "deadline": self.deadline,
                "cosigned_by": list(self.cosigned_by), "quorum": self.k,
                "witnesses": self.n}  # fmt: skip


def check_on_time(
    answer: Mapping[str, Any],
    policy: TrustPolicy,
    *,
    code: str,
    bidder: str,
    nonce: int,
    ciphertext_sha256: str,
    deadline: int,
    now: int,
) -> OnTime | None:
    """Check the service's ``GET /v1/records/{i}?head=first`` answer for our bid.

    Returns None while the record is not yet in an anchored, cosigned head (ask
    again); the checked :class:`OnTime` otherwise.

    Raises:
        VerificationFailed: the record is not our bid, a proof, anchor, signature or
            cosignature does not check against the policy, or k witnesses first saw
            the bid after ``deadline`` (a late bid, named with both times).
        MalformedInput: the answer is not a record proof.
    """
    if not isinstance(answer, Mapping) or "proof" not in answer:
        raise MalformedInput("expected a record with its proof from the service, found none")
    proof = InclusionProof.from_json(answer["proof"])
    if proof.anchor is None or not answer.get("checkpoint"):
        return None
    if proof.record is None:
        raise VerificationFailed("expected the proof to carry its record, found none")
    proof.verify()
    rec = EvidenceRecord.from_canonical_bytes(proof.record)
    meta = rec.metadata
    ours = ("tender.bid_submitted", f"tender:{code}", bidder.lower(), nonce, ciphertext_sha256)
    found = (rec.kind, rec.subject, str(meta.get("bidder", "")).lower(), meta.get("nonce"),
             meta.get("ciphertext_sha256"))  # fmt: skip
    if found != ours:
        raise VerificationFailed(
            f"record {proof.leaf_index}: expected our bid {ours}, found {found}"
        )
    check_pinned_anchor(policy, proof.anchor, f"record {proof.leaf_index}'s anchor")
    signed = SignedCheckpoint.from_json(answer["checkpoint"])
    w = check_cosigned(policy, signed, proof.tree_size, proof.root, now,
                       f"checkpoint of size {proof.tree_size}")  # fmt: skip
    if not w.on_time(deadline):
        raise VerificationFailed(
            f"expected our bid witnessed by the deadline {deadline}, found it first "
            f"witnessed at {w.time} by {w.k} of {w.n} witnesses (checkpoint of size "
            f"{proof.tree_size}): the bid is late by witnessed time"
        )
    return OnTime(proof.leaf_index, proof.tree_size, w.time, deadline,
                  tuple(c.name for c in w.cosignatures), w.k, w.n)  # fmt: skip
