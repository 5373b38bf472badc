"""A whole tender against a real anvil: key generation by custodians, sealed bids,
chain-time deadlines, opening without bidders, and the attacks that must fail."""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from ledger_service.chain.eip712 import sign_typed
from ledger_service.chain.tender_messages import bid_typed_data, tender_id_bytes
from ledger_service.chain.tx import ContractReverted
from ledger_service.core import sealing
from ledger_service.core.errors import DeadlinePassed, VerificationFailed
from ledger_service.tenders import opening
from ledger_service.tenders.bidder import bidder_public_key
from ledger_service.tenders.lifecycle import State

from .conftest import World

pytestmark = pytest.mark.integration
CODE = "GC-2026-0417"


async def _stream(data: bytes) -> AsyncIterator[bytes]:
    for i in range(0, len(data), 65536):
        yield data[i : i + 65536]


def seal(world: World, bidder: LocalAccount, document: bytes) -> tuple[bytes, sealing.SealResult]:
    t = world.views.public_view(CODE)
    dst = io.BytesIO()
    res = sealing.seal_stream(
        io.BytesIO(document), dst, tender_id=CODE, bidder=bidder.address,
        tender_public_key=bytes.fromhex(t["opening_public_key"]),
        bidder_public_key=bidder_public_key(bidder), chunk_size=16384,
    )  # fmt: skip
    return dst.getvalue(), res


def submit(
    world: World,
    bidder: LocalAccount,
    envelope: bytes,
    res: sealing.SealResult,
    nonce: int,
    signer: LocalAccount | None = None,
):  # type: ignore[no-untyped-def]
    chain = world.views.public_view(CODE)["chain"]
    typed = bid_typed_data(chain["chain_id"], chain["tender_registry"], tender_id_bytes(CODE),
                           bidder.address, res.ciphertext_sha256, res.plaintext_commitment,
                           res.envelope_digest, nonce)  # fmt: skip
    signature = sign_typed(signer or bidder, typed)
    return asyncio.run(world.tenders.submit_bid(
        CODE, bidder.address, nonce, res.plaintext_commitment.hex(), res.envelope_digest.hex(),
        signature, _stream(envelope)))  # fmt: skip


def setup_tender(world: World, n_bidders: int) -> None:
    now = world.chain_time()
    world.tenders.announce(CODE, "市政道路改造工程 road works", now + 3600, now + 7200, 3,
                           [a.party_info() for a in world.agents])  # fmt: skip
    for agent, (client, registry) in zip(world.agents, world.agent_chain, strict=True):
        agent.step(world.tenders, client, registry)  # each custodian deals
    group = world.tenders.finalize_key(CODE)
    assert group.t == 3 and len(group.commitments) == 3
    doc = b"tender documents v1"
    world.tenders.issue_documents(CODE, hashlib.sha256(doc).hexdigest(), "招标文件.pdf")
    for i, b in enumerate(world.bidders[:n_bidders]):
        world.tenders.register_bidder(CODE, world.party(b, f"投标人{i}"))


def test_full_tender_opens_without_bidders_and_flags_tampering(
    world: World, tmp_path: Path
) -> None:
    setup_tender(world, 6)
    docs = {
        b.address: (f"bid of {i} ".encode() * (3000 + i)) for i, b in enumerate(world.bidders[:6])
    }
    receipts = {}
    for b in world.bidders[:6]:
        env, res = seal(world, b, docs[b.address])
        receipts[b.address] = submit(world, b, env, res, nonce=1)
        assert receipts[b.address].ciphertext_sha256 == res.ciphertext_sha256.hex()
    # bidder 0 replaces its bid before the deadline
    b0 = world.bidders[0]
    docs[b0.address] = b"replacement bid " * 500
    env, res = seal(world, b0, docs[b0.address])
    submit(world, b0, env, res, nonce=2)
    # bidder 5 withdraws
    from ledger_service.chain.tender_messages import withdrawal_typed_data

    b5 = world.bidders[5]
    chain = world.views.public_view(CODE)["chain"]
    sig = sign_typed(b5, withdrawal_typed_data(chain["chain_id"], chain["tender_registry"],
                                               tender_id_bytes(CODE), b5.address, 2))  # fmt: skip
    world.tenders.withdraw_bid(CODE, b5.address, 2, sig)
    del docs[b5.address]

    # an attacker alters bidder 3's stored ciphertext
    victim = receipts[world.bidders[3].address]
    path = world.services.blobs.open(victim.ciphertext_sha256)
    data = bytearray(path.read_bytes())
    data[-100] ^= 0x01
    path.write_bytes(bytes(data))

    # ... and swaps bidder 4's stored ciphertext for bidder 2's (a valid envelope)
    swapped = receipts[world.bidders[4].address]
    world.services.blobs.open(swapped.ciphertext_sha256).write_bytes(
        world.services.blobs.open(receipts[world.bidders[2].address].ciphertext_sha256).read_bytes()
    )

    world.advance_to(world.views.public_view(CODE)["opening_time"])
    # two custodians are offline; three release their shares
    for agent, (client, registry) in list(zip(world.agents, world.agent_chain, strict=True))[:3]:
        agent.step(world.tenders, client, registry)
    record = world.tenders.open(CODE, tmp_path / "opened")
    results = {r["bidder"]: r for r in record["bids"]}
    assert set(results) == set(docs)
    assert results[world.bidders[3].address]["result"] == opening.UNREADABLE
    assert "failed authentication" in results[world.bidders[3].address]["detail"]
    assert results[world.bidders[4].address]["result"] == opening.CIPHERTEXT_MISMATCH
    for addr, doc in docs.items():
        if addr in (world.bidders[3].address, world.bidders[4].address):
            continue
        r = results[addr]
        assert r["result"] == opening.OPENED, r
        assert (tmp_path / "opened" / f"{addr}-{r['nonce']}.bin").read_bytes() == doc
    assert world.tenders.state(CODE) == State.OPENED
    view = world.views.public_view(CODE)
    assert view["opening_record"] == record
    assert [e["event"] for e in view["events"]][-2:] == ["close_bidding", "open"]

    # anyone holding the ciphertexts repeats the opening from the chain alone
    from ledger_service.tenders.verify_opening import verify_opening

    assert world.services.chain is not None
    blobs = world.tmp / "svc" / "blobs"
    check = verify_opening(
        world.services.chain.rpc_url, view["chain"]["tender_registry"], CODE, blobs
    )
    assert check.matches and check.record == record
    # without bidder 1's ciphertext the repeated opening differs, and says why
    missing = world.tmp / "partial"
    missing.mkdir()
    for r in receipts.values():
        if r.bidder != world.bidders[1].address:
            src = world.services.blobs.open(r.ciphertext_sha256)
            (missing / r.ciphertext_sha256).write_bytes(src.read_bytes())
    partial = verify_opening(world.services.chain.rpc_url, view["chain"]["tender_registry"], CODE,
                             missing)  # fmt: skip
    assert not partial.matches
    assert {b["bidder"]: b["result"] for b in partial.record["bids"]}[
        world.bidders[1].address
    ] == "missing"


def test_attacks_fail(world: World) -> None:
    setup_tender(world, 3)
    bidder, other = world.bidders[0], world.bidders[1]
    env, res = seal(world, bidder, b"my honest bid")
    # the service (or anyone) signs for the bidder: the chain refuses the forged signature
    assert world.services.client is not None
    with pytest.raises(ContractReverted, match="TenderRegistryBadSignature"):
        submit(world, bidder, env, res, nonce=1, signer=other)
    submit(world, bidder, env, res, nonce=1)
    # replaying the same signed submission is refused
    with pytest.raises(ContractReverted, match="TenderRegistryStaleNonce"):
        submit(world, bidder, env, res, nonce=1)
    # a custodian cannot release early: the chain refuses it
    client, registry = world.agent_chain[0]
    with pytest.raises(ContractReverted, match="TenderRegistryBeforeOpeningTime"):
        registry.release_share(tender_id_bytes(CODE), 1, b"\x01" * 32)
    # after the deadline (chain time) a bid is refused by the chain
    world.advance_to(world.views.public_view(CODE)["bid_deadline"])
    env2, res2 = seal(world, other, b"late bid")
    with pytest.raises(DeadlinePassed, match="TenderRegistryDeadlinePassed"):
        submit(world, other, env2, res2, nonce=1)


def test_fewer_than_t_custodians_cannot_open(world: World, tmp_path: Path) -> None:
    setup_tender(world, 3)
    for b in world.bidders[:3]:
        env, res = seal(world, b, b"bid " + b.address.encode())
        submit(world, b, env, res, nonce=1)
    world.advance_to(world.views.public_view(CODE)["opening_time"])
    for agent, (client, registry) in list(zip(world.agents, world.agent_chain, strict=True))[:2]:
        agent.step(world.tenders, client, registry)
    with pytest.raises(VerificationFailed, match="at least 3 valid shares"):
        world.tenders.open(CODE, tmp_path / "o")
    # the operator holds no share and cannot record an opening on chain
    assert world.services.client is not None
    with pytest.raises(ContractReverted, match="TenderRegistryTooFewShares"):
        world.tenders._registry.record_opening(tender_id_bytes(CODE), b"\x11" * 32)  # noqa: SLF001


def test_two_bids_fail_the_tender(world: World, tmp_path: Path) -> None:
    setup_tender(world, 3)
    for b in world.bidders[:2]:
        env, res = seal(world, b, b"bid")
        submit(world, b, env, res, nonce=1)
    world.advance_to(world.views.public_view(CODE)["opening_time"])
    assert world.tenders.open(CODE, tmp_path / "o") == {"result": "failed", "active_bids": 2}
    assert world.tenders.state(CODE) == State.FAILED


def test_bad_submissions_are_refused_and_leave_nothing(world: World) -> None:
    from ledger_service.core.errors import MalformedInput

    setup_tender(world, 3)
    bidder, other = world.bidders[0], world.bidders[1]
    before_size = world.services.log_store.head().size
    blobs = world.services.settings.blob_dir

    def stored() -> set[str]:
        return {p.name for p in blobs.rglob("*") if p.is_file()}

    files_before = stored()
    env, res = seal(world, bidder, b"a real bid")
    # malformed: not an envelope at all
    with pytest.raises(MalformedInput, match="envelope|magic|header"):
        submit(world, bidder, b"%PDF-1.7 plain text bid", res, nonce=1)
    # an envelope sealed by someone else, submitted as ours
    env_other, res_other = seal(world, other, b"other's bid")
    with pytest.raises(MalformedInput, match="expected an envelope sealed by"):
        submit(world, bidder, env_other, res_other, nonce=1)
    # a commitment that does not match the uploaded envelope
    with pytest.raises(MalformedInput, match="expected the envelope digest"):
        submit(world, bidder, env, res_other, nonce=1)
    assert world.services.log_store.head().size == before_size
    assert stored() == files_before
    assert world.views.bids_of(CODE, bidder.address) == []
    # the genuine one still goes in, and a duplicate (replayed nonce) changes nothing
    submit(world, bidder, env, res, nonce=1)
    size = world.services.log_store.head().size
    with pytest.raises(ContractReverted, match="TenderRegistryStaleNonce"):
        submit(world, bidder, env, res, nonce=1)
    assert world.services.log_store.head().size == size
    assert len(world.views.bids_of(CODE, bidder.address)) == 1


def test_custodian_agent_restarts_and_catches_up(world: World, tmp_path: Path) -> None:
    """An agent down at opening time is restarted from its encrypted key file later:
    it releases its share then, and never twice."""
    from ledger_service.tenders.custodian import CustodianAgent

    setup_tender(world, 3)
    for b in world.bidders[:3]:
        env, res = seal(world, b, b"bid")
        submit(world, b, env, res, nonce=1)
    keys = tmp_path / "custodian1.json"
    world.agents[0].save(keys, "pw")
    with pytest.raises(Exception, match="readable with the given password"):
        CustodianAgent.load(keys, "wrong")
    client, registry = world.agent_chain[0]
    agent = CustodianAgent.load(keys, "pw")
    agent.step(world.tenders, client, registry)  # before opening: nothing to release
    assert world.tenders.released_shares(CODE) == {}
    world.advance_to(world.views.public_view(CODE)["opening_time"] + 600)  # agent was down
    restarted = CustodianAgent.load(keys, "pw")
    restarted.step(world.tenders, client, registry)
    first = world.tenders.released_shares(CODE)
    assert list(first) == [1]
    restarted.step(world.tenders, client, registry)  # idempotent
    assert world.tenders.released_shares(CODE) == first


def test_watcher_closes_and_opens_by_chain_time(world: World) -> None:
    """Nobody presses a button: once t shares are on chain the tender opens itself."""
    from ledger_service.tenders.watcher import TenderWatcher

    setup_tender(world, 3)
    for b in world.bidders[:3]:
        env, res = seal(world, b, b"bid of " + b.address.encode())
        submit(world, b, env, res, nonce=1)
    watcher = TenderWatcher(world.tenders)
    assert watcher.step() == [] and world.tenders.state(CODE) == State.DOCUMENTS_ISSUED
    world.advance_to(world.views.public_view(CODE)["bid_deadline"])
    assert watcher.step() == [] and world.tenders.state(CODE) == State.BIDS_CLOSED
    world.advance_to(world.views.public_view(CODE)["opening_time"])
    for agent, (client, registry) in list(zip(world.agents, world.agent_chain, strict=True))[2:]:
        agent.step(world.tenders, client, registry)
    assert watcher.step() == [CODE]
    assert world.tenders.state(CODE) == State.OPENED
    opened = world.views.public_view(CODE)["opening_record"]["bids"]
    assert [b["result"] for b in opened] == ["opened"] * 3
