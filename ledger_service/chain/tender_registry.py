"""Typed access to one deployed TenderRegistry 2 (docs/threshold-keys.md section 10).

Writes are signed by the client's signer: the operator for tender management and
for relaying (dealings, complaints, key approvals, sealed bids, reveals: each carries
its author's own EIP-712 signature, checked on chain), a custodian's own client for
:meth:`TenderRegistryContract.register_custodian_key` and
:meth:`TenderRegistryContract.release_share`. Each write raises
:class:`~ledger_service.chain.tx.ContractReverted` with the decoded
``TenderRegistry...`` error. Reads take ``block_identifier`` (default ``"latest"``).
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
#: fewest revealed bids with which shares are accepted and a tender opened (MIN_BIDS)
MIN_BIDS = 3
#: gas limit of releaseShare, sent without an estimate (it never needs 150,000)
RELEASE_SHARE_GAS = 300_000
_ZERO32 = bytes(32)
OnSent = Callable[[str], None] | None


class TenderStatus(IntEnum):
    """ITenderRegistry.Status."""

    NONE = 0
    OPEN = 1
    OPENED = 2
    FAILED = 3
    CANCELLED = 4
    KEY_GENERATION = 5


@dataclass(frozen=True)
class TenderView:
    """ITenderRegistry.TenderView; hashes are 32 bytes (zero until set)."""

    dealing_deadline: int
    complaint_deadline: int
    bid_deadline: int
    opening_time: int
    round: int
    threshold: int
    custodian_count: int
    revealed_bids: int
    shares_released: int
    status: TenderStatus
    custodian_keys_hash: bytes
    opening_key_hash: bytes
    commitments_hash: bytes
    transcript_hash: bytes
    opening_record_digest: bytes | None


@dataclass(frozen=True)
class SealedBidView:
    """A pseudonym's current sealed bid (after a withdrawal: zero commitment, inactive)."""

    commitment: bytes
    nonce: int
    submitted_at: int
    active: bool
    revealed: bool


@dataclass(frozen=True)
class BidView:
    """A revealed bid (all zero before its reveal)."""

    pseudonym: ChecksumAddress
    ciphertext_digest: bytes
    plaintext_commitment: bytes
    envelope_digest: bytes
    submitted_at: int
    revealed_at: int


@dataclass(frozen=True)
class BidReveal:
    """ITenderRegistry.BidReveal: what a sealed commitment opens to."""

    bidder: str
    salt: bytes
    ciphertext_digest: bytes
    plaintext_commitment: bytes
    envelope_digest: bytes

    def abi(self) -> tuple[Any, ...]:
        return (
            _address("bidder", self.bidder), _bytes32("salt", self.salt),
            _bytes32("ciphertext_digest", self.ciphertext_digest),
            _bytes32("plaintext_commitment", self.plaintext_commitment),
            _bytes32("envelope_digest", self.envelope_digest),
        )  # fmt: skip


class TenderRegistryContract(Eip712Wrapper):
    """Typed access to one deployed ``TenderRegistry`` (version "TenderRegistry 2")."""

    ARTIFACT = TENDER_REGISTRY

    def __init__(self, client: ChainClient, address: str) -> None:
        super().__init__(client, address)
        self._decoder = EventDecoder(load_artifact(TENDER_REGISTRY)["abi"])

    def _f(self) -> Any:
        return self.contract.functions

    # -- custodian identity ------------------------------------------------------

    def register_custodian_key(self, key: bytes, *, on_sent: OnSent = None) -> TxResult:
        """Register the signer's own 33-byte encryption key (sent by the custodian itself)."""
        return self._send(self._f().registerCustodianKey(key), on_sent)

    # -- key generation ----------------------------------------------------------

    def create_tender(
        self, tender_id: bytes, dealing_deadline: int, complaint_deadline: int,
        bid_deadline: int, opening_time: int, custodians: Sequence[str], threshold: int,
        *, on_sent: OnSent = None,
    ) -> TxResult:  # fmt: skip
        """Create a tender in KeyGeneration (OPERATOR_ROLE); keys come from the registry."""
        fn = self._f().createTender(
            _bytes32("tender_id", tender_id), dealing_deadline, complaint_deadline,
            bid_deadline, opening_time, [_address("custodian", c) for c in custodians], threshold,
        )  # fmt: skip
        return self._send(fn, on_sent)

    def post_dealing(
        self,
        tender_id: bytes,
        dealer: int,
        body: bytes,
        signature: bytes,
        *,
        on_sent: OnSent = None,
    ) -> TxResult:
        """Relay custodian ``dealer``'s signed dealing body."""
        fn = self._f().postDealing(_bytes32("tender_id", tender_id), dealer, body, signature)
        return self._send(fn, on_sent)

    def post_complaints(
        self,
        tender_id: bytes,
        accuser: int,
        body: bytes,
        signature: bytes,
        *,
        on_sent: OnSent = None,
    ) -> TxResult:
        """Relay custodian ``accuser``'s signed complaint bundle."""
        fn = self._f().postComplaints(_bytes32("tender_id", tender_id), accuser, body, signature)
        return self._send(fn, on_sent)

    def finalize_key(
        self, tender_id: bytes, opening_public_key: bytes, share_commitments: bytes,
        approvers: Sequence[int], signatures: Sequence[bytes], *, on_sent: OnSent = None,
    ) -> TxResult:  # fmt: skip
        """Relay the opening key with its custodians' KeyApproval signatures."""
        fn = self._f().finalizeKey(
            _bytes32("tender_id", tender_id), opening_public_key, share_commitments,
            list(approvers), list(signatures),
        )  # fmt: skip
        return self._send(fn, on_sent)

    def restart_key_generation(
        self, tender_id: bytes, dealing_deadline: int, complaint_deadline: int,
        *, on_sent: OnSent = None,
    ) -> TxResult:  # fmt: skip
        """Start a new round when fewer than t dealers qualified (OPERATOR_ROLE)."""
        fn = self._f().restartKeyGeneration(
            _bytes32("tender_id", tender_id), dealing_deadline, complaint_deadline
        )
        return self._send(fn, on_sent)

    # -- bids ----------------------------------------------------------------------

    def register_bidder(
        self, tender_id: bytes, pseudonym: str, *, on_sent: OnSent = None
    ) -> TxResult:
        """Admit a bidder's per-tender pseudonym (OPERATOR_ROLE, before the deadline)."""
        fn = self._f().registerBidder(
            _bytes32("tender_id", tender_id), _address("pseudonym", pseudonym)
        )
        return self._send(fn, on_sent)

    def submit_bid(
        self, tender_id: bytes, pseudonym: str, commitment: bytes, nonce: int, signature: bytes,
        *, on_sent: OnSent = None,
    ) -> TxResult:  # fmt: skip
        """Relay the pseudonym's signed SealedBid."""
        fn = self._f().submitBid(
            _bytes32("tender_id", tender_id), _address("pseudonym", pseudonym),
            _bytes32("commitment", commitment), nonce_value(nonce), signature,
        )  # fmt: skip
        return self._send(fn, on_sent)

    def withdraw_bid(
        self,
        tender_id: bytes,
        pseudonym: str,
        nonce: int,
        signature: bytes,
        *,
        on_sent: OnSent = None,
    ) -> TxResult:
        """Relay the pseudonym's signed Withdrawal."""
        fn = self._f().withdrawBid(
            _bytes32("tender_id", tender_id), _address("pseudonym", pseudonym),
            nonce_value(nonce), signature,
        )  # fmt: skip
        return self._send(fn, on_sent)

    def reveal_bid(
        self, tender_id: bytes, pseudonym: str, reveal: BidReveal, bidder_signature: bytes,
        *, on_sent: OnSent = None,
    ) -> TxResult:  # fmt: skip
        """Open a sealed bid to its bidder's signed Bid (bid deadline .. opening time)."""
        fn = self._f().revealBid(
            _bytes32("tender_id", tender_id), _address("pseudonym", pseudonym), reveal.abi(),
            bidder_signature,
        )  # fmt: skip
        return self._send(fn, on_sent)

    # -- opening -------------------------------------------------------------------

    def release_share(
        self, tender_id: bytes, index: int, share: bytes, *, on_sent: OnSent = None
    ) -> TxResult:
        """Publish the signer's share ``index`` (1-based). Sent with a fixed gas limit and
        no estimate: the share leaves the process only in the signed transaction."""
        fn = self._f().releaseShare(
            _bytes32("tender_id", tender_id), index, _bytes32("share", share)
        )
        return self._send(fn, on_sent, gas=RELEASE_SHARE_GAS)

    def record_opening(
        self, tender_id: bytes, opening_record_digest: bytes, *, on_sent: OnSent = None
    ) -> TxResult:
        """Record the opening (OPERATOR_ROLE; needs t shares and MIN_BIDS revealed bids)."""
        fn = self._f().recordOpening(
            _bytes32("tender_id", tender_id),
            _bytes32("opening_record_digest", opening_record_digest),
        )
        return self._send(fn, on_sent)

    def declare_failed(self, tender_id: bytes, *, on_sent: OnSent = None) -> TxResult:
        """End a tender with too few revealed bids or no key at its opening time."""
        return self._send(self._f().declareFailed(_bytes32("tender_id", tender_id)), on_sent)

    def cancel_tender(
        self, tender_id: bytes, reason_digest: bytes, *, on_sent: OnSent = None
    ) -> TxResult:
        """Cancel a tender before its bid deadline (OPERATOR_ROLE)."""
        fn = self._f().cancelTender(
            _bytes32("tender_id", tender_id), _bytes32("reason_digest", reason_digest)
        )
        return self._send(fn, on_sent)

    def grant_operator(self, address: str) -> TxResult:
        """Give ``address`` OPERATOR_ROLE (the signer must hold the admin role)."""
        fn = self._f().grantRole(OPERATOR_ROLE, _address("operator", address))
        return self.client.send(fn)

    # -- reads -----------------------------------------------------------------------

    def custodian_key(self, custodian: str, block_identifier: BlockIdentifier = "latest") -> bytes:
        """``custodian``'s registered encryption key (empty if none)."""
        return bytes(
            self._read(self._f().custodianKey(_address("custodian", custodian)), block_identifier)
        )

    def get_tender(
        self, tender_id: bytes, block_identifier: BlockIdentifier = "latest"
    ) -> TenderView:
        """The tender; status NONE (and zeros) for an id never created."""
        t = self._read(self._f().getTender(_bytes32("tender_id", tender_id)), block_identifier)
        record = bytes(t[14])
        return TenderView(
            dealing_deadline=t[0], complaint_deadline=t[1], bid_deadline=t[2],
            opening_time=t[3], round=t[4], threshold=t[5], custodian_count=t[6],
            revealed_bids=t[7], shares_released=t[8], status=TenderStatus(t[9]),
            custodian_keys_hash=bytes(t[10]), opening_key_hash=bytes(t[11]),
            commitments_hash=bytes(t[12]), transcript_hash=bytes(t[13]),
            opening_record_digest=None if record == _ZERO32 else record,
        )  # fmt: skip

    def custodians(
        self, tender_id: bytes, block_identifier: BlockIdentifier = "latest"
    ) -> list[ChecksumAddress]:
        """The custodians in index order (custodian i deals as i and holds share i)."""
        fn = self._f().custodians(_bytes32("tender_id", tender_id))
        return [to_checksum_address(a) for a in self._read(fn, block_identifier)]

    def custodian_keys(
        self, tender_id: bytes, block_identifier: BlockIdentifier = "latest"
    ) -> list[bytes]:
        """The custodians' keys as copied at creation, in index order (33 bytes each)."""
        blob = bytes(
            self._read(self._f().custodianKeys(_bytes32("tender_id", tender_id)), block_identifier)
        )
        return [blob[i : i + 33] for i in range(0, len(blob), 33)]

    def _round_hash(
        self, name: str, tender_id: bytes, round_: int, index: int, block: BlockIdentifier
    ) -> bytes | None:
        fn = getattr(self._f(), name)(_bytes32("tender_id", tender_id), round_, index)
        h = bytes(self._read(fn, block))
        return None if h == _ZERO32 else h

    def dealing_hash(
        self,
        tender_id: bytes,
        round_: int,
        index: int,
        block_identifier: BlockIdentifier = "latest",
    ) -> bytes | None:
        """keccak of custodian ``index``'s dealing body in ``round_``, None if none."""
        return self._round_hash("dealingHash", tender_id, round_, index, block_identifier)

    def complaints_hash(
        self,
        tender_id: bytes,
        round_: int,
        index: int,
        block_identifier: BlockIdentifier = "latest",
    ) -> bytes | None:
        """keccak of custodian ``index``'s complaint bundle in ``round_``, None if none."""
        return self._round_hash("complaintsHash", tender_id, round_, index, block_identifier)

    def dealings_hash(
        self, tender_id: bytes, block_identifier: BlockIdentifier = "latest"
    ) -> bytes:
        return bytes(
            self._read(self._f().dealingsHash(_bytes32("tender_id", tender_id)), block_identifier)
        )

    def transcript_hash(
        self, tender_id: bytes, block_identifier: BlockIdentifier = "latest"
    ) -> bytes:
        """The current round's transcript hash, computed by the contract."""
        return bytes(
            self._read(self._f().transcriptHash(_bytes32("tender_id", tender_id)), block_identifier)
        )

    def is_registered(
        self, tender_id: bytes, pseudonym: str, block_identifier: BlockIdentifier = "latest"
    ) -> bool:
        fn = self._f().isRegistered(
            _bytes32("tender_id", tender_id), _address("pseudonym", pseudonym)
        )
        return bool(self._read(fn, block_identifier))

    def get_sealed_bid(
        self, tender_id: bytes, pseudonym: str, block_identifier: BlockIdentifier = "latest"
    ) -> SealedBidView:
        fn = self._f().getSealedBid(
            _bytes32("tender_id", tender_id), _address("pseudonym", pseudonym)
        )
        b = self._read(fn, block_identifier)
        return SealedBidView(bytes(b[0]), b[1], b[2], bool(b[3]), bool(b[4]))

    def get_bid(
        self, tender_id: bytes, bidder: str, block_identifier: BlockIdentifier = "latest"
    ) -> BidView:
        """``bidder``'s revealed bid (all zero before its reveal)."""
        fn = self._f().getBid(_bytes32("tender_id", tender_id), _address("bidder", bidder))
        b = self._read(fn, block_identifier)
        return BidView(to_checksum_address(b[0]), bytes(b[1]), bytes(b[2]), bytes(b[3]), b[4], b[5])

    def bidders(
        self, tender_id: bytes, block_identifier: BlockIdentifier = "latest"
    ) -> list[ChecksumAddress]:
        """The revealed bidders in order of reveal (empty before the bid deadline)."""
        fn = self._f().bidders(_bytes32("tender_id", tender_id))
        return [to_checksum_address(a) for a in self._read(fn, block_identifier)]

    def released_share(
        self, tender_id: bytes, index: int, block_identifier: BlockIdentifier = "latest"
    ) -> bytes | None:
        """Share ``index`` (1-based) as released, or None if not released."""
        share = bytes(
            self._read(
                self._f().releasedShare(_bytes32("tender_id", tender_id), index), block_identifier
            )
        )
        return None if share == _ZERO32 else share

    # -- events ----------------------------------------------------------------------

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
