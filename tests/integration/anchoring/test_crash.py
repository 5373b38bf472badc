"""The anchorer killed with SIGKILL at random points, and the chain going away."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ledger_service.chain.client import ChainClient
from ledger_service.chain.evidence_log import EvidenceLogContract
from ledger_service.chain.node import ManagedAnvil
from ledger_service.core.records import EvidenceRecord
from ledger_service.evidence.anchoring import Anchorer
from ledger_service.store.anchors import DROPPED, AnchorStore
from ledger_service.store.db import make_engine, migrate
from ledger_service.store.log import LogStore

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def recs(start: int, n: int) -> list[EvidenceRecord]:
    return [
        EvidenceRecord.create(
            kind="event",
            subject="tender:CRASH",
            actor="operator:test",
            digests={"sha256": hashlib.sha256(str(i).encode()).hexdigest()},
            metadata={},
        )
        for i in range(start, start + n)
    ]


def test_sigkill_at_random_points_then_restart_reconciles(
    tmp_path: Path, evidence_log: EvidenceLogContract, chain_client: ChainClient
) -> None:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    engine = make_engine(url)
    migrate(engine)
    log_store, anchors = LogStore(engine), AnchorStore(engine)
    rnd = random.Random(20261130)
    key = chain_client.signer.key.hex()
    total = 0
    for _round in range(5):
        log_store.append(recs(total, 40))
        total += 40
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.integration.anchoring.anchor_worker",
                url,
                chain_client.rpc_url,
                evidence_log.address,
                key,
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rnd.uniform(0.3, 2.0))
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    log_store.append(recs(total, 3))
    total += 3
    Anchorer(log_store, anchors, chain_client, evidence_log).step()
    head = evidence_log.latest_head()
    assert (head.size, head.root) == (total, log_store.head().root)
    live = [a for a in anchors.all() if a.status != DROPPED]
    assert len(live) == evidence_log.head_count()  # every on-chain head known once, none invented
    for a in live:
        assert evidence_log.root_of(a.tree_size) == a.root == log_store.root_at(a.tree_size)


def test_chain_outage_is_retried_until_it_returns(tmp_path: Path) -> None:
    node = ManagedAnvil(tmp_path / "anvil", port=None)
    node.start()
    try:
        from eth_account import Account

        client = ChainClient(node.rpc_url, Account.create(), None, retries=1, backoff=0.01)
        client.fund_from_dev_account(10**20)
        address, _, _ = client.deploy("EvidenceLog", client.address, client.address)
        contract = EvidenceLogContract(client, address)
        engine = make_engine(f"sqlite:///{tmp_path / 'log.db'}")
        migrate(engine)
        log_store, anchors = LogStore(engine), AnchorStore(engine)
        anchorer = Anchorer(log_store, anchors, client, contract, interval_s=0.05)
        thread, stop = anchorer.start_thread()
        try:
            node.stop()  # state is dumped on SIGTERM and reloaded on start
            log_store.append(recs(0, 12))
            time.sleep(1.0)
            assert thread.is_alive()  # the outage is logged and retried, not fatal
            node.start()
            assert anchorer.wait_anchored(12, timeout=40).tree_size == 12
        finally:
            stop.set()
            thread.join(10)
        assert isinstance(stop, threading.Event)
    finally:
        node.stop()
