"""The tender opening key: t-of-n Joint-Feldman DKG on secp256k1, no trusted dealer.

1. Each custodian ``i`` (1..n) publishes a :class:`Dealing` (:func:`deal`): Feldman
   commitments ``C_ik = a_ik·G`` to a random polynomial ``f_i`` of degree t-1, and
   ``s_ij = f_i(j)`` ECIES-encrypted to every custodian ``j`` with a sender proof.
2. Custodian ``j`` checks its share (:func:`receive`); on a bad one it posts a
   :class:`Complaint` (:func:`make_complaint`) that lets anyone decrypt that one share.
3. Anyone computes the qualified set ``Q`` (:func:`qualify`: dealings passing the
   public checks, with no justified complaint) and the :class:`GroupKey`
   (:func:`combine`): ``A_k = sum over Q of C_ik``, opening key ``Y = A_0``.
   Custodian ``j`` keeps ``x_j = sum over Q of s_ij`` (:func:`my_share`).
4. At opening, released shares are checked against ``Y_j = sum_k j^k·A_k``
   (:func:`verify_released_share`) and any t valid ones give ``x`` with ``x·G = Y``
   (:func:`reconstruct`).

Requires ``n >= 2t - 1`` (at most t-1 of n custodians dishonest, an honest
majority), without which t-1 rushing custodians could choose Y themselves. The
specification is ``docs/threshold-keys.md``. Pure: no I/O; randomness from ``rng``.

The authenticated protocol around it (section 10: signed dealings and complaints on
chain, proofs of knowledge of ``a_i0``, the transcript hash, the qualified-set rule and
KeyApproval) is :mod:`.bodies`, :mod:`.pok` and :mod:`.transcript`.
"""

from ledger_service.core._secp256k1 import CURVE_ORDER
from ledger_service.core.threshold.bodies import (
    CONTEXT_LABEL,
    MAX_BODY_BYTES,
    ComplaintsBody,
    DealingBody,
    DkgSetup,
)
from ledger_service.core.threshold.dkg import (
    adjudicate,
    combine,
    deal,
    deal_with_constant_term,
    make_complaint,
    my_share,
    qualify,
    receive,
    verify_dealing,
)
from ledger_service.core.threshold.group import (
    custodian_keypair,
    lagrange_at_zero,
    public_from_secret,
    reconstruct,
    screen_shares,
    verify_released_share,
)
from ledger_service.core.threshold.messages import (
    MAX_CONTEXT_BYTES,
    MAX_CUSTODIANS,
    SHARE_INFO,
    SHARE_SIZE,
    Complaint,
    Dealing,
    GroupKey,
    share_aad,
    share_from_bytes,
    share_to_bytes,
)
from ledger_service.core.threshold.pok import (
    POK_SIZE,
    POK_TAG,
    prove_constant_term,
    verify_constant_term,
)
from ledger_service.core.threshold.transcript import (
    SIGNATURE_SIZE,
    Outcome,
    Posted,
    address_of,
    approve_key,
    complaints_digest,
    deal_body,
    dealing_digest,
    dealings_hash,
    domain_separator,
    key_approval_digest,
    qualify_transcript,
    recover_signer,
    sign_digest,
    transcript_hash,
)

__all__ = [
    "CONTEXT_LABEL", "CURVE_ORDER", "MAX_BODY_BYTES", "MAX_CONTEXT_BYTES", "MAX_CUSTODIANS",
    "POK_SIZE", "POK_TAG", "SHARE_INFO", "SHARE_SIZE", "SIGNATURE_SIZE",
    "Complaint", "ComplaintsBody", "Dealing", "DealingBody", "DkgSetup", "GroupKey", "Outcome",
    "Posted", "address_of", "adjudicate", "approve_key", "combine", "complaints_digest",
    "custodian_keypair", "deal", "deal_body", "deal_with_constant_term", "dealing_digest",
    "dealings_hash", "domain_separator", "key_approval_digest", "lagrange_at_zero",
    "make_complaint", "my_share", "prove_constant_term", "public_from_secret", "qualify",
    "qualify_transcript", "receive", "reconstruct", "recover_signer", "screen_shares",
    "share_aad", "share_from_bytes", "share_to_bytes", "sign_digest", "transcript_hash",
    "verify_constant_term", "verify_dealing", "verify_released_share",
]  # fmt: skip
