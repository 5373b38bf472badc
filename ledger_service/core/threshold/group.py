"""Group arithmetic of the opening key: verification keys, released shares, reconstruction."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping

from coincurve import PublicKey

from ledger_service.core import ecies
from ledger_service.core._secp256k1 import CURVE_ORDER, Rng
from ledger_service.core._secp256k1 import base as _base
from ledger_service.core._secp256k1 import random_scalar as _random_scalar
from ledger_service.core._secp256k1 import same as _same
from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.threshold.messages import (
    SHARE_SIZE,
    GroupKey,
    check_index,
    check_scalar,
    feldman_point,
    share_to_bytes,
)


def public_from_secret(secret: int | bytes) -> bytes:
    """Return ``secret·G`` compressed (33 bytes): ``secret`` is a scalar (a share, the
    opening secret) or 32 bytes (a custodian's secret). Raises MalformedInput unless
    it is in ``1..order-1``.
    """
    if isinstance(secret, bytes):
        return ecies.public_key(secret)
    return PublicKey.from_valid_secret(share_to_bytes(secret)).format()


def custodian_keypair(rng: Rng = secrets.token_bytes) -> tuple[bytes, bytes]:
    """Return a custodian's long-term ``(secret 32 bytes, public key 33 bytes)``."""
    secret = _random_scalar(rng).to_bytes(SHARE_SIZE, "big")
    return secret, ecies.public_key(secret)


def lagrange_at_zero(points: Mapping[int, int]) -> int:
    """``f(0)`` for the polynomial of degree ``< len(points)`` through ``{x: f(x)}``."""
    total = 0
    for j, y in points.items():
        num = den = 1
        for m in points:
            if m != j:
                num, den = num * m % CURVE_ORDER, den * (m - j) % CURVE_ORDER
        total += y * num * pow(den, -1, CURVE_ORDER)
    return total % CURVE_ORDER


def verify_released_share(group: GroupKey, index: int, share: int) -> None:
    """Check a released share: ``share·G == Y_index``.

    Raises MalformedInput for an index outside ``1..n`` (0 included) or a share
    outside ``1..order-1``; VerificationFailed naming the index if it does not match.
    """
    expected = feldman_point(group.commitments, check_index(index, group.n))
    if not _same(_base(check_scalar("share", share)), expected):
        raise VerificationFailed(
            f"share {index}: expected share·G to equal the verification key "
            f"{expected.format().hex() if expected else 'infinity'}, found {public_from_secret(share).hex()}"
        )


def screen_shares(
    group: GroupKey, shares: Mapping[int, int] | Iterable[tuple[int, int]]
) -> tuple[dict[int, int], tuple[int, ...]]:
    """Split released shares into ``(valid {index: share}, invalid indices)``.

    Raises MalformedInput for an index outside ``1..n`` (0 included), an index given
    twice, or a share outside ``1..order-1``.
    """
    pairs = list(shares.items() if isinstance(shares, Mapping) else shares)
    valid: dict[int, int] = {}
    invalid: list[int] = []
    seen: set[int] = set()
    for index, share in pairs:
        if check_index(index, group.n) in seen:
            raise MalformedInput(f"shares: expected each index once, found {index} twice")
        seen.add(index)
        try:
            verify_released_share(group, index, share)
            valid[index] = share
        except VerificationFailed:
            invalid.append(index)
    return valid, tuple(sorted(invalid))


def reconstruct(group: GroupKey, shares: Mapping[int, int] | Iterable[tuple[int, int]]) -> int:
    """Return the opening secret ``x`` (``x·G == group.public_key``) from released shares.

    Invalid shares are skipped (:func:`screen_shares` says which); the ``t`` valid
    shares with the lowest indices are interpolated at 0.

    Raises:
        MalformedInput: as :func:`screen_shares`, or fewer than ``t`` shares given.
        VerificationFailed: fewer than ``t`` valid shares (naming the invalid ones),
            or the result does not match ``Y``.
    """
    valid, invalid = screen_shares(group, shares)
    if len(valid) + len(invalid) < group.t:
        raise MalformedInput(
            f"shares: expected at least t={group.t} to reconstruct, found {len(valid) + len(invalid)}; "
            f"fewer than t shares say nothing about the key"
        )
    if len(valid) < group.t:
        raise VerificationFailed(
            f"shares: expected at least t={group.t} valid, found {len(valid)}; invalid: {list(invalid)}"
        )
    used = sorted(valid)[: group.t]
    secret = lagrange_at_zero({j: valid[j] for j in used})
    if secret == 0 or public_from_secret(secret) != group.public_key:
        raise VerificationFailed(f"shares {used}: expected x·G == Y, found a mismatch")
    return secret
