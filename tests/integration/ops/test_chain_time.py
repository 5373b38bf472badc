"""Deadlines pass on the embedded chain with no other traffic (issue 12, item 1).

anvil mines only when a transaction arrives; the tender watcher has a block mined
once the next block's time reaches a deadline, so a tender closes and opens on
time although nobody sends anything in between.
"""

from __future__ import annotations

import time

import pytest

from ledger_service.tenders.lifecycle import State
from ledger_service.tenders.model import Schedule
from ledger_service.tenders.watcher import TenderWatcher
from tests.integration.tenders.conftest import World
from tests.integration.tenders.conftest import world as world  # noqa: F401 - the fixture
from tests.integration.tenders.helpers import CODE, bid, generate_key, open_for_bids

pytestmark = pytest.mark.integration
#: seconds from the end of key generation to the bid deadline, and to the opening
TO_DEADLINE, TO_OPENING = 45, 51


def _wait(what: str, condition: object, timeout: float) -> None:
    until = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < until, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_a_tender_closes_and_opens_on_time_with_no_other_traffic(world: World) -> None:
    node = world.services.node
    assert node is not None
    now = world.chain_time()
    keyed = now + 200
    schedule = Schedule(now + 100, keyed, keyed + TO_DEADLINE, keyed + TO_OPENING)
    world.tenders.announce(CODE, "道路 road works", schedule, 3,
                           [(a.name, a.address) for a in world.agents])  # fmt: skip
    world.schedule = schedule
    generate_key(world)
    open_for_bids(world, 3)
    for b in world.bidders[:3]:
        bid(world, b, f"bid of {b.address}".encode())
    assert world.chain_time() < schedule.bid_deadline

    watcher = TenderWatcher(world.tenders, poll_s=0.5, advance=node.mine_when_due)
    thread, stop = watcher.start_thread()
    try:
        # nobody sends a transaction: the watcher alone moves chain time past the deadline
        _wait("bidding to close", lambda: world.tenders.state(CODE) == State.BIDS_CLOSED, 120)
        assert world.chain_time() >= schedule.bid_deadline
        _wait(
            "chain time to reach the opening",
            lambda: world.chain_time() >= schedule.opening_time,
            120,
        )
        # the custodians' own clocks agree; they release their shares, the watcher opens
        world.clock.now = float(world.chain_time())
        world.step_agents(slice(0, 3))
        _wait("the opening", lambda: world.tenders.state(CODE) == State.OPENED, 90)
        _wait("the watcher to count it", lambda: watcher.openings == 1, 10)
    finally:
        stop.set()
        thread.join(10)


def test_key_generation_deadlines_pass_with_no_other_traffic(world: World) -> None:
    """The custodians' agents deal and approve by chain time: the dealing and complaint
    deadlines must pass on an idle chain too (found running docs/guide-tender-by-hand.md)."""
    node = world.services.node
    assert node is not None
    now = world.chain_time()
    schedule = Schedule(now + 4, now + 8, now + 300, now + 310)
    world.tenders.announce(CODE, "道路 road works", schedule, 3,
                           [(a.name, a.address) for a in world.agents])  # fmt: skip
    assert world.tenders.key_deadlines(CODE) == (now + 4, now + 8)
    watcher = TenderWatcher(world.tenders, poll_s=0.5, advance=node.mine_when_due)
    thread, stop = watcher.start_thread()
    try:
        _wait("the dealing deadline", lambda: world.chain_time() >= schedule.dealing_deadline, 60)
        _wait("the complaint deadline",
              lambda: world.chain_time() >= schedule.complaint_deadline, 60)  # fmt: skip
    finally:
        stop.set()
        thread.join(10)


def test_without_a_due_deadline_nothing_is_mined(world: World) -> None:
    node = world.services.node
    assert node is not None
    before = node.block_number()
    assert node.mine_when_due(world.chain_time() + 3600) is False
    assert node.block_number() == before
    assert node.mine_when_due(world.chain_time()) is True
    assert node.block_number() == before + 1
