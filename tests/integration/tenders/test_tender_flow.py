"""A whole honest tender against a real anvil on TenderRegistry 2: custodians generate
the key from their own reading of the chain, bids are sealed under pseudonyms and
revealed after the deadline, the tender opens itself with custodians offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger_service.tenders import opening
from ledger_service.tenders.lifecycle import State
from ledger_service.tenders.watcher import TenderWatcher

from .conftest import World
from .helpers import CODE, announce, bid, generate_key, open_for_bids

pytestmark = pytest.mark.integration


def test_honest_tender_opens_itself_with_two_custodians_offline(
    world: World, tmp_path: Path
) -> None:
    schedule = announce(world)
    generate_key(world)
    assert world.tenders.group_key(CODE).t == 3
    open_for_bids(world, 4)
    docs = {
        b.address: f"bid of {i} ".encode() * (3000 + i) for i, b in enumerate(world.bidders[:4])
    }
    for b in world.bidders[:4]:
        bid(world, b, docs[b.address])
    watcher = TenderWatcher(world.tenders)
    world.advance_to(schedule.bid_deadline)
    assert watcher.step() == [] and world.tenders.state(CODE) == State.BIDS_CLOSED
    assert world.tenders.revealed_count(CODE) == 4
    world.advance_to(schedule.opening_time)
    world.step_agents(slice(0, 3))  # two custodians are offline
    assert watcher.step() == [CODE]
    record = world.views.public_view(CODE)["opening_record"]
    assert [b["result"] for b in record["bids"]] == [opening.OPENED] * 4
    for b in record["bids"]:
        opened = world.tenders.opening_dir(CODE) / f"{b['bidder']}-{b['nonce']}.bin"
        assert opened.read_bytes() == docs[b["bidder"]]
    checks = world.runs[0].checks
    assert any("own key at index 1" in line for lines in checks.values() for line in lines)
    assert any("own clock" in line for lines in checks.values() for line in lines)

    from ledger_service.tenders.verify_opening import verify_opening

    check = verify_opening(world.rpc_url, world.tenders.registry_address, CODE,
                           world.tmp / "svc" / "blobs")  # fmt: skip
    assert check.matches and check.record == record
