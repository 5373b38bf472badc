"""Shared steps of the tender tests: an honest key generation, sealing and bidding."""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import AsyncIterator

from eth_account.signers.local import LocalAccount

from ledger_service.chain.eip712 import sign_typed
from ledger_service.chain.tender_messages import (
    bid_typed_data,
    sealed_bid_commitment,
    sealed_bid_typed_data,
    tender_id_bytes,
)
from ledger_service.core import sealing
from ledger_service.tenders.bidder import bidder_public_key, pseudonym_of
from ledger_service.tenders.model import BidReceipt, Party, Schedule, SignedBid

from .conftest import World

CODE = "GC-2026-0417"


def announce(world: World, t: int = 3, code: str = CODE) -> Schedule:
    now = world.chain_time()
    schedule = Schedule(now + 100, now + 200, now + 3600, now + 7200)
    world.tenders.announce(code, "市政道路改造工程 road works", schedule, t,
                           [(a.name, a.address) for a in world.agents])  # fmt: skip
    world.schedule = schedule
    return schedule


def generate_key(world: World, online: slice = slice(None)) -> None:
    """The custodians deal, judge and approve, each from its own reading of the chain."""
    assert world.schedule is not None
    world.step_agents(online)
    world.advance_to(world.schedule.dealing_deadline)
    world.step_agents(online)
    world.advance_to(world.schedule.complaint_deadline)
    world.step_agents(online)


def open_for_bids(world: World, n_bidders: int, code: str = CODE) -> None:
    doc = b"tender documents v1"
    world.tenders.issue_documents(code, hashlib.sha256(doc).hexdigest(), "招标文件.pdf")
    tid = tender_id_bytes(code)
    for i, b in enumerate(world.bidders[:n_bidders]):
        party = Party(f"投标人{i}", b.address, bidder_public_key(b))
        world.tenders.register_bidder(code, party, pseudonym_of(b, tid).address)


def seal(
    world: World, bidder: LocalAccount, document: bytes, code: str = CODE
) -> tuple[bytes, sealing.SealResult]:
    key = bytes.fromhex(world.views.public_view(code)["opening_public_key"])
    dst = io.BytesIO()
    res = sealing.seal_stream(
        io.BytesIO(document), dst, tender_id=code, bidder=bidder.address, tender_public_key=key,
        bidder_public_key=bidder_public_key(bidder), chunk_size=16384,
    )  # fmt: skip
    return dst.getvalue(), res


def signed_bid(
    world: World, bidder: LocalAccount, res: sealing.SealResult, nonce: int,
    bid_signer: LocalAccount | None = None, code: str = CODE,
) -> SignedBid:  # fmt: skip
    tid = tender_id_bytes(code)
    chain_id, registry = world.tenders._client.chain_id, world.tenders.registry_address  # noqa: SLF001
    pseudonym = pseudonym_of(bidder, tid)
    salt = hashlib.sha256(b"salt" + bidder.address.encode() + bytes([nonce])).digest()
    commitment = sealed_bid_commitment(tid, bidder.address, salt, res.ciphertext_sha256,
                                       res.plaintext_commitment, res.envelope_digest)  # fmt: skip
    sealed_sig = sign_typed(pseudonym, sealed_bid_typed_data(chain_id, registry, tid,
                                                             pseudonym.address, commitment, nonce))  # fmt: skip
    bid_sig = sign_typed(bid_signer or bidder, bid_typed_data(
        chain_id, registry, tid, bidder.address, pseudonym.address, res.ciphertext_sha256,
        res.plaintext_commitment, res.envelope_digest))  # fmt: skip
    return SignedBid(bidder.address, pseudonym.address, nonce, salt.hex(),
                     res.plaintext_commitment.hex(), res.envelope_digest.hex(), sealed_sig, bid_sig)  # fmt: skip


async def _stream(data: bytes) -> AsyncIterator[bytes]:
    for i in range(0, len(data), 65536):
        yield data[i : i + 65536]


def submit(world: World, bid: SignedBid, envelope: bytes, code: str = CODE) -> BidReceipt:
    return asyncio.run(world.tenders.submit_bid(code, bid, _stream(envelope)))


def bid(world: World, bidder: LocalAccount, document: bytes, nonce: int = 1) -> BidReceipt:
    env, res = seal(world, bidder, document)
    return submit(world, signed_bid(world, bidder, res, nonce), env)
