"""Checks of an artefact against a pinned trust policy (``docs/trust-policy.md``).

Proofs, packages and certificates name a chain, an EvidenceLog and a checkpoint;
nothing they name is believed. Each function here compares one claim with the
policy the verifier pinned out of band and raises VerificationFailed naming both
values when they differ. Every verdict says what it rests on (:func:`chain_trust`,
:func:`witness_trust`): a development chain is "controlled by its operator".

Pure: the verifier's clock ``now`` is an argument.
"""

from __future__ import annotations

from ledger_service.core.checkpoints import SignedCheckpoint, Witnessed, verify_witnessed
from ledger_service.core.errors import VerificationFailed
from ledger_service.core.gm_notes import GmWitnessed, verify_gm
from ledger_service.core.proofs import Anchor
from ledger_service.core.trust_policy import TrustPolicy

__all__ = [
    "chain_trust",
    "check_cosigned",
    "check_gm_cosigned",
    "check_pinned_anchor",
    "gm_text",
    "policy_trust",
    "witness_trust",
    "witnessed_text",
]


def chain_trust(policy: TrustPolicy | None, chain_id: int) -> str:
    """The trust a chain-based verdict rests on, as printed in its brackets."""
    if policy is None:
        return f"chain {chain_id} as named by the artefact, not pinned"
    if policy.operator_controlled:
        return f"development chain {chain_id}: controlled by its operator"
    return f"consortium chain {chain_id} pinned by trust policy {policy.fingerprint[:19]}"


def witness_trust(policy: TrustPolicy) -> str:
    """The trust a cosignature-based verdict rests on."""
    w = policy.witnesses
    return f"{w.k} of {len(w.keys)} independent witnesses pinned by {policy.fingerprint[:19]}"


def policy_trust(policy: TrustPolicy) -> str:
    """The trust of a comparison with the policy itself."""
    return f"trust policy {policy.fingerprint[:19]}"


def check_pinned_anchor(policy: TrustPolicy, anchor: Anchor, what: str) -> None:
    """``anchor`` is on the pinned chain and the pinned EvidenceLog.

    Raises:
        VerificationFailed: ``what``: another chain id or contract (both named).
    """
    try:
        policy.require_chain(anchor.chain_id)
        policy.require_contract("EvidenceLog", anchor.contract)
    except VerificationFailed as exc:
        raise VerificationFailed(f"{what}: {exc}") from None


def check_cosigned(
    policy: TrustPolicy, signed: SignedCheckpoint, size: int, root: bytes, now: int, what: str
) -> Witnessed:
    """``signed`` is the pinned log's checkpoint of (``size``, ``root``), cosigned at k of n.

    With a ``gm`` policy the SM2 half is required too (:func:`check_gm_cosigned`).

    Raises:
        VerificationFailed: ``what``: another origin or log key, a bad signature, another
            size or root than the proof's, or fewer than k pinned witnesses cosigned.
    """
    try:
        witnessed = verify_witnessed(
            signed, policy.log_key, policy.log_origin, policy.witnesses, now
        )
    except VerificationFailed as exc:
        raise VerificationFailed(f"{what}: {exc}") from None
    if policy.gm:
        check_gm_cosigned(policy, signed, now, what)
    cp = witnessed.checkpoint
    if (cp.size, cp.root) != (size, root):
        raise VerificationFailed(
            f"{what}: expected a checkpoint of size {size} root {root.hex()}, "
            f"found size {cp.size} root {cp.root.hex()}"
        )
    return witnessed


def check_gm_cosigned(
    policy: TrustPolicy, signed: SignedCheckpoint, now: int, what: str
) -> GmWitnessed:
    """The GM profile's checks of ``signed``: an SM3 root line, the pinned SM2 log key's
    signature and SM2 cosignatures by k of the pinned witnesses' SM2 keys.

    Raises:
        VerificationFailed: ``what``: the policy is not gm, or any of these fails.
    """
    if policy.log_sm2_key is None:
        raise VerificationFailed(f"{what}: expected a trust policy with crypto_profile gm")
    try:
        return verify_gm(signed.note, policy.log_sm2_key, policy.witness_sm2_keys,
                         policy.witnesses.k, now)  # fmt: skip
    except VerificationFailed as exc:
        raise VerificationFailed(f"{what}: {exc}") from None


def gm_text(g: GmWitnessed, n: int) -> str:
    """``SM3 root R signed in SM2 by the log, SM2-cosigned by a, b (k of n)``."""
    names = ", ".join(ref.split("+")[0] for ref, _ in g.witnesses)
    return (f"GM profile: SM3 root {g.sm3_root.hex()[:16]}... signed in SM2 by the pinned log "
            f"key, SM2-cosigned by {names} ({len(g.witnesses)} of {n}, quorum {g.k}); "
            f"SM2 witnessed time {g.time}")  # fmt: skip


def witnessed_text(w: Witnessed) -> str:
    """``size N root R cosigned by a, b (k of n), witnessed time T``."""
    names = ", ".join(c.name for c in w.cosignatures)
    return (
        f"log {w.checkpoint.origin} signed size {w.checkpoint.size} root "
        f"{w.checkpoint.root.hex()[:16]}..., cosigned by {names} ({len(w.cosignatures)} of "
        f"{w.n}, quorum {w.k}); witnessed time {w.time}"
    )
