"""SM2 digital signatures (GB/T 32918.2-2016) with SM3 (GB/T 32905-2016).

The GM (国密) profile signs checkpoints and cosignatures with SM2 on the
recommended curve ``sm2p256v1`` (GB/T 32918.5-2017). This module is the whole
algorithm, written down from the standard so a court's expert can read it:

- ``Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA)`` with the user ID
  ``"1234567812345678"`` unless another is given (GM/T 0009-2012 section 10);
- ``e = SM3(Z || M)``; sign: ``(x1, y1) = [k]G``, ``r = (e + x1) mod n``,
  ``s = (1 + d)^-1 (k - r d) mod n``; verify: ``r, s`` in ``[1, n-1]``,
  ``t = (r + s) mod n != 0``, ``(x1, y1) = [s]G + [t]P``, ``(e + x1) mod n == r``.

Field arithmetic comes from python-ecdsa's ``ellipticcurve`` (a maintained EC
library; we use its curve points only), SM3 from ``cryptography`` (OpenSSL),
the nonce from :mod:`secrets` unless a test injects one. Neither is
constant-time: signing keys that need 密评 protection belong in a certified
cryptographic module; :class:`Sm2PrivateKey` is the seam to replace.
Signatures are the fixed 64 bytes ``r || s`` (big-endian), one spelling each.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from ecdsa.ellipticcurve import INFINITY, CurveFp, PointJacobi

from ledger_service.core.errors import MalformedInput

__all__ = [
    "DEFAULT_USER_ID",
    "PUBLIC_KEY_SIZE",
    "SIGNATURE_SIZE",
    "SM2P256V1",
    "Sm2Curve",
    "Sm2PrivateKey",
    "Sm2PublicKey",
    "sm3",
]

#: the default signer ID of GM/T 0009-2012 section 10 (16 bytes: ENTL = 128 bits)
DEFAULT_USER_ID = b"1234567812345678"
#: SEC 1 uncompressed point: 0x04 || x || y
PUBLIC_KEY_SIZE = 65
SIGNATURE_SIZE = 64
_MAX_ID_BYTES = 8191  # ENTL is a 16-bit count of bits


def sm3(data: bytes) -> bytes:
    """SM3 digest (GB/T 32905-2016) of ``data``: 32 bytes."""
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


@dataclass(frozen=True, slots=True)
class Sm2Curve:
    """Prime curve ``y^2 = x^3 + ax + b`` over ``p`` with generator ``(gx, gy)`` of order ``n``."""

    p: int
    a: int
    b: int
    gx: int
    gy: int
    n: int
    generator: PointJacobi = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        curve = CurveFp(self.p, self.a, self.b, 1)
        g = PointJacobi(curve, self.gx, self.gy, 1, self.n, generator=True)
        object.__setattr__(self, "generator", g)

    def on_curve(self, x: int, y: int) -> bool:
        return (
            0 <= x < self.p
            and 0 <= y < self.p
            and (y * y - (x * x * x + self.a * x + self.b)) % self.p == 0
        )

    def point(self, x: int, y: int) -> PointJacobi:
        return PointJacobi(self.generator.curve(), x, y, 1, self.n)


#: the recommended curve of GB/T 32918.5-2017 (sm2p256v1, OID 1.2.156.10197.1.301)
SM2P256V1 = Sm2Curve(
    p=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF,
    a=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC,
    b=0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93,
    gx=0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    gy=0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
    n=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123,
)


def _width(curve: Sm2Curve) -> int:
    return (curve.p.bit_length() + 7) // 8


@dataclass(frozen=True, slots=True)
class Sm2PublicKey:
    """An SM2 public key: a point ``(x, y)`` of ``curve`` other than infinity (checked)."""

    x: int
    y: int
    curve: Sm2Curve = SM2P256V1

    def __post_init__(self) -> None:
        if (
            type(self.x) is not int
            or type(self.y) is not int
            or not self.curve.on_curve(self.x, self.y)
        ):
            raise MalformedInput("SM2 public key: expected a point on the curve, found another")

    def to_bytes(self) -> bytes:
        """SEC 1 uncompressed encoding ``0x04 || x || y`` (65 bytes on sm2p256v1)."""
        w = _width(self.curve)
        return b"\x04" + self.x.to_bytes(w, "big") + self.y.to_bytes(w, "big")

    @classmethod
    def from_bytes(cls, data: bytes, curve: Sm2Curve = SM2P256V1) -> Sm2PublicKey:
        """Parse ``0x04 || x || y``. Raises MalformedInput if not a point on ``curve``."""
        w = _width(curve)
        if type(data) is not bytes or len(data) != 1 + 2 * w or data[0] != 4:
            raise MalformedInput(
                f"SM2 public key: expected {1 + 2 * w} bytes 0x04 || x || y, "
                f"found {len(data) if isinstance(data, bytes) else type(data).__name__}"
            )
        return cls(
            int.from_bytes(data[1 : 1 + w], "big"), int.from_bytes(data[1 + w :], "big"), curve
        )

    def z_value(self, user_id: bytes = DEFAULT_USER_ID) -> bytes:
        """``Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA)`` (GB/T 32918.2 5.5)."""
        if type(user_id) is not bytes or len(user_id) > _MAX_ID_BYTES:
            raise MalformedInput(f"SM2 user ID: expected at most {_MAX_ID_BYTES} bytes")
        c, w = self.curve, _width(self.curve)
        fields = (c.a, c.b, c.gx, c.gy, self.x, self.y)
        return sm3(
            (8 * len(user_id)).to_bytes(2, "big")
            + user_id
            + b"".join(v.to_bytes(w, "big") for v in fields)
        )

    def digest(self, message: bytes, user_id: bytes = DEFAULT_USER_ID) -> int:
        """``e = SM3(Z || M)`` as an integer: what is signed."""
        return int.from_bytes(sm3(self.z_value(user_id) + message), "big")

    def verify(self, signature: bytes, message: bytes, user_id: bytes = DEFAULT_USER_ID) -> bool:
        """Whether ``signature`` (64 bytes ``r || s``) signs ``message`` (GB/T 32918.2 7.1).

        Returns False, never raises, for any signature that does not verify, malformed
        ones included.
        """
        c = self.curve
        w = (c.n.bit_length() + 7) // 8
        if type(signature) is not bytes or len(signature) != 2 * w:
            return False
        r, s = int.from_bytes(signature[:w], "big"), int.from_bytes(signature[w:], "big")
        if not (1 <= r < c.n and 1 <= s < c.n):
            return False
        t = (r + s) % c.n
        if t == 0:
            return False
        point = c.generator.mul_add(s, c.point(self.x, self.y), t)
        if point == INFINITY:
            return False
        x1 = int(point.x())
        return (self.digest(message, user_id) + x1) % c.n == r


@dataclass(frozen=True, slots=True)
class Sm2PrivateKey:
    """An SM2 signing key ``d`` in ``[1, n-2]`` (GB/T 32918.1 6.1); keep it secret.

    ``nonce`` returns ``k`` in ``[1, n-1]`` for one signature; the default draws it
    from :mod:`secrets`. Only tests inject one (the standard's vectors fix ``k``).
    """

    d: int = field(repr=False)
    curve: Sm2Curve = SM2P256V1
    nonce: Callable[[int], int] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if type(self.d) is not int or not 1 <= self.d <= self.curve.n - 2:
            raise MalformedInput("SM2 private key: expected an integer in [1, n-2]")

    @classmethod
    def generate(cls, curve: Sm2Curve = SM2P256V1) -> Sm2PrivateKey:
        """A fresh key from the operating system's CSPRNG."""
        return cls(1 + secrets.randbelow(curve.n - 2), curve)

    @classmethod
    def from_bytes(cls, data: bytes, curve: Sm2Curve = SM2P256V1) -> Sm2PrivateKey:
        """Parse a 32-byte big-endian ``d``. Raises MalformedInput (never echoes it)."""
        if type(data) is not bytes or len(data) != _width(curve):
            raise MalformedInput(f"SM2 private key: expected {_width(curve)} bytes")
        return cls(int.from_bytes(data, "big"), curve)

    def to_bytes(self) -> bytes:
        return self.d.to_bytes(_width(self.curve), "big")

    @property
    def public_key(self) -> Sm2PublicKey:
        point = self.curve.generator * self.d
        return Sm2PublicKey(int(point.x()), int(point.y()), self.curve)

    def sign(self, message: bytes, user_id: bytes = DEFAULT_USER_ID) -> bytes:
        """Sign ``message`` (GB/T 32918.2 6.1); returns 64 bytes ``r || s``."""
        c = self.curve
        e = self.public_key.digest(message, user_id)
        draw = self.nonce or (lambda n: 1 + secrets.randbelow(n - 1))
        while True:
            k = draw(c.n)
            if not 1 <= k < c.n:
                raise MalformedInput("SM2 nonce: expected k in [1, n-1]")
            x1 = int((c.generator * k).x())
            r = (e + x1) % c.n
            if r == 0 or r + k == c.n:
                continue
            s = pow(1 + self.d, -1, c.n) * (k - r * self.d) % c.n
            if s != 0:
                w = (c.n.bit_length() + 7) // 8
                return r.to_bytes(w, "big") + s.to_bytes(w, "big")
