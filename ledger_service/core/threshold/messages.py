"""Wire objects of the tender opening key (``docs/threshold-keys.md`` section 8) and
their field checks: :class:`Dealing`, :class:`Complaint`, :class:`GroupKey`, shares.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from ledger_service.core import ecies
from ledger_service.core._fields import Wire as _Wire  # shared wire checks
from ledger_service.core._fields import integer as _int
from ledger_service.core._fields import shown_size as shown
from ledger_service.core._fields import wire_fields as _fields
from ledger_service.core._fields import wire_header as _header
from ledger_service.core._secp256k1 import CURVE_ORDER, POINT_SIZE
from ledger_service.core._secp256k1 import add as _add
from ledger_service.core._secp256k1 import mul as _mul
from ledger_service.core._secp256k1 import parse_point as _point
from ledger_service.core.errors import MalformedInput, VerificationFailed

#: most custodians per tender (TenderRegistry.MAX_CUSTODIANS)
MAX_CUSTODIANS = 32
#: a share (or any scalar) on the wire and on chain: 32 bytes big-endian, 1..order-1
SHARE_SIZE = 32
#: longest DKG context (what the caller binds dealings to, e.g. chain id + tender id)
MAX_CONTEXT_BYTES = 256
#: HKDF info of the ECIES layer for DKG shares
SHARE_INFO = b"chainwitness/threshold/share/v1"
#: first bytes of every share's AES-GCM associated data
SHARE_AAD_LABEL = b"chainwitness/threshold/share-aad/v1"
CIPHERTEXT_SIZE = ecies.OVERHEAD + SHARE_SIZE
_HEX = frozenset("0123456789abcdef")


# ---------------------------------------------------------------- field checks


def check_shape(t: object, n: object) -> None:
    n = _int("n", n, 1, MAX_CUSTODIANS)
    t = _int("t", t, 1, n)
    if 2 * t - 1 > n:
        raise MalformedInput(
            f"t: expected 2t - 1 <= n (honest majority, docs/threshold-keys.md), found t={t}, n={n}"
        )


def check_index(index: object, n: int) -> int:
    if index == 0 and type(index) is int:
        raise MalformedInput(
            "share index: expected 1..n; index 0 is the secret itself, never a share"
        )
    return _int("share index", index, 1, n)


def check_scalar(name: str, value: object) -> int:
    return _int(name, value, 1, CURVE_ORDER - 1)


def _blobs(name: str, value: object, count: int, size: int) -> tuple[bytes, ...]:
    if isinstance(value, bytes | str) or not isinstance(value, Sequence) or len(value) != count:
        raise MalformedInput(f"{name}: expected a sequence of {count} items, found {shown(value)}")
    for i, item in enumerate(value):
        if type(item) is not bytes or len(item) != size:
            raise MalformedInput(f"{name}[{i}]: expected {size} bytes, found {shown(item)}")
    return tuple(value)


def check_points(name: str, value: object, count: int) -> tuple[bytes, ...]:
    points = _blobs(name, value, count, POINT_SIZE)
    for i, p in enumerate(points):
        _point(f"{name}[{i}]", p)
    return points


def _hex(name: str, value: object, size: int) -> bytes:
    if type(value) is not str or len(value) != 2 * size or not _HEX.issuperset(value):
        raise MalformedInput(
            f"{name}: expected {2 * size} lowercase hex digits, found {shown(value)}"
        )
    return bytes.fromhex(value)


def _hex_list(name: str, value: object, size: int) -> list[bytes]:
    if type(value) is not list or len(value) > MAX_CUSTODIANS:
        raise MalformedInput(
            f"{name}: expected an array of at most {MAX_CUSTODIANS}, found {shown(value)}"
        )
    return [_hex(f"{name}[{i}]", v, size) for i, v in enumerate(value)]


def share_aad(
    context: bytes, dealer: int, t: int, n: int, commitments: Sequence[bytes], j: int
) -> bytes:
    """The AES-GCM associated data of dealer ``dealer``'s share for custodian ``j``
    (docs/threshold-keys.md 3.1): ``SHARE_AAD_LABEL || uint16_be(len(context)) || context
    || uint8 t || uint8 n || uint8 dealer || uint8 j || C_0 || .. || C_{t-1}``.
    The caller has checked the sizes (context at most MAX_CONTEXT_BYTES, t, n, indices <= 32).
    """
    return b"".join((
        SHARE_AAD_LABEL, len(context).to_bytes(2, "big"), context,
        bytes((t, n, dealer, j)), *commitments,
    ))  # fmt: skip


def feldman_point(commitments: Sequence[bytes], j: int) -> ecies.Point:
    """``sum_k j^k·C_k``: what ``f(j)·G`` must be."""
    return _add(
        _mul(_point("commitment", c), pow(j, k, CURVE_ORDER)) for k, c in enumerate(commitments)
    )


# ---------------------------------------------------------------- wire objects


@dataclass(frozen=True, slots=True)
class Dealing(_Wire):
    """Dealer ``dealer``'s public message: ``t`` commitments, ``n`` encrypted shares.

    ``ciphertexts[j-1]`` is ``ecies.encrypt_proven`` of ``share_to_bytes(f(j))`` to
    custodian ``j`` (``CIPHERTEXT_SIZE`` bytes), ``sender_proofs[j-1]`` its sender proof.

    Raises (on construction): MalformedInput unless ``1 <= t``, ``2t - 1 <= n <=
    MAX_CUSTODIANS``, ``1 <= dealer <= n``, the commitments and every ciphertext's
    ephemeral key are compressed points and every length is exact.
    """

    FORMAT: ClassVar[str] = "chainwitness/dkg-dealing"
    VERSION: ClassVar[int] = 1
    FIELDS: ClassVar[tuple[str, ...]] = (
        "dealer", "t", "n", "commitments", "ciphertexts", "sender_proofs",
    )  # fmt: skip

    dealer: int
    t: int
    n: int
    commitments: tuple[bytes, ...]
    ciphertexts: tuple[bytes, ...]
    sender_proofs: tuple[bytes, ...]

    def __post_init__(self) -> None:
        check_shape(self.t, self.n)
        _int("dealer", self.dealer, 1, self.n)
        object.__setattr__(
            self, "commitments", check_points("commitments", self.commitments, self.t)
        )
        cts = _blobs("ciphertexts", self.ciphertexts, self.n, CIPHERTEXT_SIZE)
        for i, ct in enumerate(cts):
            _point(f"ciphertexts[{i}] ephemeral key", ct[:POINT_SIZE])
        object.__setattr__(self, "ciphertexts", cts)
        proofs = _blobs("sender_proofs", self.sender_proofs, self.n, ecies.PROOF_SIZE)
        object.__setattr__(self, "sender_proofs", proofs)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object; byte strings are lowercase hex."""
        return {
            **_header(Dealing), "dealer": self.dealer, "t": self.t, "n": self.n,
            "commitments": [c.hex() for c in self.commitments],
            "ciphertexts": [c.hex() for c in self.ciphertexts],
            "sender_proofs": [p.hex() for p in self.sender_proofs],
        }  # fmt: skip

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Parse a JSON object. Raises MalformedInput if it is invalid."""
        o = _fields(obj, cls)
        return cls(
            o["dealer"], o["t"], o["n"],
            tuple(_hex_list("commitments", o["commitments"], POINT_SIZE)),
            tuple(_hex_list("ciphertexts", o["ciphertexts"], CIPHERTEXT_SIZE)),
            tuple(_hex_list("sender_proofs", o["sender_proofs"], ecies.PROOF_SIZE)),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Complaint(_Wire):
    """Custodian ``accuser`` shows that ``dealer``'s share for it is bad.

    ``disclosure`` (``ecies.DISCLOSURE_SIZE`` bytes) proves the ECIES shared point of
    that one ciphertext, so anyone can decrypt the share and check it
    (:func:`adjudicate`); no signature is needed, only the accuser's secret key can
    make the proof. It is None when the ciphertext's sender proof fails: disclosing
    is then unsafe, and needless, as anyone sees the fault.

    Raises (on construction): MalformedInput for indices outside
    ``1..MAX_CUSTODIANS``, a disclosure of the wrong length or without a point.
    """

    FORMAT: ClassVar[str] = "chainwitness/dkg-complaint"
    VERSION: ClassVar[int] = 1
    FIELDS: ClassVar[tuple[str, ...]] = ("dealer", "accuser", "disclosure")

    dealer: int
    accuser: int
    disclosure: bytes | None

    def __post_init__(self) -> None:
        _int("dealer", self.dealer, 1, MAX_CUSTODIANS)
        _int("accuser", self.accuser, 1, MAX_CUSTODIANS)
        d = self.disclosure
        if d is not None:
            if type(d) is not bytes or len(d) != ecies.DISCLOSURE_SIZE:
                raise MalformedInput(
                    f"disclosure: expected {ecies.DISCLOSURE_SIZE} bytes or None, found {shown(d)}"
                )
            _point("disclosure shared point", d[:POINT_SIZE])

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object; ``disclosure`` is lowercase hex or null."""
        d = self.disclosure
        return {
            **_header(Complaint), "dealer": self.dealer, "accuser": self.accuser,
            "disclosure": None if d is None else d.hex(),
        }  # fmt: skip

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Parse a JSON object. Raises MalformedInput if it is invalid."""
        o = _fields(obj, cls)
        d = o["disclosure"]
        disclosure = None if d is None else _hex("disclosure", d, ecies.DISCLOSURE_SIZE)
        return cls(o["dealer"], o["accuser"], disclosure)


@dataclass(frozen=True, slots=True)
class GroupKey(_Wire):
    """A tender's opening key: ``commitments`` are ``A_0..A_{t-1}``, ``A_0 = Y``.

    ``qualified`` lists the dealers whose polynomials make up the key, ascending.

    Raises (on construction): MalformedInput unless the ``t``/``n`` rules of
    :class:`Dealing` hold, the ``t`` commitments are compressed points and
    ``qualified`` is ascending, without repeats, within ``1..n`` and at least ``t`` long.
    """

    FORMAT: ClassVar[str] = "chainwitness/group-key"
    VERSION: ClassVar[int] = 1
    FIELDS: ClassVar[tuple[str, ...]] = ("t", "n", "public_key", "commitments", "qualified")

    t: int
    n: int
    commitments: tuple[bytes, ...]
    qualified: tuple[int, ...]

    def __post_init__(self) -> None:
        check_shape(self.t, self.n)
        object.__setattr__(
            self, "commitments", check_points("commitments", self.commitments, self.t)
        )
        q = self.qualified
        if isinstance(q, str | bytes) or not isinstance(q, Sequence) or len(q) < self.t:
            raise MalformedInput(
                f"qualified: expected at least t={self.t} dealers, found {shown(q)}"
            )
        for i, dealer in enumerate(q):
            _int(f"qualified[{i}]", dealer, 1 if i == 0 else q[i - 1] + 1, self.n)
        object.__setattr__(self, "qualified", tuple(q))

    @property
    def public_key(self) -> bytes:
        """The opening public key ``Y = A_0`` (33 bytes), what bids are sealed to."""
        return self.commitments[0]

    def commitments_bytes(self) -> bytes:
        """``A_0 || ... || A_{t-1}``, the ``t * 33`` bytes TenderRegistry stores."""
        return b"".join(self.commitments)

    def verification_key(self, index: int) -> bytes:
        """``Y_j = sum_k j^k·A_k`` for share index ``j`` in ``1..n``: ``x_j·G`` must equal it.

        Raises MalformedInput for an index outside ``1..n``; VerificationFailed if
        ``Y_j`` is the point at infinity (``x_j = 0``, probability 2**-256).
        """
        point = feldman_point(self.commitments, check_index(index, self.n))
        if point is None:
            raise VerificationFailed(
                f"share {index}: the verification key is the point at infinity"
            )
        return point.format()

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object; points are lowercase hex."""
        return {
            **_header(GroupKey), "t": self.t, "n": self.n,
            "public_key": self.public_key.hex(),
            "commitments": [c.hex() for c in self.commitments],
            "qualified": list(self.qualified),
        }  # fmt: skip

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Parse a JSON object. Raises MalformedInput if invalid or ``public_key != A_0``."""
        o = _fields(obj, cls)
        if type(o["qualified"]) is not list:
            raise MalformedInput(f"qualified: expected an array, found {shown(o['qualified'])}")
        key = cls(
            o["t"],
            o["n"],
            tuple(_hex_list("commitments", o["commitments"], POINT_SIZE)),
            tuple(o["qualified"]),
        )
        if _hex("public_key", o["public_key"], POINT_SIZE) != key.public_key:
            raise MalformedInput(
                f"public_key: expected A_0 = {key.public_key.hex()}, found {o['public_key']}"
            )
        return key


# ---------------------------------------------------------------- scalars and keys


def share_to_bytes(share: int) -> bytes:
    """Encode a share (scalar in ``1..order-1``) as 32 bytes big-endian. Raises MalformedInput."""
    return check_scalar("share", share).to_bytes(SHARE_SIZE, "big")


def share_from_bytes(data: bytes) -> int:
    """Decode 32 bytes big-endian. Raises MalformedInput for another length, 0 or >= order."""
    if type(data) is not bytes or len(data) != SHARE_SIZE:
        raise MalformedInput(f"share: expected {SHARE_SIZE} bytes, found {shown(data)}")
    value = int.from_bytes(data, "big")
    if not 0 < value < CURVE_ORDER:
        raise MalformedInput(f"share: expected a scalar in 1..order-1, found {data.hex()}")
    return value
