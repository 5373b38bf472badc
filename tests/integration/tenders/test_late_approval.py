"""An approval that arrives after the key was finalized is kept, not relayed again.

Custodians approve together; the t-th approval finalizes the key, and one arriving a
moment later (read the chain before the finalization was mined) made the service send
``finalizeKey`` a second time: the chain refused it (WrongStatus) and the custodian's
agent logged a 409 as an error.
"""

from __future__ import annotations

import json

import pytest

from ledger_service.chain.tender_messages import tender_id_bytes

from .conftest import World
from .helpers import CODE, announce, generate_key

pytestmark = pytest.mark.integration


def test_an_approval_after_finalization_is_kept_and_not_relayed(world: World) -> None:
    announce(world)
    generate_key(world)
    key = world.tenders.group_key(CODE)
    approvals = world.tenders.store.key_approvals(CODE)
    index, text = max(approvals.items())
    a = json.loads(text)
    # the same custodian's approval again, as if it had crossed the finalization
    world.tenders.post_approval(tender_id_bytes(CODE), index, bytes.fromhex(a["key"]),
                                bytes.fromhex(a["commitments"]), bytes.fromhex(a["signature"]))  # fmt: skip
    assert world.tenders.group_key(CODE) == key
    steps = [s.event for s in world.tenders.store.steps(CODE)]
    assert steps.count("key_generated") == 1
