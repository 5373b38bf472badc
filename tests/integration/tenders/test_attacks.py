"""Issue 9's attacks, played by the operator against TenderRegistry 2 and the parties'
own software. Each would have succeeded against TenderRegistry 1 and its agents.

The hostile operator runs the service (its JSON may lie), the anvil node (it warps
time), holds the admin and relay accounts, and controls custodian 5 (who deals last
and signs for others). The agents read only their configured chain, through a
recording RPC proxy that shows every request body they send.
"""

from __future__ import annotations

import dataclasses
import http.server
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from eth_utils.crypto import keccak

from ledger_service.chain.tender_messages import tender_id_bytes
from ledger_service.chain.tx import ContractReverted
from ledger_service.core import _secp256k1, threshold
from ledger_service.core.errors import VerificationFailed
from ledger_service.tenders.bidder import check_tender
from ledger_service.tenders.chain_view import outcome, read_tender, revealed_bids
from ledger_service.tenders.custodian import AgentRun, CustodianAgent
from ledger_service.tenders.model import Schedule
from ledger_service.tenders.verify_opening import BAD_SIGNATURE, check_bid_signatures

from .conftest import World
from .helpers import CODE, announce, bid, generate_key, open_for_bids

pytestmark = pytest.mark.integration
TID = tender_id_bytes(CODE)


class RecordingProxy:
    """A local HTTP server forwarding JSON-RPC to anvil and keeping every request body."""

    def __init__(self, upstream: str) -> None:
        self.bodies: list[bytes] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                proxy.bodies.append(body)
                answer = httpx.post(upstream, content=body,
                                    headers={"Content-Type": "application/json"}).content  # fmt: skip
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def containing(self, needle: str) -> list[bytes]:
        return [b for b in self.bodies if needle.encode() in b.lower()]


@pytest.fixture
def proxy(world: World) -> Iterator[RecordingProxy]:
    p = RecordingProxy(world.rpc_url)
    yield p
    p.server.shutdown()


def _operator_dealing(world: World, setup: threshold.DkgSetup, posted_c0: list[bytes]) -> bytes:
    """Custodian 5's rogue dealing: C_0 = T·G - sum of the others' C_0, shares garbage."""
    honest = threshold.deal_body(setup, 5)
    target = _secp256k1.base(424242)
    others = _secp256k1.add(_secp256k1.parse_point("c", c) for c in posted_c0)
    assert target is not None and others is not None
    rogue = _secp256k1.add((target, _secp256k1.mul(others, threshold.CURVE_ORDER - 1)))
    assert rogue is not None
    d = honest.dealing
    forged = dataclasses.replace(d, commitments=(rogue.format(), *d.commitments[1:]))
    return dataclasses.replace(honest, dealing=forged).body()


def test_attack_1_rogue_key_by_the_last_dealer_is_disqualified(world: World) -> None:
    announce(world)
    world.step_agents(slice(0, 4))  # four honest custodians deal
    tender = read_tender(world.runs[4].registry, TID)
    c0 = [
        threshold.DealingBody.from_body(p.body).dealing.commitments[0]
        for p in tender.dealings.values()
    ]
    body = _operator_dealing(world, tender.setup, c0)
    evil = world.agents[4]
    world.tenders.post_dealing(
        TID, 5, body, evil.sign(threshold.dealing_digest(tender.setup, 5, keccak(body)))
    )
    assert world.schedule is not None
    world.advance_to(world.schedule.dealing_deadline)
    world.step_agents(slice(0, 4))
    world.advance_to(world.schedule.complaint_deadline)
    world.step_agents(slice(0, 4))
    result = outcome(read_tender(world.runs[0].registry, TID))
    assert 5 in result.disqualified and result.qualified == (1, 2, 3, 4)
    key = world.tenders.group_key(CODE).public_key
    assert key != threshold.public_from_secret(424242)  # the operator's T·G is not the key


def test_attack_2_one_account_cannot_post_the_dealings_of_others(world: World) -> None:
    announce(world)
    tender = read_tender(world.runs[4].registry, TID)
    evil = world.agents[4]
    for i in range(1, 5):
        body = threshold.deal_body(tender.setup, i).body()
        sig = evil.sign(threshold.dealing_digest(tender.setup, i, keccak(body)))
        with pytest.raises(ContractReverted, match="TenderRegistryBadSignature"):
            world.tenders.post_dealing(TID, i, body, sig)
    # an agent finding a dealing under its index that it did not sign refuses loudly
    own = world.agents[0]
    body = threshold.deal_body(tender.setup, 1).body()
    world.tenders.post_dealing(
        TID, 1, body, own.sign(threshold.dealing_digest(tender.setup, 1, keccak(body)))
    )
    world.step_agents(slice(0, 1))
    assert any(
        "REFUSED" in line and "did not sign" in line for line in world.runs[0].checks[TID.hex()]
    )


def test_attack_3_operator_cannot_substitute_custodian_keys(world: World) -> None:
    operator = world.tenders._registry  # noqa: SLF001
    with pytest.raises(ContractReverted, match="TenderRegistryCustodianKeyTaken"):
        operator.register_custodian_key(world.agents[0].public_key)
    announce(world)
    assert read_tender(operator, TID).keys == tuple(a.public_key for a in world.agents)
    # an agent whose own key is not the one listed at its index refuses the tender
    other_key, _ = threshold.custodian_keypair()
    impostor = CustodianAgent("same account, other key", world.agents[1].account, other_key)
    run = AgentRun(impostor, world.runs[1].registry, world.tenders, world.clock)
    run.step()
    assert any("REFUSED: expected our key" in line for line in run.checks[TID.hex()])


def test_attack_4_no_share_leaves_an_agent_before_its_own_clock_says_so(
    world: World, proxy: RecordingProxy
) -> None:
    announce(world)
    runs = [world.agent_run(a, world.tenders, proxy.url) for a in world.agents[:3]]
    world.runs[:3] = runs
    generate_key(world)
    open_for_bids(world, 3)
    for b in world.bidders[:3]:
        bid(world, b, b"bid of " + b.address.encode())
    assert world.schedule is not None
    # the operator's JSON names a past opening time; its node warps past the real one
    lie = world.views.public_view(CODE)
    lie["opening_time"] = 1
    world.advance_to(world.schedule.bid_deadline)
    world.tenders.close_bidding(CODE)
    world.advance_to(world.schedule.opening_time + 10, own_clocks=False)
    world.clock.now = world.schedule.opening_time - 600  # the custodians' own clocks disagree
    tender = read_tender(runs[0].registry, TID)
    result = outcome(tender)
    shares = [threshold.share_to_bytes(a.share(tender, i, result.qualified)).hex()
              for i, a in enumerate(world.agents[:3], start=1)]  # fmt: skip
    for run in runs:
        run.step()
    assert proxy.bodies and all(not proxy.containing(s) for s in shares)
    assert world.tenders.released_shares(CODE) == {}
    world.clock.now = world.schedule.opening_time + 10  # now their own clocks agree
    for run in runs:
        run.step()
    for s in shares:
        carriers = proxy.containing(s)
        assert len(carriers) == 1 and b"eth_sendRawTransaction" in carriers[0]
    assert not any(
        b"eth_estimateGas" in b and any(s.encode() in b for s in shares) for b in proxy.bodies
    )


@pytest.mark.parametrize(("t", "n"), [(1, 5), (2, 2), (5, 5)])
def test_attack_5_weak_thresholds_are_refused_by_the_chain(world: World, t: int, n: int) -> None:
    now = world.chain_time()
    schedule = Schedule(now + 100, now + 200, now + 3600, now + 7200)
    with pytest.raises(ContractReverted, match="TenderRegistryBadThreshold"):
        world.tenders.announce(
            CODE, "weak", schedule, t, [(a.name, a.address) for a in world.agents[:n]]
        )


def test_attack_5_operator_chosen_key_is_refused_by_chain_and_bidder(world: World) -> None:
    announce(world)
    assert world.schedule is not None
    world.step_agents()
    world.advance_to(world.schedule.complaint_deadline)
    own = threshold.public_from_secret(777)
    registry = world.tenders._registry  # noqa: SLF001
    with pytest.raises(
        ContractReverted, match="TenderRegistryTooFewApprovals|TenderRegistryBadApprovers"
    ):
        registry.finalize_key(
            TID,
            own,
            own + threshold.public_from_secret(778) + threshold.public_from_secret(779),
            [],
            [],
        )
    world.step_agents()  # the honest key is approved and accepted
    tender = read_tender(registry, TID)
    with pytest.raises(
        VerificationFailed, match="expected the service's opening key to be the on-chain key"
    ):
        check_tender(tender, own, None)
    with pytest.raises(VerificationFailed, match="expected the custodians"):
        check_tender(tender, None, (world.agents[1].address, world.agents[0].address))
    assert (
        check_tender(tender, None, tuple(a.address for a in world.agents))
        == world.tenders.group_key(CODE).public_key
    )


def test_attack_6_a_malformed_dealing_disqualifies_and_keygen_goes_on(world: World) -> None:
    announce(world)
    world.step_agents(slice(0, 4))
    tender = read_tender(world.runs[0].registry, TID)
    other = replace(tender.setup, t=2)  # another (t, n)
    body = threshold.deal_body(other, 5).body()
    world.tenders.post_dealing(
        TID, 5, body, world.agents[4].sign(threshold.dealing_digest(tender.setup, 5, keccak(body)))
    )
    assert world.schedule is not None
    world.advance_to(world.schedule.dealing_deadline)
    world.step_agents(slice(0, 4))
    world.advance_to(world.schedule.complaint_deadline)
    world.step_agents(slice(0, 4))
    result = outcome(read_tender(world.runs[0].registry, TID))
    assert "expected t=3, n=5, found t=2, n=5" in result.disqualified[5]
    assert world.tenders.group_key(CODE).qualified == (1, 2, 3, 4)


def test_attack_7_no_cancel_after_the_deadline_and_no_bidders_on_chain(
    world: World, tmp_path: Path
) -> None:
    from ledger_service.tenders.lifecycle import Event

    announce(world)
    generate_key(world)
    open_for_bids(world, 3)
    for b in world.bidders[:3]:
        bid(world, b, b"price " + b.address.encode())
    registry = world.tenders._registry  # noqa: SLF001
    # before the deadline nobody reads who bid or how many from the chain
    assert registry.bidders(TID) == [] and registry.get_tender(TID).revealed_bids == 0
    logs = httpx.post(world.rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_getLogs",
                                           "params": [{"fromBlock": "0x0", "address": registry.address}]}).text.lower()  # fmt: skip
    assert not any(b.address.lower()[2:] in logs for b in world.bidders[:3])
    assert world.schedule is not None
    world.advance_to(world.schedule.bid_deadline)
    world.tenders.close_bidding(CODE)  # reveals
    with pytest.raises(ContractReverted, match="TenderRegistryDeadlinePassed"):
        world.tenders.transition(CODE, Event.CANCEL, "re-tender after reading the prices")
    # verify-opening names a revealed bid whose Bid signature is not its bidder's
    revealed = revealed_bids(registry, TID)
    bad = [(c, replace(e, bidder_signature=revealed[1][1].bidder_signature)) if i == 0 else (c, e)
           for i, (c, e) in enumerate(revealed)]  # fmt: skip
    good, rejected = check_bid_signatures(
        world.services.client.chain_id, registry.address, TID, bad
    )  # type: ignore[union-attr]
    assert len(good) == 2 and [r.result for r in rejected] == [BAD_SIGNATURE]
    assert "expected the Bid signed by" in rejected[0].detail
