"""TenderRegistry events, typed and decoded from logs (the audit trail of every tender)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils.abi import abi_to_signature, collapse_if_tuple
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3

from ledger_service.core.errors import ChainUnavailable


@dataclass(frozen=True)
class LoggedEvent:
    tx_hash: str
    block_number: int
    block_hash: str
    log_index: int


@dataclass(frozen=True)
class CustodianKeyRegisteredEvent(LoggedEvent):
    custodian: str
    key: bytes


@dataclass(frozen=True)
class TenderCreatedEvent(LoggedEvent):
    tender_id: bytes
    dealing_deadline: int
    complaint_deadline: int
    bid_deadline: int
    opening_time: int
    threshold: int
    custodians: tuple[str, ...]
    custodian_keys: bytes


@dataclass(frozen=True)
class KeyGenerationRestartedEvent(LoggedEvent):
    tender_id: bytes
    round: int
    dealing_deadline: int
    complaint_deadline: int


@dataclass(frozen=True)
class DealingPostedEvent(LoggedEvent):
    tender_id: bytes
    round: int
    dealer: int
    body_hash: bytes
    body: bytes
    signature: bytes


@dataclass(frozen=True)
class ComplaintsPostedEvent(LoggedEvent):
    tender_id: bytes
    round: int
    accuser: int
    dealings_hash: bytes
    body_hash: bytes
    body: bytes
    signature: bytes


@dataclass(frozen=True)
class KeyFinalizedEvent(LoggedEvent):
    tender_id: bytes
    round: int
    opening_public_key: bytes
    share_commitments: bytes
    transcript_hash: bytes
    approvers: tuple[int, ...]


@dataclass(frozen=True)
class BidderRegisteredEvent(LoggedEvent):
    tender_id: bytes
    pseudonym: str


@dataclass(frozen=True)
class BidSealedEvent(LoggedEvent):
    tender_id: bytes
    pseudonym: str
    commitment: bytes
    nonce: int
    submitted_at: int


@dataclass(frozen=True)
class BidWithdrawnEvent(LoggedEvent):
    tender_id: bytes
    pseudonym: str
    nonce: int
    withdrawn_at: int


@dataclass(frozen=True)
class BidRevealedEvent(LoggedEvent):
    tender_id: bytes
    bidder: str
    pseudonym: str
    ciphertext_digest: bytes
    plaintext_commitment: bytes
    envelope_digest: bytes
    bidder_signature: bytes


@dataclass(frozen=True)
class ShareReleasedEvent(LoggedEvent):
    tender_id: bytes
    index: int
    custodian: str
    share: bytes


@dataclass(frozen=True)
class TenderOpenedEvent(LoggedEvent):
    tender_id: bytes
    opening_record_digest: bytes
    revealed_bids: int
    shares_released: int


@dataclass(frozen=True)
class TenderFailedEvent(LoggedEvent):
    tender_id: bytes
    revealed_bids: int


@dataclass(frozen=True)
class TenderCancelledEvent(LoggedEvent):
    tender_id: bytes
    reason_digest: bytes


TenderEvent = (
    CustodianKeyRegisteredEvent
    | TenderCreatedEvent
    | KeyGenerationRestartedEvent
    | DealingPostedEvent
    | ComplaintsPostedEvent
    | KeyFinalizedEvent
    | BidderRegisteredEvent
    | BidSealedEvent
    | BidWithdrawnEvent
    | BidRevealedEvent
    | ShareReleasedEvent
    | TenderOpenedEvent
    | TenderFailedEvent
    | TenderCancelledEvent
)
#: event name in the ABI -> its dataclass; fields follow the ABI's input order
EVENT_TYPES: dict[str, type[LoggedEvent]] = {
    "CustodianKeyRegistered": CustodianKeyRegisteredEvent,
    "TenderCreated": TenderCreatedEvent,
    "KeyGenerationRestarted": KeyGenerationRestartedEvent,
    "DealingPosted": DealingPostedEvent,
    "ComplaintsPosted": ComplaintsPostedEvent,
    "KeyFinalized": KeyFinalizedEvent,
    "BidderRegistered": BidderRegisteredEvent,
    "BidSealed": BidSealedEvent,
    "BidWithdrawn": BidWithdrawnEvent,
    "BidRevealed": BidRevealedEvent,
    "ShareReleased": ShareReleasedEvent,
    "TenderOpened": TenderOpenedEvent,
    "TenderFailed": TenderFailedEvent,
    "TenderCancelled": TenderCancelledEvent,
}


def _plain(abi_type: str, value: Any) -> Any:
    if abi_type == "address":
        return to_checksum_address(value)
    if abi_type == "address[]":
        return tuple(to_checksum_address(v) for v in value)
    if abi_type.endswith("[]"):
        return tuple(value)
    return value


def _int(value: Any) -> int:
    return value if isinstance(value, int) else int(value, 16)


class EventDecoder:
    """Decodes raw ``eth_getLogs`` entries of one ABI into the dataclasses above."""

    def __init__(self, abi: Sequence[dict[str, Any]]) -> None:
        self._by_topic: dict[bytes, dict[str, Any]] = {
            keccak(text=abi_to_signature(e)): e  # type: ignore[arg-type]
            for e in abi
            if e.get("type") == "event" and e["name"] in EVENT_TYPES
        }

    def topics(self) -> list[str]:
        """topic0 of every event this module decodes, as 0x-hex."""
        return ["0x" + t.hex() for t in self._by_topic]

    def decode(self, log: dict[str, Any]) -> TenderEvent | None:
        """The typed event, or None for a log of an event this module does not know."""
        topics = [bytes(HexBytes(t)) for t in log["topics"]]
        entry = self._by_topic.get(topics[0]) if topics else None
        if entry is None:
            return None
        inputs = entry["inputs"]
        indexed = [i for i in inputs if i["indexed"]]
        plain = [i for i in inputs if not i["indexed"]]
        try:
            values = dict(
                zip(
                    [i["name"] for i in plain],
                    abi_decode([collapse_if_tuple(i) for i in plain], bytes(HexBytes(log["data"]))),
                    strict=True,
                )
            )
            for i, topic in zip(indexed, topics[1:], strict=True):
                values[i["name"]] = abi_decode([i["type"]], topic)[0]
        except (DecodingError, ValueError) as exc:
            raise ChainUnavailable(
                f"expected a decodable {entry['name']} log, found {log!r} ({exc})"
            ) from exc
        cls = EVENT_TYPES[entry["name"]]
        fields = [
            _plain(collapse_if_tuple(i), values[i["name"]]) for i in inputs
        ]  # ABI order == dataclass order
        event = cls(
            Web3.to_hex(HexBytes(log["transactionHash"])),
            _int(log["blockNumber"]),
            Web3.to_hex(HexBytes(log["blockHash"])),
            _int(log["logIndex"]),
            *fields,
        )
        return event  # type: ignore[return-value]
