"""A tender as one party reads it from the chain it trusts, with no word from the service.

Custodian agents, bidder clients and verifiers each build a :class:`TenderOnChain`
from their own JSON-RPC endpoint and pinned registry address: the schedule, the
custodians and their keys as copied at creation, the current round's signed
dealings and complaints (from the events), the contract's own transcript hash and,
once accepted, the opening key. :func:`outcome` then applies the public qualified-set
rule (docs/threshold-keys.md 10.5) to what was read.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils.address import to_canonical_address
from eth_utils.crypto import keccak
from web3.types import BlockIdentifier

from ledger_service.chain.tender_events import (
    BidRevealedEvent,
    BidSealedEvent,
    ComplaintsPostedEvent,
    DealingPostedEvent,
    KeyFinalizedEvent,
    TenderCreatedEvent,
)
from ledger_service.chain.tender_registry import TenderRegistryContract, TenderStatus, TenderView
from ledger_service.core import threshold
from ledger_service.core.errors import NotFound, VerificationFailed
from ledger_service.tenders.opening import CommittedBid


@dataclass(frozen=True)
class TenderOnChain:
    """What the chain says about one tender (current key-generation round)."""

    tender_id: bytes
    view: TenderView
    custodians: tuple[str, ...]
    keys: tuple[bytes, ...]
    setup: threshold.DkgSetup
    dealings: dict[int, threshold.Posted]
    complaints: dict[int, threshold.Posted]
    transcript_hash: bytes
    finalized: KeyFinalizedEvent | None

    def group(self) -> threshold.GroupKey:
        """The accepted opening key with its commitments, as KeyFinalized carries them.

        Raises NotFound before finalizeKey.
        """
        if self.finalized is None:
            raise NotFound("expected an accepted opening key on chain, found none yet")
        blob = self.finalized.share_commitments
        return threshold.GroupKey(
            t=self.setup.t, n=self.setup.n,
            commitments=tuple(blob[i : i + 33] for i in range(0, len(blob), 33)),
            qualified=tuple(range(1, self.setup.n + 1)),  # which dealers is not on chain
        )  # fmt: skip


def read_tender(
    registry: TenderRegistryContract,
    tender_id: bytes,
    from_block: BlockIdentifier = 0,
) -> TenderOnChain:
    """Read tender ``tender_id`` from ``registry`` (its client's endpoint).

    Raises:
        NotFound: the registry has no such tender.
        VerificationFailed: the chain's answers disagree with each other (keys not
            matching their hash, a KeyFinalized whose key is not the stored one).
    """
    view = registry.get_tender(tender_id)
    if view.status == TenderStatus.NONE:
        raise NotFound(f"expected tender {tender_id.hex()} on {registry.address}, found none")
    custodians = tuple(registry.custodians(tender_id))
    keys = tuple(registry.custodian_keys(tender_id))
    setup = threshold.DkgSetup(
        registry.client.chain_id, to_canonical_address(registry.address), tender_id, view.round,
        view.threshold, tuple(to_canonical_address(c) for c in custodians), keys,
    )  # fmt: skip
    if setup.keys_hash != view.custodian_keys_hash:
        raise VerificationFailed(
            "expected custodianKeys() to match custodianKeysHash, found other keys"
        )
    dealings: dict[int, threshold.Posted] = {}
    complaints: dict[int, threshold.Posted] = {}
    finalized = None
    for e in registry.events(from_block, "latest", tender_id=tender_id):
        if isinstance(e, DealingPostedEvent) and e.round == view.round:
            dealings[e.dealer] = threshold.Posted(e.body, e.signature)
        elif isinstance(e, ComplaintsPostedEvent) and e.round == view.round:
            complaints[e.accuser] = threshold.Posted(e.body, e.signature)
        elif isinstance(e, KeyFinalizedEvent):
            finalized = e
    if finalized is not None and keccak(finalized.opening_public_key) != view.opening_key_hash:
        raise VerificationFailed(
            "expected KeyFinalized to carry the stored opening key, found another"
        )
    return TenderOnChain(
        tender_id, view, custodians, keys, setup, dealings, complaints,
        registry.transcript_hash(tender_id), finalized,
    )  # fmt: skip


def outcome(tender: TenderOnChain) -> threshold.Outcome:
    """The qualified set and key by the public rule, from what was read."""
    return threshold.qualify_transcript(tender.setup, tender.dealings, tender.complaints)


def created_event(registry: TenderRegistryContract, tender_id: bytes) -> TenderCreatedEvent | None:
    for e in registry.events(0, "latest", tender_id=tender_id):
        if isinstance(e, TenderCreatedEvent):
            return e
    return None


def revealed_bids(
    registry: TenderRegistryContract, tender_id: bytes, from_block: BlockIdentifier = 0
) -> list[tuple[CommittedBid, BidRevealedEvent]]:
    """The revealed bids from the chain's events, each with the nonce of the sealed bid
    it opened (the pseudonym's last BidSealed before the reveal)."""
    nonces: dict[str, int] = {}
    out = []
    for e in registry.events(from_block, "latest", tender_id=tender_id):
        if isinstance(e, BidSealedEvent):
            nonces[e.pseudonym] = e.nonce
        elif isinstance(e, BidRevealedEvent):
            bid = CommittedBid(
                e.bidder, nonces.get(e.pseudonym, 0), e.ciphertext_digest.hex(),
                e.plaintext_commitment.hex(), e.envelope_digest.hex(),
            )  # fmt: skip
            out.append((bid, e))
    return out
