"""secp256k1 group arithmetic shared by :mod:`ecies` and :mod:`threshold` (private).

Points are coincurve ``PublicKey`` objects, ``None`` standing for the point at
infinity (which coincurve cannot represent). Scalars are Python ints taken mod the
group order. ``hash_to_scalar`` is the length-prefixed SHA-256 read mod q of
docs/threshold-keys.md section 6.2, the one hash every proof in the package uses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

from coincurve import PublicKey

from ledger_service.core.errors import MalformedInput

Rng = Callable[[int], bytes]
#: order of the secp256k1 group (SEC 2, section 2.4.1)
CURVE_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
POINT_SIZE = 33
SCALAR_SIZE = 32

Point = PublicKey | None  # None is the point at infinity


def seen(value: object) -> str:
    """How a wrong value is named in an error message (its length or its type)."""
    return f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__


def parse_point(name: str, value: object, error: type[Exception] = MalformedInput) -> PublicKey:
    """Parse a 33-byte compressed point; coincurve alone would also take 65-byte forms.

    Raises ``error`` (MalformedInput by default) for anything else or a point off the curve.
    """
    if type(value) is not bytes or len(value) != POINT_SIZE or value[0] not in (2, 3):
        raise error(f"{name}: expected a 33-byte compressed secp256k1 point, found {seen(value)}")
    try:
        return PublicKey(value)
    except ValueError:
        raise error(f"{name}: expected a point on secp256k1, found {value.hex()}") from None


def mul(point: Point, scalar: int) -> Point:
    """``scalar·point``."""
    scalar %= CURVE_ORDER
    if point is None or scalar == 0:
        return None
    return point.multiply(scalar.to_bytes(SCALAR_SIZE, "big"))


def base(scalar: int) -> Point:
    """``scalar·G``."""
    scalar %= CURVE_ORDER
    return None if scalar == 0 else PublicKey.from_valid_secret(scalar.to_bytes(SCALAR_SIZE, "big"))


def add(points: Iterable[Point]) -> Point:
    """The sum of ``points`` (None if it is the point at infinity)."""
    finite = [p for p in points if p is not None]
    if len(finite) <= 1:
        return finite[0] if finite else None
    try:
        return PublicKey.combine_keys(finite)
    except ValueError:  # the sum is the point at infinity
        return None


def same(a: Point, b: Point) -> bool:
    """Whether two points (infinity included) are equal."""
    return (a is None) == (b is None) and (a is None or b is None or a.format() == b.format())


def random_scalar(rng: Rng) -> int:
    """A scalar in 1..q-1 by rejection sampling, so a seeded rng gives the same scalar on
    every platform. Raises MalformedInput if ``rng`` does not return 32 bytes."""
    while True:
        data = rng(SCALAR_SIZE)
        if type(data) is not bytes or len(data) != SCALAR_SIZE:
            raise MalformedInput(f"rng: expected {SCALAR_SIZE} bytes, found {seen(data)}")
        k = int.from_bytes(data, "big")
        if 0 < k < CURVE_ORDER:
            return k


def hash_to_scalar(tag: bytes, *parts: bytes) -> int:
    """SHA-256 over ``uint32_be(len(p)) || p`` for ``tag`` and each part, read mod q."""
    h = hashlib.sha256()
    for part in (tag, *parts):
        h.update(len(part).to_bytes(4, "big") + part)
    return int.from_bytes(h.digest(), "big") % CURVE_ORDER
