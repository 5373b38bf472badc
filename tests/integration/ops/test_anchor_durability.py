"""A proof called "anchored" still verifies on chain after a crash (issue 11, defect 2).

``kill -9`` of serve right after a record is reported anchored, restart, and the
reported head is on the chain the restarted node serves; later records are
anchored again as usual.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from ledger_service.core.proofs import InclusionProof
from tests.integration.ops.harness import Served

pytestmark = pytest.mark.integration
ROUNDS = 2


def test_kill_9_right_after_anchored_keeps_the_proof_verifying_on_chain(tmp_path: Path) -> None:
    data = tmp_path / "data"
    index = 0
    for round_ in range(ROUNDS):
        served = Served(data).start()
        try:
            for _ in range(3):  # several anchors per round, the crash right after the last
                served.deposit(index)
                got = served.wait_anchored(index, poll=0.005)
                index += 1
            served.signal(signal.SIGKILL)
            served.wait_exit()
        finally:
            served.stop()
        proof = InclusionProof.from_json(got["proof"])
        proof.verify()
        assert proof.anchor is not None

        restarted = Served(data).start()
        try:
            on_chain = restarted.evidence_log().root_of(proof.tree_size)
            assert on_chain == proof.root, f"round {round_}: the reported anchor was lost"
            # and the restarted service goes on anchoring
            restarted.deposit(index)
            restarted.wait_anchored(index)
            index += 1
        finally:
            restarted.stop()
