"""Proof of knowledge of a dealing's constant term (docs/threshold-keys.md 10.3).

The PedPoP / FROST-DKG rule: dealer ``i`` proves it knows ``a_i0`` with
``C_i0 = a_i0·G`` by a Schnorr proof bound to the DKG context and its index, so a
rogue-key dealing ``C_i0 = T·G - sum C_j0`` (whose secret nobody knows) is refused
without any complaint. ``H`` is the length-prefixed SHA-256 read mod q
(:func:`~ledger_service.core._secp256k1.hash_to_scalar`)::

    prove:  k = H(POK_NONCE_TAG, a_0, 32 random bytes, context, C_0)
            R = k·G;  c = H(POK_TAG, context, uint8(i), C_0, R);  z = k + c·a_0
            proof = c (32) || z (32)
    verify: 0 < c, z < q;  R' = z·G - c·C_0;  c == H(POK_TAG, ..., R')  (R' at infinity fails)

Pure: no I/O; randomness from ``rng``.
"""

from __future__ import annotations

import secrets

from ledger_service.core._secp256k1 import CURVE_ORDER, Rng
from ledger_service.core._secp256k1 import add as _add
from ledger_service.core._secp256k1 import base as _base
from ledger_service.core._secp256k1 import hash_to_scalar as _h
from ledger_service.core._secp256k1 import mul as _mul
from ledger_service.core._secp256k1 import parse_point as _point
from ledger_service.core._secp256k1 import seen as _seen
from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.threshold.group import public_from_secret

__all__ = ["POK_NONCE_TAG", "POK_SIZE", "POK_TAG", "prove_constant_term", "verify_constant_term"]

POK_TAG = b"chainwitness/dkg/pok/v1"
POK_NONCE_TAG = b"chainwitness/dkg/pok-nonce/v1"
#: c (32 bytes) || z (32 bytes)
POK_SIZE = 64


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def prove_constant_term(
    a0: int, context: bytes, dealer: int, rng: Rng = secrets.token_bytes
) -> bytes:
    """Schnorr proof that dealer ``dealer`` knows ``a0`` for ``C_0 = a0·G``, bound to
    ``context``: 64 bytes ``c || z``. The nonce is hedged (a broken rng alone cannot
    repeat it for different statements). Requires ``0 < a0 < q``."""
    c0 = public_from_secret(a0)
    k = 0
    while k == 0:
        k = _h(POK_NONCE_TAG, _word(a0), rng(32), context, c0)
    r = public_from_secret(k)
    c = _h(POK_TAG, context, bytes((dealer,)), c0, r)
    return _word(c) + _word((k + c * a0) % CURVE_ORDER)


def verify_constant_term(c0: bytes, proof: bytes, context: bytes, dealer: int) -> None:
    """Check a :func:`prove_constant_term` proof for commitment ``c0``.

    Raises:
        MalformedInput: ``proof`` is not 64 bytes.
        VerificationFailed: ``c0`` is not a point, ``c`` or ``z`` is not in 1..q-1, or
            ``c != H(..., z·G - c·C_0)`` (a rogue key, or another tender, round or index).
    """
    if type(proof) is not bytes or len(proof) != POK_SIZE:
        raise MalformedInput(f"proof of knowledge: expected {POK_SIZE} bytes, found {_seen(proof)}")
    c, z = int.from_bytes(proof[:32], "big"), int.from_bytes(proof[32:], "big")
    point = _point("C_0", c0, VerificationFailed)
    if not (0 < c < CURVE_ORDER and 0 < z < CURVE_ORDER):
        raise VerificationFailed(f"dealer {dealer}: proof of knowledge: expected 0 < c, z < q")
    r = _add((_base(z), _mul(point, CURVE_ORDER - c)))  # z·G - c·C_0
    if _h(POK_TAG, context, bytes((dealer,)), c0, b"" if r is None else r.format()) != c:
        raise VerificationFailed(
            f"dealer {dealer}: expected a proof of knowledge of the secret of C_0, found none "
            "(a rogue-key dealing, or one made for another tender, round or index)"
        )
