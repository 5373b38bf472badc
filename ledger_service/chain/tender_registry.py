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

from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3.types import BlockIdentifier

from ledger_service.chain.abi_values import address as _address
from ledger_service.chain.abi_values import bytes32 as _bytes32
from ledger_service.chain.client import ChainClient
from ledger_service.chain.compiled import load_artifact
from ledger_service.chain.tender_events import EventDecoder, TenderEvent
from ledger_service.chain.tender_messages import nonce_value
from ledger_service.chain.tx import TxResult
from ledger_service.chain.wrapper import Eip712Wrapper

TENDER_REGISTRY = "TenderRegistry"
OPERATOR_ROLE = keccak(text="OPERATOR_ROLE")
#: fewest active bids with which a tender may be opened (the contract's MIN_BIDS)
MIN_BIDS = 3
_ZERO32 = bytes(32)


# -- pure helpers: what a bidder signs ----------------------------------------


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
        self._decoder = EventDecoder(load_artifact(TENDER_REGISTRY)["abi"])

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
            nonce_value(nonce),
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
            _bytes32("tender_id", tender_id),
            _address("bidder", bidder),
            nonce_value(nonce),
            signature,
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
            nonce_value(nonce),
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
            _bytes32("tender_id", tender_id), _address("bidder", bidder), nonce_value(nonce)
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
