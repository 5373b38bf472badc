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
from ledger_service.chain.tender_events import (
    BidSubmittedEvent,
    ShareReleasedEvent,
    TenderCreatedEvent,
    TenderOpenedEvent,
)
from ledger_service.chain.tender_messages import tender_id_bytes
from ledger_service.chain.tender_registry import TenderRegistryContract
from ledger_service.core import threshold
from ledger_service.core.errors import NotFound, VerificationFailed
from ledger_service.tenders import opening


@dataclass(frozen=True)
class OpeningCheck:
    record: dict[str, Any]
    digest: bytes
    on_chain_digest: bytes

    @property
    def matches(self) -> bool:
        return self.digest == self.on_chain_digest


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
    rpc_url: str, registry_address: str, code: str, ciphertexts: Path, from_block: int = 0
) -> OpeningCheck:
    """Rebuild the key from released shares, open every committed bid, compare digests.

    Raises NotFound when the chain has no such tender or no opening yet, and
    VerificationFailed when the shares do not rebuild the tender key.
    """
    client = ChainClient(rpc_url, Account.create(), None, retries=2)
    registry = TenderRegistryContract(client, registry_address)
    tid = tender_id_bytes(code)
    events = registry.events(from_block, "latest", tender_id=tid)
    created = [e for e in events if isinstance(e, TenderCreatedEvent)]
    opened = [e for e in events if isinstance(e, TenderOpenedEvent)]
    if not created:
        raise NotFound(f"expected tender {code} on TenderRegistry {registry_address}, found none")
    if not opened:
        raise NotFound(f"expected an opening of tender {code} on chain, found none yet")
    c = created[0]
    t, blob = c.threshold, c.share_commitments
    group = threshold.GroupKey(
        t=t, n=len(c.custodians),
        commitments=tuple(blob[i : i + 33] for i in range(0, len(blob), 33)),
        # which dealers qualified is not on chain and does not matter for checking
        # shares: only the commitments do
        qualified=tuple(range(1, len(c.custodians) + 1)),
    )  # fmt: skip
    if group.public_key != c.opening_public_key:
        raise VerificationFailed(
            "expected the first commitment to be the opening key, found another"
        )
    released = {
        e.index: threshold.share_from_bytes(e.share)
        for e in events
        if isinstance(e, ShareReleasedEvent)
    }
    secret, invalid = opening.rebuild_key(group, released)
    bidders = sorted({e.bidder for e in events if isinstance(e, BidSubmittedEvent)})
    committed = []
    for bidder in bidders:
        bid = registry.get_bid(tid, bidder)
        if bid.active:
            committed.append(opening.CommittedBid(
                bidder, bid.nonce, bid.ciphertext_digest.hex(), bid.plaintext_commitment.hex(),
                bid.envelope_digest.hex(),
            ))  # fmt: skip
    files = _index_ciphertexts(ciphertexts)
    with tempfile.TemporaryDirectory(prefix="cw-verify-opening-") as out:
        outcomes = opening.open_all(committed, files, threshold.share_to_bytes(secret), Path(out))
    record, digest = opening.opening_record(code, group, released, invalid, outcomes)
    return OpeningCheck(record, digest, opened[0].opening_record_digest)
