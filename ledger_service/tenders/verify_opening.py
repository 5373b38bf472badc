"""Repeat a tender's opening from the chain alone (``chainwitness tender verify-opening``).

Inputs: a JSON-RPC endpoint, the TenderRegistry address, the tender code and a
folder holding the ciphertexts (any file names; they are found by SHA-256). No
database, no service: the custodians' commitments, the released shares, the
bids' commitments and the opening record's digest all come from chain events.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account

from ledger_service.chain.client import ChainClient
from ledger_service.chain.eip712 import recover_typed_signer
from ledger_service.chain.tender_events import (
    BidRevealedEvent,
    ShareReleasedEvent,
    TenderOpenedEvent,
)
from ledger_service.chain.tender_messages import bid_typed_data, tender_id_bytes
from ledger_service.chain.tender_registry import TenderRegistryContract
from ledger_service.core import threshold
from ledger_service.core.errors import EvidenceError, NotFound
from ledger_service.tenders import opening
from ledger_service.tenders.chain_view import read_tender, revealed_bids

#: a revealed bid whose Bid signature is not its bidder's: rejected, never opened
BAD_SIGNATURE = "bad-signature"


@dataclass(frozen=True)
class OpeningCheck:
    record: dict[str, Any]
    digest: bytes
    on_chain_digest: bytes
    rejected: tuple[opening.BidOutcome, ...] = ()

    @property
    def matches(self) -> bool:
        return self.digest == self.on_chain_digest and not self.rejected


def check_bid_signatures(
    chain_id: int,
    registry: str,
    tender_id: bytes,
    revealed: list[tuple[opening.CommittedBid, BidRevealedEvent]],
) -> tuple[list[opening.CommittedBid], list[opening.BidOutcome]]:
    """Split revealed bids into those whose ``BidRevealed`` carries the bidder's own
    EIP-712 Bid signature over exactly these digests, and rejected ones (named)."""
    good, bad = [], []
    for bid, event in revealed:
        typed = bid_typed_data(chain_id, registry, tender_id, event.bidder, event.pseudonym,
                               event.ciphertext_digest, event.plaintext_commitment,
                               event.envelope_digest)  # fmt: skip
        signer: str
        try:
            signer = recover_typed_signer(typed, event.bidder_signature)
        except EvidenceError as exc:
            signer, why = "", str(exc)
        else:
            why = f"expected the Bid signed by {event.bidder}, found a signature of {signer}"
        if signer.lower() == event.bidder.lower():
            good.append(bid)
        else:
            bad.append(opening.BidOutcome(bid.bidder, bid.nonce, bid.ciphertext_sha256,
                                          BAD_SIGNATURE, why, None))  # fmt: skip
    return good, bad


def _index_ciphertexts(folder: Path) -> dict[str, Path]:
    """Files by the digest they claim: a 64-hex file name (the service's blob layout),
    otherwise their content's SHA-256. Opening checks the real digest either way, so a
    file that claims a digest it does not have is reported, as the service reports it."""
    found: dict[str, Path] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        if len(path.name) == 64 and all(ch in "0123456789abcdef" for ch in path.name):
            found[path.name] = path
        else:
            h = hashlib.sha256()
            with path.open("rb") as f:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
            found.setdefault(h.hexdigest(), path)
    return found


def verify_opening(
    rpc_url: str,
    registry_address: str,
    code: str,
    ciphertexts: Path,
    from_block: int = 0,
    chain_id: int | None = None,
) -> OpeningCheck:
    """Rebuild the key from released shares, re-check every revealed bid's signature,
    open every bid against the digests in its ``BidRevealed`` event, compare digests.

    An unreadable tender wrap is reported as the bidder's (``unreadable``): nothing here
    uses a bidder's own key. Raises NotFound when the chain has no such tender or no
    opening yet, and VerificationFailed when the shares do not rebuild the tender key.
    With ``chain_id`` (e.g. a pinned policy's) the endpoint must serve that chain
    (ConfigurationError otherwise).
    """
    client = ChainClient(rpc_url, Account.create(), chain_id, retries=2)
    registry = TenderRegistryContract(client, registry_address)
    tid = tender_id_bytes(code)
    tender = read_tender(registry, tid, from_block)
    group = tender.group()
    events = registry.events(from_block, "latest", tender_id=tid)
    opened = [e for e in events if isinstance(e, TenderOpenedEvent)]
    if not opened:
        raise NotFound(f"expected an opening of tender {code} on chain, found none yet")
    released = {
        e.index: threshold.share_from_bytes(e.share)
        for e in events
        if isinstance(e, ShareReleasedEvent)
    }
    secret, invalid = opening.rebuild_key(group, released)
    committed, rejected = check_bid_signatures(
        client.chain_id, registry.address, tid, revealed_bids(registry, tid, from_block)
    )
    files = _index_ciphertexts(ciphertexts)
    with tempfile.TemporaryDirectory(prefix="cw-verify-opening-") as out:
        outcomes = opening.open_all(committed, files, threshold.share_to_bytes(secret), Path(out))
    record, digest = opening.opening_record(code, group, released, invalid, [*outcomes, *rejected])
    return OpeningCheck(record, digest, opened[0].opening_record_digest, tuple(rejected))
