"""Liveness: a key generation with fewer than t qualified dealers is rerun, not stuck."""

from __future__ import annotations

import pytest

from ledger_service.chain.tender_messages import tender_id_bytes
from ledger_service.chain.tender_registry import TenderStatus
from ledger_service.tenders.watcher import TenderWatcher

from .conftest import World
from .helpers import CODE, announce

pytestmark = pytest.mark.integration


def test_too_few_dealers_rerun_in_a_new_round_and_the_key_follows(world: World) -> None:
    schedule = announce(world, t=3)
    watcher = TenderWatcher(world.tenders)
    registry = world.tenders._registry  # noqa: SLF001
    first = registry.get_tender(tender_id_bytes(CODE)).round
    # the first round: only two of five custodians deal (t = 3): no key can come of it
    world.step_agents(slice(0, 2))
    world.advance_to(schedule.dealing_deadline)
    world.step_agents(slice(0, 2))
    world.advance_to(schedule.complaint_deadline)
    world.step_agents(slice(0, 2))
    assert world.tenders.store.tender(CODE).group_key is None
    # the watcher sees the public rule give no key and opens the next round on chain
    watcher.step()
    view = registry.get_tender(tender_id_bytes(CODE))
    assert view.round == first + 1 and view.status == TenderStatus.KEY_GENERATION
    kinds = [r.kind for _, r in world.views.records(CODE)]
    assert "tender.key_rerun" in kinds
    # a second pass changes nothing until the new round has ended
    watcher.step()
    assert registry.get_tender(tender_id_bytes(CODE)).round == first + 1
    # the new round: every custodian deals, judges and approves; the key is generated
    world.step_agents()
    world.advance_to(view.dealing_deadline)
    world.step_agents()
    world.advance_to(view.complaint_deadline)
    world.step_agents()
    assert world.tenders.store.tender(CODE).group_key is not None
    assert registry.get_tender(tender_id_bytes(CODE)).status != TenderStatus.KEY_GENERATION
