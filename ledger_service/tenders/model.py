"""The tender domain's values: parties, bid receipts, a custodian's duties."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger_service.core import threshold


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


@dataclass(frozen=True)
class Duty:
    """What a custodian agent needs to know about one tender it guards."""

    code: str
    index: int
    t: int
    opening_time: int
    recipients: tuple[bytes, ...]  # every custodian's public key, by index 1..n
    dealings: tuple[threshold.Dealing, ...]
    qualified: tuple[int, ...]  # empty until the key is generated
