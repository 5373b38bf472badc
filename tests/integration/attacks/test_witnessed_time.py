"""The operator sets its chain's clock back to take a late bid; witnessed time catches it.

The OPERATOR runs the only chain (the service's own anvil). It moves the chain's
clock an hour back (``anvil_setTime``) before announcing, so by chain time the bid
deadline is still ahead while by every other clock it passed long ago. The chain
accepts the bid (``submittedAt`` before the deadline). Three witnesses, each by its
own clock, cosign the checkpoint that holds the bid: that witnessed time is after
the announced deadline, and a verifier with the pinned policy names the late bid.
Without a policy (the old verifier) the same package verifies, every check OK.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger_service.api.app import create_app
from ledger_service.chain.tender_messages import tender_id_bytes
from ledger_service.core.checkpoints import SignedCheckpoint, sign_checkpoint
from ledger_service.core.errors import VerificationFailed
from ledger_service.core.notes import SIG_TYPE_ED25519, NoteSigner
from ledger_service.core.packages import verify_package
from ledger_service.core.records import EvidenceRecord
from ledger_service.core.trust_policy import TrustPolicy
from ledger_service.evidence.checkpointing import FRESH_S
from ledger_service.evidence.packaging import build_package
from ledger_service.evidence.trust_file import build_trust_policy
from ledger_service.runtime import Services, open_services
from ledger_service.settings import Settings
from ledger_service.store.tokens import create_token
from ledger_service.tenders.bidder import BidderClient, ChainTrust
from ledger_service.tenders.custodian import pinned_witnessed_time
from ledger_service.tenders.model import Schedule
from tests.integration.attacks.conftest import ORIGIN, QUORUM, Witness, anchorer_of
from tests.integration.serving import serving
from tests.integration.tenders.conftest import World, make_world
from tests.integration.tenders.helpers import CODE, announce, bid, generate_key, open_for_bids


@pytest.fixture
def witnessed(log_dir: Path, witnesses: list[Witness], tmp_path: Path) -> Iterator[World]:
    """A tender service on its own anvil whose heads three witness processes cosign."""
    services = open_services(Settings(
        data_dir=log_dir, log_origin=ORIGIN, witnesses=[w.setting for w in witnesses],
        witness_quorum=QUORUM,
    ))  # fmt: skip
    try:
        yield make_world(services, tmp_path)
    finally:
        services.close()


def _policy(services: Services) -> TrustPolicy:
    assert services.chain is not None
    built = build_trust_policy(services.settings, services.chain.chain_id,
                               services.contract_addresses)  # fmt: skip
    assert built is not None
    return built


def _anchor_and_cosign(services: Services) -> None:
    anchorer = anchorer_of(services)
    for _ in range(3):
        anchorer.step()
    assert services.checkpoints.latest_cosigned(QUORUM) is not None


def test_a_bid_taken_on_a_chain_set_back_is_named_late(witnessed: World) -> None:
    world, client = witnessed, witnessed.services.client
    assert client is not None
    # the operator sets its own chain's clock back two hours, then announces (deadline +1 h)
    client.request("anvil_setTime", [int(time.time()) - 7200])
    client.request("evm_mine", [])
    schedule = announce(world)
    assert schedule.bid_deadline < time.time() - 3000  # past by every clock but the chain's
    generate_key(world)
    open_for_bids(world, 1)
    receipt = bid(world, world.bidders[0], "投标报价 1,000,000 CNY".encode())
    assert receipt.block_time < schedule.bid_deadline  # the chain calls it on time
    _anchor_and_cosign(world.services)
    package = build_package(world.services.package_sources(), f"tender:{CODE}")

    verify_package(package)  # the old verifier: every check OK

    with pytest.raises(VerificationFailed) as caught:
        verify_package(package, policy=_policy(world.services), now=int(time.time()))
    message = str(caught.value)
    assert f"records/{receipt.record_index}.json" in message
    assert (
        f"expected the bid by 'bidder:{world.bidders[0].address}' witnessed by the bid "
        f"deadline {schedule.bid_deadline}" in message
    )
    assert f"by {QUORUM} of 3 witnesses" in message and "a late bid" in message


def test_a_bid_witnessed_before_the_deadline_is_on_time(witnessed: World) -> None:
    world = witnessed
    schedule = announce(world)  # chain time is real time: the deadline is an hour ahead
    generate_key(world)
    open_for_bids(world, 1)
    receipt = bid(world, world.bidders[0], "投标报价 990,000 CNY".encode())
    _anchor_and_cosign(world.services)
    package = build_package(world.services.package_sources(), f"tender:{CODE}")
    report = verify_package(package, policy=_policy(world.services), now=int(time.time()))
    line = next(
        x
        for x in report.lines()
        if x.startswith(f"OK  records/{receipt.record_index}.json: on time")
    )
    assert f"by the deadline {schedule.bid_deadline}" in line
    assert "[2 of 3 independent witnesses pinned by sha256:" in line


def test_custodians_do_not_release_on_a_warped_chain_and_pushed_clocks(witnessed: World) -> None:
    """The operator warps its chain to the opening time and pushes the custodians' own
    clocks there too (say through the intranet's NTP). Agents pinning the witnesses ask
    for a checkpoint cosigned now: its witnessed time, by the witnesses' clocks, is two
    hours before the opening, so they keep their shares. An agent without the policy
    (the old agent) releases."""
    world = witnessed
    services = world.services
    schedule = announce(world)  # opening two hours from now, by every honest clock
    generate_key(world)
    open_for_bids(world, 3)
    for i in range(3):
        bid(world, world.bidders[i], f"投标报价 {1_000_000 + i} CNY".encode())
    world.advance_to(schedule.bid_deadline)
    world.tenders.close_bidding(CODE)  # reveals the sealed bids on chain
    _anchor_and_cosign(services)
    world.advance_to(schedule.opening_time)  # chain time AND the agents' own clocks
    assert services.publisher is not None
    policy = _policy(services)

    def fetch() -> SignedCheckpoint:
        anchored = services.anchors.latest_confirmed()
        assert anchored is not None and services.publisher is not None
        return services.publisher.fresh(anchored.tree_size, anchored.root)

    for run in world.runs[:4]:
        run.witnessed_time = pinned_witnessed_time(policy, fetch)
        run.step()
    tid = tender_id_bytes(CODE)
    registry = world.runs[0].registry
    assert all(registry.released_share(tid, i) is None for i in range(1, 6))
    for run in world.runs[:4]:
        lines = next(iter(run.checks.values()))
        assert any("own clock" in x and "both at or past the opening time" in x for x in lines)
        assert not any(x.startswith("witnessed time") for x in lines)
        assert not any(x.startswith("released share") for x in lines)
    # the old agent (own clock and chain only) is fooled: it releases two hours early
    world.runs[4].step()
    assert registry.released_share(tid, 5) is not None
    assert schedule.opening_time - time.time() > 7000


def test_the_witnessed_time_of_a_fresh_checkpoint_is_the_witnesses_present(
    witnessed: World,
) -> None:
    services = witnessed.services
    services.log_store.append([EvidenceRecord.create(
        kind="note", subject="x", actor="t", digests={"sha256": "ab" * 32})])  # fmt: skip
    _anchor_and_cosign(services)
    anchored = services.anchors.latest_confirmed()
    assert anchored is not None and services.publisher is not None
    time.sleep(1.1)  # a second later than the stored checkpoint, by every clock
    before = int(time.time())
    signed = services.publisher.fresh(anchored.tree_size, anchored.root)
    w = pinned_witnessed_time(_policy(services), lambda: signed)(int(time.time()))
    assert before - 1 <= w.time <= time.time() + 1 and w.k == QUORUM
    # the stored checkpoint of that size keeps the time the head was first witnessed
    assert services.checkpoints.at_size(anchored.tree_size).note != signed.to_bytes()  # type: ignore[union-attr]
    # a note the operator signs with a key of its own (no witness cosigned it) is refused
    forged = sign_checkpoint(signed.checkpoint, NoteSigner(ORIGIN, os.urandom(32),
                                                          SIG_TYPE_ED25519))  # fmt: skip
    with pytest.raises(VerificationFailed):
        pinned_witnessed_time(_policy(services), lambda: forged)(int(time.time()))


def _sleep_until(world: World, t: int) -> None:
    """Wait for the real time ``t``, then mine a block at the real time (no warp: the
    anvil's clock is the machine's) and set the agents' clocks to it."""
    while time.time() < t:
        time.sleep(min(0.5, max(0.05, t - time.time())))
    assert world.services.client is not None
    world.services.client.request("evm_mine", [])
    world.clock.now = time.time()


def test_custodians_release_once_witnessed_time_reaches_the_opening(witnessed: World) -> None:
    """The honest case, on real clocks only (no warp): the agents pinning the witnesses
    refuse one second before the opening time and release once the witnesses' present
    has reached it; the tender opens."""
    world = witnessed
    services = world.services
    now = int(time.time())
    schedule = Schedule(now + 5, now + 10, now + 20, now + 26)
    world.tenders.announce(CODE, "实时 real time", schedule, 3,
                           [(a.name, a.address) for a in world.agents])  # fmt: skip
    world.schedule = schedule
    world.clock.now = time.time()
    world.step_agents()  # deal
    for t in (schedule.dealing_deadline, schedule.complaint_deadline):
        _sleep_until(world, t)
        world.step_agents()  # judge, then approve
    open_for_bids(world, 3)
    for i in range(3):
        bid(world, world.bidders[i], f"投标报价 {2_000_000 + i} CNY".encode())
    _sleep_until(world, schedule.bid_deadline)
    world.tenders.close_bidding(CODE)
    _anchor_and_cosign(services)
    policy = _policy(services)

    def fetch() -> SignedCheckpoint:
        anchored = services.anchors.latest_confirmed()
        assert anchored is not None and services.publisher is not None
        return services.publisher.fresh(anchored.tree_size, anchored.root)

    for run in world.runs:
        run.witnessed_time = pinned_witnessed_time(policy, fetch)
    # the operator's chain and the agents' clocks are a few seconds early; the witnesses are not
    world.advance_to(schedule.opening_time)
    world.clock.now = schedule.opening_time
    world.step_agents(slice(0, 3))
    registry = world.runs[0].registry
    tid = tender_id_bytes(CODE)
    if time.time() < schedule.opening_time - 2.5:  # a fresh checkpoint predates the opening
        assert all(registry.released_share(tid, i) is None for i in (1, 2, 3))
    time.sleep(FRESH_S)  # past the fresh checkpoint's cache
    _sleep_until(world, schedule.opening_time + 1)
    world.step_agents(slice(0, 3))
    assert all(registry.released_share(tid, i) is not None for i in (1, 2, 3))
    lines = next(iter(world.runs[0].checks.values()))
    assert any(x.startswith("witnessed time") and "at or past the opening time" in x
               for x in lines)  # fmt: skip
    record = world.tenders.open(CODE, world.tmp / "opened")
    assert sum(b["result"] == "opened" for b in record["bids"]) == 3


@contextlib.contextmanager
def _serving(services: Services) -> Iterator[str]:
    """The service's API on a loopback port, anchoring (and checkpointing) as it runs."""
    with serving(create_app(services, anchorer=anchorer_of(services))) as (url, _):
        yield url


def _client(world: World, url: str, i: int) -> BidderClient:
    services = world.services
    assert services.client is not None
    bidder = world.bidders[i]
    token = create_token(services.log_store.engine, bidder.address, "bidder")[1]
    trust = ChainTrust(services.client.rpc_url, services.client.chain_id,
                       world.tenders.registry_address, policy=_policy(services))  # fmt: skip
    return BidderClient(url, token, bidder, trust)


def test_the_bidder_client_checks_its_own_bid_was_witnessed_on_time(witnessed: World) -> None:
    world = witnessed
    schedule = announce(world)
    generate_key(world)
    open_for_bids(world, 1)
    with _serving(world.services) as url:
        receipt = bid(world, world.bidders[0], "投标报价 880,000 CNY".encode()).to_json()
        on_time = _client(world, url, 0).on_time(CODE, receipt, wait_s=30)
    assert on_time.deadline == schedule.bid_deadline
    assert on_time.witnessed_time <= time.time() and len(on_time.cosigned_by) >= QUORUM
    assert on_time.record_index == receipt["record_index"]
    # the first head holding the bid: its size is just past the bid's record
    assert on_time.tree_size > receipt["record_index"]


def test_the_bidder_client_names_its_bid_late_on_a_chain_set_back(witnessed: World) -> None:
    world, client = witnessed, witnessed.services.client
    assert client is not None
    client.request("anvil_setTime", [int(time.time()) - 7200])
    client.request("evm_mine", [])
    announce(world)
    generate_key(world)
    open_for_bids(world, 1)
    with _serving(world.services) as url:
        receipt = bid(world, world.bidders[0], "投标报价 870,000 CNY".encode()).to_json()
        with pytest.raises(VerificationFailed, match="the bid is late by witnessed time"):
            _client(world, url, 0).on_time(CODE, receipt, wait_s=30)
