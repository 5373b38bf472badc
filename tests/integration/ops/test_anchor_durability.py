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


def test_anchors_the_chain_lost_are_anchored_again_after_restart(tmp_path: Path) -> None:
    from ledger_service.core.records import EvidenceRecord
    from ledger_service.evidence.anchoring import Anchorer
    from ledger_service.runtime import Services, open_services
    from ledger_service.settings import Settings
    from tests.integration.ops.harness import record as body

    def anchorer(s: Services) -> Anchorer:
        assert s.client and s.evidence_log and s.node
        return Anchorer(s.log_store, s.anchors, s.client, s.evidence_log,
                        start_block=s.deployed_at_block, make_durable=s.node.save_state)  # fmt: skip

    def rec(i: int) -> EvidenceRecord:
        b = body(i)
        return EvidenceRecord.create(
            kind=str(b["kind"]),
            subject=str(b["subject"]),
            actor="operator:ops",
            digests=b["digests"],  # type: ignore[arg-type]
            metadata=b["metadata"],
        )  # type: ignore[arg-type]

    settings = Settings(data_dir=tmp_path / "svc")
    s = open_services(settings)
    assert s.node is not None
    state = s.node.state_file
    try:
        s.log_store.append([rec(0)])
        assert anchorer(s).step().anchored is not None
        older = state.read_bytes()  # the chain with only the first anchor
        s.log_store.append([rec(1)])
        lost = anchorer(s).step().anchored
        assert lost is not None and lost.tree_size == 2
    finally:
        s.close()
    state.write_bytes(older)  # the chain came back without the second anchor

    s = open_services(settings)
    try:
        assert s.evidence_log is not None
        assert s.evidence_log.latest_head().size == 1
        result = anchorer(s).step()
        again = s.anchors.latest_confirmed()
        assert result.anchored is not None and again is not None
        # the same signed transaction may be mined again (same nonce and calldata): the
        # anchor is new when its block is
        assert again.tree_size == 2 and again.block_hash != lost.block_hash
        assert again.status == "confirmed"
        assert s.evidence_log.root_of(2) == s.log_store.root_at(2)
    finally:
        s.close()
