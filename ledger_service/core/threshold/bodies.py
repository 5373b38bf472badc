"""The signed messages of a tender's key generation (docs/threshold-keys.md 10.3).

:class:`DkgSetup` is one round of one tender as the chain states it; a
:class:`DealingBody` and a :class:`ComplaintsBody` are what ``postDealing`` and
``postComplaints`` carry, as canonical JSON (RFC 8785) whose keccak256 each custodian
signs. Parsing accepts only the exact canonical bytes. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from eth_hash.auto import keccak

from ledger_service.core._secp256k1 import parse_point as _parse_point
from ledger_service.core.canonical import canonicalize, parse_json_strict
from ledger_service.core.errors import EvidenceError, MalformedInput
from ledger_service.core.threshold.messages import MAX_CUSTODIANS, Complaint, Dealing
from ledger_service.core.threshold.pok import POK_SIZE

__all__ = ["CONTEXT_LABEL", "MAX_BODY_BYTES", "ComplaintsBody", "DealingBody", "DkgSetup"]

CONTEXT_LABEL = b"chainwitness/dkg-context/v2"
#: TenderRegistry.MAX_DKG_BODY_BYTES
MAX_BODY_BYTES = 24_576
_HEX = frozenset("0123456789abcdef")


# ---------------------------------------------------------------- small checks


def _b(name: str, value: object, size: int) -> bytes:
    if type(value) is not bytes or len(value) != size:
        found = f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__
        raise MalformedInput(f"{name}: expected {size} bytes, found {found}")
    return value


def _n(name: str, value: object, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise MalformedInput(f"{name}: expected an integer in {low}..{high}, found {value!r:.60}")
    return value


def _hex32(name: str, value: object) -> bytes:
    if type(value) is not str or len(value) != 64 or not _HEX.issuperset(value):
        raise MalformedInput(f"{name}: expected 64 lowercase hex digits, found {value!r:.80}")
    return bytes.fromhex(value)


def _point(name: str, value: object, error: type[EvidenceError]) -> None:
    _parse_point(name, value, error)


def _object(body: object, what: str) -> dict[str, Any]:
    """Parse ``body`` (bytes) as canonical JSON: anything else is MalformedInput."""
    if type(body) is not bytes or not 1 <= len(body) <= MAX_BODY_BYTES:
        raise MalformedInput(f"{what}: expected 1..{MAX_BODY_BYTES} bytes, found {body!r:.40}")
    obj = parse_json_strict(body)
    if not isinstance(obj, dict) or canonicalize(obj) != body:
        raise MalformedInput(
            f"{what}: expected a canonical JSON object (RFC 8785), found other bytes"
        )
    return obj


def _fields(obj: Mapping[str, Any], fmt: str, names: tuple[str, ...]) -> None:
    want = {"format", "version", *names}
    if set(obj) != want or obj["format"] != fmt or obj["version"] != 1:
        raise MalformedInput(
            f"{fmt}: expected exactly {sorted(want)} with format {fmt!r} and version 1, "
            f"found {sorted(map(str, obj))}"
        )


# ---------------------------------------------------------------- setup


@dataclass(frozen=True, slots=True)
class DkgSetup:
    """One key-generation round of one tender, as the chain states it.

    ``custodians[i-1]`` (20-byte address) and ``keys[i-1]`` (33-byte encryption key,
    registered by that address) belong to index ``i``. Raises MalformedInput unless
    ``t >= 2``, ``2t - 1 <= n <= 32``, the keys are distinct points and ``round >= 1``.
    """

    chain_id: int
    registry: bytes
    tender_id: bytes
    round: int
    t: int
    custodians: tuple[bytes, ...]
    keys: tuple[bytes, ...]

    def __post_init__(self) -> None:
        _n("chain_id", self.chain_id, 1, 2**64 - 1)
        _b("registry", self.registry, 20)
        _b("tender_id", self.tender_id, 32)
        _n("round", self.round, 1, 2**32 - 1)
        n = len(self.custodians)
        if type(self.t) is not int or self.t < 2 or not 2 * self.t - 1 <= n <= MAX_CUSTODIANS:
            raise MalformedInput(
                f"t: expected t >= 2 and 2t - 1 <= n <= 32, found t={self.t}, n={n}"
            )
        for i, a in enumerate(self.custodians, 1):
            _b(f"custodians[{i}]", a, 20)
        if len(set(self.custodians)) != n or len(self.keys) != n:
            raise MalformedInput(f"custodians: expected {n} distinct addresses with one key each")
        for i, k in enumerate(self.keys, 1):
            _point(f"keys[{i}]", k, MalformedInput)
        if len(set(self.keys)) != n:
            raise MalformedInput("keys: expected distinct custodian keys, found a repeat")

    @property
    def n(self) -> int:
        return len(self.custodians)

    @property
    def context(self) -> bytes:
        """``CONTEXT_LABEL || uint64 chain id || registry || tender id || uint32 round``
        (91 bytes): what every share, proof of knowledge and signature is bound to."""
        return b"".join((
            CONTEXT_LABEL, self.chain_id.to_bytes(8, "big"), self.registry, self.tender_id,
            self.round.to_bytes(4, "big"),
        ))  # fmt: skip

    @property
    def keys_hash(self) -> bytes:
        """keccak256 of the n * 33 key bytes (TenderRegistry's custodianKeysHash)."""
        return keccak(b"".join(self.keys))


# ---------------------------------------------------------------- bodies


@dataclass(frozen=True, slots=True)
class DealingBody:
    """``chainwitness/dkg-dealing-body`` v1: what postDealing carries, as canonical JSON.

    Members: ``tender_id`` (64 hex), ``round``, ``dealer``, ``dealing`` (a
    ``chainwitness/dkg-dealing`` object) and ``pok`` (128 hex). Raises MalformedInput
    on construction for a bad shape; the dealer must equal ``dealing.dealer``.
    """

    FORMAT: ClassVar[str] = "chainwitness/dkg-dealing-body"
    FIELDS: ClassVar[tuple[str, ...]] = ("tender_id", "round", "dealer", "dealing", "pok")

    tender_id: bytes
    round: int
    dealer: int
    dealing: Dealing
    pok: bytes

    def __post_init__(self) -> None:
        _b("tender_id", self.tender_id, 32)
        _n("round", self.round, 1, 2**32 - 1)
        _n("dealer", self.dealer, 1, MAX_CUSTODIANS)
        if type(self.dealing) is not Dealing or self.dealing.dealer != self.dealer:
            raise MalformedInput(f"dealing: expected the Dealing of dealer {self.dealer}")
        _b("pok", self.pok, POK_SIZE)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.FORMAT, "version": 1, "tender_id": self.tender_id.hex(),
            "round": self.round, "dealer": self.dealer, "dealing": self.dealing.to_json(),
            "pok": self.pok.hex(),
        }  # fmt: skip

    def body(self) -> bytes:
        """The canonical JSON bytes posted on chain; ``keccak256(body)`` is its bodyHash."""
        return canonicalize(self.to_json())

    @classmethod
    def from_body(cls, body: bytes) -> Self:
        """Parse posted bytes. Raises MalformedInput unless they are exactly the canonical
        JSON of a valid body (trailing bytes, other spacing or key order included)."""
        o = _object(body, cls.FORMAT)
        _fields(o, cls.FORMAT, cls.FIELDS)
        pok = o["pok"]
        if type(pok) is not str or len(pok) != 2 * POK_SIZE or not _HEX.issuperset(pok):
            raise MalformedInput(f"pok: expected {2 * POK_SIZE} lowercase hex digits")
        return cls(
            _hex32("tender_id", o["tender_id"]), o["round"], o["dealer"],
            Dealing.from_json(o["dealing"]), bytes.fromhex(pok),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class ComplaintsBody:
    """``chainwitness/dkg-complaints-body`` v1: custodian ``accuser``'s complaints.

    Members: ``tender_id``, ``round``, ``accuser``, ``dealings_hash`` (64 hex: the
    dealings it judged, TenderRegistry.dealingsHash) and ``complaints`` (an array of
    ``chainwitness/dkg-complaint`` objects, each with this accuser). Raises MalformedInput.
    """

    FORMAT: ClassVar[str] = "chainwitness/dkg-complaints-body"
    FIELDS: ClassVar[tuple[str, ...]] = (
        "tender_id",
        "round",
        "accuser",
        "dealings_hash",
        "complaints",
    )

    tender_id: bytes
    round: int
    accuser: int
    dealings_hash: bytes
    complaints: tuple[Complaint, ...]

    def __post_init__(self) -> None:
        _b("tender_id", self.tender_id, 32)
        _n("round", self.round, 1, 2**32 - 1)
        _n("accuser", self.accuser, 1, MAX_CUSTODIANS)
        _b("dealings_hash", self.dealings_hash, 32)
        if not isinstance(self.complaints, tuple) or len(self.complaints) > MAX_CUSTODIANS:
            raise MalformedInput("complaints: expected a tuple of at most 32 complaints")
        for c in self.complaints:
            if type(c) is not Complaint or c.accuser != self.accuser:
                raise MalformedInput(f"complaints: expected complaints by accuser {self.accuser}")

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.FORMAT, "version": 1, "tender_id": self.tender_id.hex(),
            "round": self.round, "accuser": self.accuser, "dealings_hash": self.dealings_hash.hex(),
            "complaints": [c.to_json() for c in self.complaints],
        }  # fmt: skip

    def body(self) -> bytes:
        """The canonical JSON bytes posted on chain."""
        return canonicalize(self.to_json())

    @classmethod
    def from_body(cls, body: bytes) -> Self:
        """Parse posted bytes; as :meth:`DealingBody.from_body`."""
        o = _object(body, cls.FORMAT)
        _fields(o, cls.FORMAT, cls.FIELDS)
        if type(o["complaints"]) is not list:
            raise MalformedInput("complaints: expected an array")
        return cls(
            _hex32("tender_id", o["tender_id"]), o["round"], o["accuser"],
            _hex32("dealings_hash", o["dealings_hash"]),
            tuple(Complaint.from_json(c) for c in o["complaints"]),
        )  # fmt: skip
