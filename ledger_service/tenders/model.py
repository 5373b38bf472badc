"""The tender domain's values: parties, schedules, signed bids, bid receipts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger_service.chain.abi_values import address as _address
from ledger_service.chain.tender_registry import BidReveal
from ledger_service.core.errors import MalformedInput


@dataclass(frozen=True)
class Party:
    """A custodian or bidder: display name, chain address, secp256k1 public key (33 bytes)."""

    name: str
    address: str
    public_key: bytes


@dataclass(frozen=True)
class BidReceipt:
    """What a bidder gets back for an accepted sealed bid."""

    tender: str
    bidder: str
    nonce: int
    ciphertext_sha256: str
    plaintext_commitment: str
    envelope_digest: str
    size: int
    tx_hash: str
    block_time: int
    record_index: int

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _hex(name: str, value: object, size: int) -> bytes:
    text = value.removeprefix("0x") if isinstance(value, str) else None
    try:
        raw = bytes.fromhex(text) if text is not None else b""
    except ValueError:
        raw = b""
    if len(raw) != size:
        raise MalformedInput(f"{name}: expected {size} bytes as hex, found {value!r:.80}")
    return raw


@dataclass(frozen=True)
class Schedule:
    """A tender's deadlines in chain time (Unix seconds), in the order the chain requires:
    ``dealing_deadline < complaint_deadline < bid_deadline < opening_time``."""

    dealing_deadline: int
    complaint_deadline: int
    bid_deadline: int
    opening_time: int

    def __post_init__(self) -> None:
        times = (self.dealing_deadline, self.complaint_deadline, self.bid_deadline,
                 self.opening_time)  # fmt: skip
        if any(type(x) is not int or x <= 0 for x in times) or list(times) != sorted(set(times)):
            raise MalformedInput(
                "expected dealing deadline < complaint deadline < bid deadline < opening time, "
                f"found {times}"
            )

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class SignedBid:
    """What a bidder's client hands the service with its envelope (all made on the
    bidder's machine): the pseudonym and its SealedBid signature, and the opening of the
    commitment (salt, digests) with the bidder's own Bid signature, for the reveal.
    Digests are lowercase hex; the ciphertext digest is the upload's SHA-256.
    """

    bidder: str
    pseudonym: str
    nonce: int
    salt: str
    plaintext_commitment: str
    envelope_digest: str
    sealed_signature: bytes
    bid_signature: bytes

    FIELDS = ("bidder", "pseudonym", "nonce", "salt", "plaintext_commitment",
              "envelope_digest", "sealed_signature", "bid_signature")  # fmt: skip

    def __post_init__(self) -> None:
        _address("bidder", self.bidder)
        _address("pseudonym", self.pseudonym)
        for name in ("salt", "plaintext_commitment", "envelope_digest"):
            _hex(name, getattr(self, name), 32)
        for name in ("sealed_signature", "bid_signature"):
            value = getattr(self, name)
            if type(value) is not bytes or len(value) != 65:
                raise MalformedInput(f"{name}: expected 65 bytes r || s || v")

    def reveal(self, ciphertext_sha256: str) -> BidReveal:
        """The BidReveal of this bid for the ciphertext with SHA-256 ``ciphertext_sha256``."""
        return BidReveal(
            self.bidder, bytes.fromhex(self.salt), _hex("ciphertext_sha256", ciphertext_sha256, 32),
            bytes.fromhex(self.plaintext_commitment), bytes.fromhex(self.envelope_digest),
        )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return {
            "bidder": self.bidder, "pseudonym": self.pseudonym, "nonce": self.nonce,
            "salt": self.salt, "plaintext_commitment": self.plaintext_commitment,
            "envelope_digest": self.envelope_digest,
            "sealed_signature": self.sealed_signature.hex(),
            "bid_signature": self.bid_signature.hex(),
        }  # fmt: skip

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> SignedBid:
        """Read the members named in FIELDS (others, e.g. of a record, are ignored).
        Raises MalformedInput."""
        try:
            return cls(
                str(obj["bidder"]), str(obj["pseudonym"]), int(obj["nonce"]), str(obj["salt"]),
                str(obj["plaintext_commitment"]), str(obj["envelope_digest"]),
                _hex("sealed_signature", obj["sealed_signature"], 65),
                _hex("bid_signature", obj["bid_signature"], 65),
            )  # fmt: skip
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedInput(f"expected a signed bid with {cls.FIELDS}, found: {exc}") from exc
