"""The anchorer against a real anvil: batching, idempotence, crashes, reorgs, divergence."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from pathlib import Path

import pytest

from ledger_service.chain.client import ChainClient
from ledger_service.chain.evidence_log import EvidenceLogContract
from ledger_service.core.errors import ChainStateMismatch
from ledger_service.core.merkle import leaf_hash, root_from_leaves
from ledger_service.core.merkle.size import size_proof_from_leaves
from ledger_service.core.records import EvidenceRecord
from ledger_service.evidence.anchoring import Anchorer
from ledger_service.evidence.proofs import inclusion_proof
from ledger_service.store.anchors import CONFIRMED, PENDING, AnchorStore
from ledger_service.store.db import make_engine, migrate
from ledger_service.store.log import LogStore

pytestmark = pytest.mark.integration


def recs(start: int, n: int) -> list[EvidenceRecord]:
    return [
        EvidenceRecord.create(
            kind="event",
            subject="tender:T-9",
            actor="operator:test",
            digests={"sha256": hashlib.sha256(str(i).encode()).hexdigest()},
            metadata={"i": i},
        )
        for i in range(start, start + n)
    ]


@pytest.fixture
def stores(tmp_path: Path) -> tuple[LogStore, AnchorStore]:
    engine = make_engine(f"sqlite:///{tmp_path / 'log.db'}")
    migrate(engine)
    return LogStore(engine), AnchorStore(engine)


def anchorer(
    stores: tuple[LogStore, AnchorStore], log_contract: EvidenceLogContract, **kw: int
) -> Anchorer:
    log_store, anchors = stores
    return Anchorer(log_store, anchors, log_contract.client, log_contract, **kw)  # type: ignore[arg-type]


def test_anchors_batches_and_proofs_check_on_chain(
    stores: tuple[LogStore, AnchorStore], evidence_log: EvidenceLogContract
) -> None:
    log_store, anchors = stores
    a = anchorer(stores, evidence_log)
    assert a.step().anchored is None  # empty log: nothing to anchor
    log_store.append(recs(0, 5))
    first = a.step().anchored
    assert first is not None and first.tree_size == 5 and first.status == CONFIRMED
    log_store.append(recs(5, 300))
    second = a.step().anchored
    assert second is not None and second.tree_size == 305
    assert a.step().anchored is None  # nothing new: idempotent
    assert evidence_log.head_count() == 2
    assert evidence_log.root_of(305) == log_store.head().root
    p = inclusion_proof(log_store, anchors, 3)
    p.verify()
    assert p.anchor is not None and p.anchor.tree_size == 305 and p.anchor.head_index == 1
    assert evidence_log.root_of(p.anchor.tree_size) == p.root


def test_restart_after_crash_between_send_and_record(
    stores: tuple[LogStore, AnchorStore], evidence_log: EvidenceLogContract
) -> None:
    """The transaction went out, the process died before writing it down."""
    log_store, anchors = stores
    log_store.append(recs(0, 10))
    head = log_store.head()
    tx = evidence_log.anchor(head.size, head.root, [], log_store.size_proof(head.size))  # pre-crash
    assert anchors.latest_confirmed() is None
    restarted = anchorer(stores, evidence_log)
    assert restarted.step().anchored is None  # no second anchor of the same head
    got = anchors.latest_confirmed()
    assert got is not None and got.tx_hash == tx.tx_hash and got.tree_size == 10
    log_store.append(recs(10, 7))
    assert restarted.step().anchored is not None
    assert evidence_log.latest_head().size == 17


def test_reorg_drops_anchor_and_reanchors(
    stores: tuple[LogStore, AnchorStore],
    evidence_log: EvidenceLogContract,
    chain_client: ChainClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    log_store, anchors = stores
    a = anchorer(stores, evidence_log)
    log_store.append(recs(0, 4))
    a.step()
    snap = chain_client.request("evm_snapshot", [])
    log_store.append(recs(4, 4))
    gone = a.step().anchored
    assert gone is not None
    assert chain_client.request("evm_revert", [snap]) is True
    assert chain_client.receipt(gone.tx_hash) is None
    with caplog.at_level(logging.WARNING, "chainwitness.anchoring"):
        again = a.step().anchored  # notices the vanished tx, anchors the head again
    assert "reorged away" in caplog.text
    # same nonce and content: the replacement may even have the same hash, in a new block
    assert again is not None and again.tree_size == 8 and again.block_hash != gone.block_hash
    assert chain_client.receipt(again.tx_hash) is not None
    assert [(x.tree_size, x.status) for x in anchors.all()] == [(4, CONFIRMED), (8, CONFIRMED)]
    assert evidence_log.root_of(8) == log_store.head().root


def test_confirmation_depth(
    stores: tuple[LogStore, AnchorStore],
    evidence_log: EvidenceLogContract,
    chain_client: ChainClient,
) -> None:
    log_store, anchors = stores
    a = anchorer(stores, evidence_log, confirmations=2)
    log_store.append(recs(0, 3))
    made = a.step().anchored
    assert made is not None and made.status == PENDING
    assert anchors.latest_confirmed() is None
    assert inclusion_proof(log_store, anchors, 0).anchor is None  # not final yet
    chain_client.request("evm_mine", [])
    chain_client.request("evm_mine", [])
    a.sync()
    assert anchors.latest_confirmed() is not None


def test_diverged_history_stops_anchoring(
    stores: tuple[LogStore, AnchorStore], evidence_log: EvidenceLogContract
) -> None:
    log_store, _ = stores
    log_store.append(recs(0, 6))
    other = [b"another history %d" % i for i in range(6)]  # a genuine tree, not this log
    evidence_log.anchor(
        6, root_from_leaves([leaf_hash(d) for d in other]), [], size_proof_from_leaves(other, 6)
    )
    with pytest.raises(ChainStateMismatch, match="diverged"):
        anchorer(stores, evidence_log).step()


def test_run_loop_anchors_early_when_many_leaves_wait(
    stores: tuple[LogStore, AnchorStore], evidence_log: EvidenceLogContract
) -> None:
    log_store, anchors = stores
    a = anchorer(stores, evidence_log, interval_s=3600, max_leaves=50)
    thread, stop = a.start_thread()
    try:
        time.sleep(0.3)  # first step at start: nothing yet
        log_store.append(recs(0, 60))
        assert a.wait_anchored(60, timeout=10).tree_size == 60
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    assert isinstance(stop, threading.Event)
