"""TenderRegistry: the EIP-712 messages a bidder signs, and typed access to the contract.

Two halves. The pure helpers (:func:`tender_id_bytes`, :func:`bid_typed_data`,
:func:`withdrawal_typed_data`, :func:`sign_typed`, :func:`typed_data_digest`,
:func:`recover_typed_signer`) need no node: a bidder runs them on their own
machine, signs with their own key and hands the signature to the service, which
relays it and pays the gas but cannot forge, alter or replay it.
:class:`TenderRegistryContract` is the service's adapter to one deployed registry,
in the style of :class:`~ledger_service.chain.evidence_log.EvidenceLogContract`.

Typed data dicts are in the JSON shape of ``eth_signTypedData_v4`` (byte values as
0x-hex strings), so a wallet can sign the same dict.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.abi import abi_to_signature, collapse_if_tuple
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from eth_utils.exceptions import ValidationError as EthValidationError
from hexbytes import HexBytes
from web3 import Web3
from web3.types import BlockIdentifier

from ledger_service.chain.abi_values import address as _address
from ledger_service.chain.abi_values import bytes32 as _bytes32
from ledger_service.chain.compiled import load_artifact
from ledger_service.chain.client import ChainClient
from ledger_service.chain.tx import TxResult
from ledger_service.chain.wrapper import Eip712Wrapper
from ledger_service.core.errors import ChainUnavailable, MalformedInput

TENDER_REGISTRY = "TenderRegistry"
OPERATOR_ROLE = keccak(text="OPERATOR_ROLE")
#: fewest active bids with which a tender may be opened (the contract's MIN_BIDS)
MIN_BIDS = 3
EIP712_NAME = "ChainWitness TenderRegistry"
EIP712_VERSION = "1"
_UINT64_MAX = 2**64 - 1
_ZERO32 = bytes(32)
_DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
_BID_TYPE = [
    {"name": "tenderId", "type": "bytes32"},
    {"name": "bidder", "type": "address"},
    {"name": "ciphertextDigest", "type": "bytes32"},
    {"name": "plaintextCommitment", "type": "bytes32"},
    {"name": "envelopeDigest", "type": "bytes32"},
    {"name": "nonce", "type": "uint64"},
]
_WITHDRAWAL_TYPE = [
    {"name": "tenderId", "type": "bytes32"},
    {"name": "bidder", "type": "address"},
    {"name": "nonce", "type": "uint64"},
]


# -- pure helpers: what a bidder signs ----------------------------------------


def tender_id_bytes(tender_code: str) -> bytes:
    """The on-chain id of a tender: keccak256 of its code's UTF-8 bytes (32 bytes).

    The code is hashed exactly as given, with no trimming, case folding or Unicode
    normalisation: ``"CW-2025-001"`` and ``"cw-2025-001"`` are different tenders, so
    callers pass the canonical code from the tender notice.

    Raises:
        MalformedInput: the code is empty.
    """
    if not tender_code:
        raise MalformedInput("expected a non-empty tender code, found an empty string")
    return keccak(tender_code.encode("utf-8"))


def _nonce(nonce: int) -> int:
    if type(nonce) is not int or not 1 <= nonce <= _UINT64_MAX:
        raise MalformedInput(f"expected a nonce in [1, 2**64 - 1], found {nonce!r}")
    return nonce


def _domain(chain_id: int, contract: str) -> dict[str, Any]:
    if type(chain_id) is not int or chain_id <= 0:
        raise MalformedInput(f"expected a chain id > 0, found {chain_id!r}")
    return {
        "name": EIP712_NAME,
        "version": EIP712_VERSION,
        "chainId": chain_id,
        "verifyingContract": _address("the registry address", contract),
    }


def bid_typed_data(
    chain_id: int,
    contract: str,
    tender_id: bytes,
    bidder: str,
    ciphertext_digest: bytes,
    plaintext_commitment: bytes,
    envelope_digest: bytes,
    nonce: int,
) -> dict[str, Any]:
    """The EIP-712 ``Bid`` message for ``submitBid`` on registry ``contract``.

    ``nonce`` must exceed the bidder's last nonce in this tender (see
    :meth:`TenderRegistryContract.get_bid`); a higher nonce replaces the earlier bid.

    Raises:
        MalformedInput: a digest or the tender id is not 32 bytes, an address is
            malformed, ``chain_id`` <= 0 or ``nonce`` outside [1, 2**64 - 1].
    """
    return {
        "types": {"EIP712Domain": _DOMAIN_TYPE, "Bid": _BID_TYPE},
        "primaryType": "Bid",
        "domain": _domain(chain_id, contract),
        "message": {
            "tenderId": "0x" + _bytes32("tender_id", tender_id).hex(),
            "bidder": _address("bidder", bidder),
            "ciphertextDigest": "0x" + _bytes32("ciphertext_digest", ciphertext_digest).hex(),
            "plaintextCommitment": "0x"
            + _bytes32("plaintext_commitment", plaintext_commitment).hex(),
            "envelopeDigest": "0x" + _bytes32("envelope_digest", envelope_digest).hex(),
            "nonce": _nonce(nonce),
        },
    }


def withdrawal_typed_data(
    chain_id: int, contract: str, tender_id: bytes, bidder: str, nonce: int
) -> dict[str, Any]:
    """The EIP-712 ``Withdrawal`` message for ``withdrawBid`` on registry ``contract``.

    Bids and withdrawals share one nonce sequence per bidder and tender.

    Raises:
        MalformedInput: as for :func:`bid_typed_data`.
    """
    return {
        "types": {"EIP712Domain": _DOMAIN_TYPE, "Withdrawal": _WITHDRAWAL_TYPE},
        "primaryType": "Withdrawal",
        "domain": _domain(chain_id, contract),
        "message": {
            "tenderId": "0x" + _bytes32("tender_id", tender_id).hex(),
            "bidder": _address("bidder", bidder),
            "nonce": _nonce(nonce),
        },
    }


def _encode(typed: dict[str, Any]) -> Any:
    try:
        return encode_typed_data(full_message=typed)
    except (ValueError, TypeError, KeyError) as exc:
        raise MalformedInput(f"expected EIP-712 typed data, found: {exc}") from exc


def typed_data_digest(typed: dict[str, Any]) -> bytes:
    """The 32-byte EIP-712 digest of ``typed`` (what the contract's bidDigest returns)."""
    message = _encode(typed)
    return keccak(b"\x19" + message.version + message.header + message.body)


def sign_typed(account: LocalAccount, typed: dict[str, Any]) -> bytes:
    """Sign ``typed`` with ``account``; returns 65 bytes r || s || v (v 27 or 28, low s).

    Raises:
        MalformedInput: ``typed`` is not valid EIP-712 typed data.
    """
    return bytes(account.sign_message(_encode(typed)).signature)


def recover_typed_signer(typed: dict[str, Any], signature: bytes) -> ChecksumAddress:
    """The address whose key made ``signature`` over ``typed``, e.g. to check a bid
    before paying gas to relay it.

    Raises:
        MalformedInput: malformed typed data or signature.
    """
    message = _encode(typed)
    if not isinstance(signature, bytes) or len(signature) != 65:
        found = (
            f"{len(signature)} bytes" if isinstance(signature, bytes) else type(signature).__name__
        )
        raise MalformedInput(f"expected a 65-byte ECDSA signature, found {found}")
    try:
        signer: ChecksumAddress = Account.recover_message(message, signature=signature)
    except (ValueError, TypeError, EthValidationError) as exc:
        raise MalformedInput(f"expected a valid ECDSA signature, found: {exc}") from exc
    return signer


# -- on-chain state and events ------------------------------------------------


class TenderStatus(IntEnum):
    """ITenderRegistry.Status."""

    NONE = 0
    OPEN = 1
    OPENED = 2
    FAILED = 3
    CANCELLED = 4


@dataclass(frozen=True)
class TenderView:
    bid_deadline: int
    opening_time: int
    threshold: int
    custodian_count: int
    active_bids: int
    shares_released: int
    status: TenderStatus
    opening_key_hash: bytes
    commitments_hash: bytes
    opening_record_digest: bytes | None


@dataclass(frozen=True)
class BidView:
    """A bidder's current bid; after a withdrawal the digests are zero and ``active`` false."""

    ciphertext_digest: bytes
    plaintext_commitment: bytes
    envelope_digest: bytes
    nonce: int
    submitted_at: int
    active: bool


@dataclass(frozen=True)
class _Logged:
    tx_hash: str
    block_number: int
    block_hash: str
    log_index: int


@dataclass(frozen=True)
class TenderCreatedEvent(_Logged):
    tender_id: bytes
    bid_deadline: int
    opening_time: int
    threshold: int
    custodians: tuple[str, ...]
    opening_public_key: bytes
    share_commitments: bytes


@dataclass(frozen=True)
class BidderRegisteredEvent(_Logged):
    tender_id: bytes
    bidder: str


@dataclass(frozen=True)
class BidSubmittedEvent(_Logged):
    tender_id: bytes
    bidder: str
    ciphertext_digest: bytes
    plaintext_commitment: bytes
    envelope_digest: bytes
    nonce: int
    submitted_at: int


@dataclass(frozen=True)
class BidWithdrawnEvent(_Logged):
    tender_id: bytes
    bidder: str
    nonce: int
    withdrawn_at: int


@dataclass(frozen=True)
class ShareReleasedEvent(_Logged):
    tender_id: bytes
    index: int
    custodian: str
    share: bytes


@dataclass(frozen=True)
class TenderOpenedEvent(_Logged):
    tender_id: bytes
    opening_record_digest: bytes
    active_bids: int
    shares_released: int


@dataclass(frozen=True)
class TenderFailedEvent(_Logged):
    tender_id: bytes
    active_bids: int


@dataclass(frozen=True)
class TenderCancelledEvent(_Logged):
    tender_id: bytes
    reason_digest: bytes


TenderEvent = (
    TenderCreatedEvent
    | BidderRegisteredEvent
    | BidSubmittedEvent
    | BidWithdrawnEvent
    | ShareReleasedEvent
    | TenderOpenedEvent
    | TenderFailedEvent
    | TenderCancelledEvent
)
#: event name in the ABI -> its dataclass; fields follow the ABI's input order
_EVENT_TYPES: dict[str, type[_Logged]] = {
    "TenderCreated": TenderCreatedEvent,
    "BidderRegistered": BidderRegisteredEvent,
    "BidSubmitted": BidSubmittedEvent,
    "BidWithdrawn": BidWithdrawnEvent,
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
    return value


def _int(value: Any) -> int:
    return value if isinstance(value, int) else int(value, 16)


class _EventDecoder:
    """Decodes raw ``eth_getLogs`` entries of one ABI into the dataclasses above."""

    def __init__(self, abi: Sequence[dict[str, Any]]) -> None:
        self._by_topic: dict[bytes, dict[str, Any]] = {
            keccak(text=abi_to_signature(e)): e  # type: ignore[arg-type]
            for e in abi
            if e.get("type") == "event" and e["name"] in _EVENT_TYPES
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
        cls = _EVENT_TYPES[entry["name"]]
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


# -- the contract ---------------------------------------------------------------


class TenderRegistryContract(Eip712Wrapper):
    """Typed access to one deployed ``TenderRegistry``.

    Writes are signed by the client's signer: the operator for tender management,
    any funded account for relaying signed bids and withdrawals, a custodian's own
    client for :meth:`release_share`. Each raises :class:`ContractReverted` with the
    decoded ``TenderRegistry...`` error (e.g. ``TenderRegistryDeadlinePassed``). Reads
    take ``block_identifier`` (default ``"latest"``).
    """

    ARTIFACT = TENDER_REGISTRY

    def __init__(self, client: ChainClient, address: str) -> None:
        super().__init__(client, address)
        self._decoder = _EventDecoder(load_artifact(TENDER_REGISTRY)["abi"])

    # -- writes ----------------------------------------------------------------

    def create_tender(
        self,
        tender_id: bytes,
        bid_deadline: int,
        opening_time: int,
        custodians: Sequence[str],
        threshold: int,
        opening_public_key: bytes,
        share_commitments: bytes,
        *,
        on_sent: Callable[[str], None] | None = None,
    ) -> TxResult:
        """Create a tender (OPERATOR_ROLE). Times are chain time, Unix seconds."""
        fn = self.contract.functions.createTender(
            _bytes32("tender_id", tender_id),
            bid_deadline,
            opening_time,
            [_address("custodian", c) for c in custodians],
            threshold,
            opening_public_key,
            share_commitments,
        )
        return self._send(fn, on_sent)

    def register_bidder(
        self, tender_id: bytes, bidder: str, *, on_sent: Callable[[str], None] | None = None
    ) -> TxResult:
        """Admit ``bidder`` to the tender (OPERATOR_ROLE, before the deadline)."""
        fn = self.contract.functions.registerBidder(
            _bytes32("tender_id", tender_id), _address("bidder", bidder)
        )
        return self._send(fn, on_sent)

    def submit_bid(
        self,
        tender_id: bytes,
        bidder: str,
        ciphertext_digest: bytes,
        plaintext_commitment: bytes,
        envelope_digest: bytes,
        nonce: int,
        signature: bytes,
        *,
        on_sent: Callable[[str], None] | None = None,
    ) -> TxResult:
        """Relay ``bidder``'s bid, signed over :func:`bid_typed_data` with the same values."""
        fn = self.contract.functions.submitBid(
            _bytes32("tender_id", tender_id),
            _address("bidder", bidder),
            _bytes32("ciphertext_digest", ciphertext_digest),
            _bytes32("plaintext_commitment", plaintext_commitment),
            _bytes32("envelope_digest", envelope_digest),
            _nonce(nonce),
            signature,
        )
        return self._send(fn, on_sent)

    def withdraw_bid(
        self,
        tender_id: bytes,
        bidder: str,
        nonce: int,
        signature: bytes,
        *,
        on_sent: Callable[[str], None] | None = None,
    ) -> TxResult:
        """Relay ``bidder``'s withdrawal, signed over :func:`withdrawal_typed_data`."""
        fn = self.contract.functions.withdrawBid(
            _bytes32("tender_id", tender_id), _address("bidder", bidder), _nonce(nonce), signature
        )
        return self._send(fn, on_sent)

    def release_share(
        self,
        tender_id: bytes,
        index: int,
        share: bytes,
        *,
        on_sent: Callable[[str], None] | None = None,
    ) -> TxResult:
        """Publish the signer's key share ``index`` (1-based); the signer must be that custodian."""
        fn = self.contract.functions.releaseShare(
            _bytes32("tender_id", tender_id), index, _bytes32("share", share)
        )
        return self._send(fn, on_sent)

    def record_opening(
        self,
        tender_id: bytes,
        opening_record_digest: bytes,
        *,
        on_sent: Callable[[str], None] | None = None,
    ) -> TxResult:
        """Record the opening (OPERATOR_ROLE; needs ``threshold`` shares and MIN_BIDS bids)."""
        fn = self.contract.functions.recordOpening(
            _bytes32("tender_id", tender_id),
            _bytes32("opening_record_digest", opening_record_digest),
        )
        return self._send(fn, on_sent)

    def declare_failed(
        self, tender_id: bytes, *, on_sent: Callable[[str], None] | None = None
    ) -> TxResult:
        """End a tender that closed with fewer than MIN_BIDS bids (OPERATOR_ROLE)."""
        fn = self.contract.functions.declareFailed(_bytes32("tender_id", tender_id))
        return self._send(fn, on_sent)

    def cancel_tender(
        self,
        tender_id: bytes,
        reason_digest: bytes,
        *,
        on_sent: Callable[[str], None] | None = None,
    ) -> TxResult:
        """Cancel a tender that is still open (OPERATOR_ROLE)."""
        fn = self.contract.functions.cancelTender(
            _bytes32("tender_id", tender_id), _bytes32("reason_digest", reason_digest)
        )
        return self._send(fn, on_sent)

    def grant_operator(self, address: str) -> TxResult:
        """Give ``address`` OPERATOR_ROLE (the signer must hold the admin role)."""
        fn = self.contract.functions.grantRole(OPERATOR_ROLE, _address("operator", address))
        return self.client.send(fn)

    # -- reads -----------------------------------------------------------------

    def get_tender(
        self, tender_id: bytes, block_identifier: BlockIdentifier = "latest"
    ) -> TenderView:
        """The tender; status NONE (and zeros) for an id never created."""
        t = self._read(
            self.contract.functions.getTender(_bytes32("tender_id", tender_id)), block_identifier
        )
        record = bytes(t[9])
        return TenderView(
            bid_deadline=t[0],
            opening_time=t[1],
            threshold=t[2],
            custodian_count=t[3],
            active_bids=t[4],
            shares_released=t[5],
            status=TenderStatus(t[6]),
            opening_key_hash=bytes(t[7]),
            commitments_hash=bytes(t[8]),
            opening_record_digest=None if record == _ZERO32 else record,
        )

    def custodians(
        self, tender_id: bytes, block_identifier: BlockIdentifier = "latest"
    ) -> list[ChecksumAddress]:
        """The custodians in share-index order (custodian i holds share i, 1-based)."""
        fn = self.contract.functions.custodians(_bytes32("tender_id", tender_id))
        return [to_checksum_address(a) for a in self._read(fn, block_identifier)]

    def bidders(
        self, tender_id: bytes, block_identifier: BlockIdentifier = "latest"
    ) -> list[ChecksumAddress]:
        """The registered bidders in order of registration."""
        fn = self.contract.functions.bidders(_bytes32("tender_id", tender_id))
        return [to_checksum_address(a) for a in self._read(fn, block_identifier)]

    def is_bidder(
        self, tender_id: bytes, bidder: str, block_identifier: BlockIdentifier = "latest"
    ) -> bool:
        fn = self.contract.functions.isBidder(
            _bytes32("tender_id", tender_id), _address("bidder", bidder)
        )
        return bool(self._read(fn, block_identifier))

    def get_bid(
        self, tender_id: bytes, bidder: str, block_identifier: BlockIdentifier = "latest"
    ) -> BidView:
        """``bidder``'s current bid (all zero if none); ``nonce`` + 1 is the next usable nonce."""
        fn = self.contract.functions.getBid(
            _bytes32("tender_id", tender_id), _address("bidder", bidder)
        )
        b = self._read(fn, block_identifier)
        return BidView(bytes(b[0]), bytes(b[1]), bytes(b[2]), b[3], b[4], bool(b[5]))

    def released_share(
        self, tender_id: bytes, index: int, block_identifier: BlockIdentifier = "latest"
    ) -> bytes | None:
        """Share ``index`` (1-based) as released, or None if not released."""
        fn = self.contract.functions.releasedShare(_bytes32("tender_id", tender_id), index)
        share = bytes(self._read(fn, block_identifier))
        return None if share == _ZERO32 else share

    def bid_digest(
        self,
        tender_id: bytes,
        bidder: str,
        ciphertext_digest: bytes,
        plaintext_commitment: bytes,
        envelope_digest: bytes,
        nonce: int,
        block_identifier: BlockIdentifier = "latest",
    ) -> bytes:
        """The contract's EIP-712 digest of a Bid; equals ``typed_data_digest(bid_typed_data(...))``."""
        fn = self.contract.functions.bidDigest(
            _bytes32("tender_id", tender_id),
            _address("bidder", bidder),
            _bytes32("ciphertext_digest", ciphertext_digest),
            _bytes32("plaintext_commitment", plaintext_commitment),
            _bytes32("envelope_digest", envelope_digest),
            _nonce(nonce),
        )
        return bytes(self._read(fn, block_identifier))

    def withdrawal_digest(
        self,
        tender_id: bytes,
        bidder: str,
        nonce: int,
        block_identifier: BlockIdentifier = "latest",
    ) -> bytes:
        fn = self.contract.functions.withdrawalDigest(
            _bytes32("tender_id", tender_id), _address("bidder", bidder), _nonce(nonce)
        )
        return bytes(self._read(fn, block_identifier))

    # -- events ----------------------------------------------------------------

    def events(
        self,
        from_block: BlockIdentifier,
        to_block: BlockIdentifier = "latest",
        *,
        tender_id: bytes | None = None,
    ) -> list[TenderEvent]:
        """Every TenderRegistry event in ``[from_block, to_block]``, in chain order,
        optionally only those of ``tender_id`` (one ``eth_getLogs`` either way).

        An empty range (``from_block`` past ``to_block`` or the chain's head) is [].
        """
        if isinstance(from_block, int):
            last = to_block if isinstance(to_block, int) else self.client.block(to_block)["number"]
            if from_block > last:
                return []
        topics: list[Any] = [self._decoder.topics()]
        if tender_id is not None:
            topics.append("0x" + _bytes32("tender_id", tender_id).hex())
        query = {
            "address": [self.address],  # web3's request formatter wants a list here
            "fromBlock": hex(from_block) if isinstance(from_block, int) else from_block,
            "toBlock": hex(to_block) if isinstance(to_block, int) else to_block,
            "topics": topics,
        }
        logs = self.client.request("eth_getLogs", [query])
        events = [self._decoder.decode(dict(log)) for log in logs]
        found = [e for e in events if e is not None]
        return sorted(found, key=lambda e: (e.block_number, e.log_index))
