"""The secp256k1 group as ECIES and the threshold key use it (private to ``ledger_service``).

Points are coincurve ``PublicKey`` objects, with None for the point at infinity;
scalars are ints reduced modulo :data:`CURVE_ORDER`. Pure: randomness comes from
the caller's ``rng``.
"""

from __future__ import annotations

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
    """A wrong value as a message shows it: its length if bytes, else its type."""
    return f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__


def point(name: str, value: object, error: type[Exception] = MalformedInput) -> PublicKey:
    """Parse a 33-byte compressed point; coincurve would also take 65-byte forms."""
    if type(value) is not bytes or len(value) != POINT_SIZE or value[0] not in (2, 3):
        raise error(f"{name}: expected a 33-byte compressed secp256k1 point, found {seen(value)}")
    try:
        return PublicKey(value)
    except ValueError:
        raise error(f"{name}: expected a point on secp256k1, found {value.hex()}") from None


def mul(p: Point, scalar: int) -> Point:
    """``scalar·p``."""
    scalar %= CURVE_ORDER
    if p is None or scalar == 0:
        return None
    return p.multiply(scalar.to_bytes(SCALAR_SIZE, "big"))


def base(scalar: int) -> Point:
    """``scalar·G``."""
    scalar %= CURVE_ORDER
    return None if scalar == 0 else PublicKey.from_valid_secret(scalar.to_bytes(SCALAR_SIZE, "big"))


def add(points: Iterable[Point]) -> Point:
    """The sum of ``points``."""
    finite = [p for p in points if p is not None]
    if len(finite) <= 1:
        return finite[0] if finite else None
    try:
        return PublicKey.combine_keys(finite)
    except ValueError:  # the sum is the point at infinity
        return None


def same(a: Point, b: Point) -> bool:
    """Whether ``a`` and ``b`` are the same point (infinity included)."""
    return (a is None) == (b is None) and (a is None or b is None or a.format() == b.format())


def random_scalar(rng: Rng) -> int:
    """A scalar in 1..order-1 by rejection sampling, so a seeded rng gives the same
    scalar on every platform."""
    while True:
        data = rng(SCALAR_SIZE)
        if type(data) is not bytes or len(data) != SCALAR_SIZE:
            raise MalformedInput(f"rng: expected {SCALAR_SIZE} bytes, found {seen(data)}")
        k = int.from_bytes(data, "big")
        if 0 < k < CURVE_ORDER:
            return k
