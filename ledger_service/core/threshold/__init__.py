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
"""

from ledger_service.core.ecies import CURVE_ORDER
from ledger_service.core.threshold.dkg import (
    adjudicate,
    combine,
    deal,
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
    share_from_bytes,
    share_to_bytes,
)

__all__ = [
    "CURVE_ORDER", "MAX_CONTEXT_BYTES", "MAX_CUSTODIANS", "SHARE_INFO", "SHARE_SIZE",
    "Complaint", "Dealing", "GroupKey", "adjudicate", "combine", "custodian_keypair",
    "deal", "lagrange_at_zero", "make_complaint", "my_share", "public_from_secret", "qualify", "receive",
    "reconstruct", "screen_shares", "share_from_bytes", "share_to_bytes",
    "verify_dealing", "verify_released_share",
]  # fmt: skip
