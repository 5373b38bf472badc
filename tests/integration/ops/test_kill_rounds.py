"""``kill -9`` of ``serve`` at random points during batch ingest, round after round.

Each round restarts ``serve`` on the same data directory, deposits batches from client
threads and kills the server at a random moment. After every restart: each
acknowledged batch is in the log at the indexes it was given, with its leaf hashes;
every batch in the log is whole (appends are atomic); the root recomputes from the
stored records; and at the end everything is anchored on the (restored) chain.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from ledger_service.core.merkle.tree import root_from_leaves
from ledger_service.runtime import open_store
from ledger_service.settings import Settings
from tests.integration.ops.harness import Served, record

pytestmark = pytest.mark.integration

ROUNDS = 3
BATCH = 250


def _check_log(data_dir: Path, acked: dict[int, list[str]]) -> int:
    log_store, _, _ = open_store(Settings(data_dir=data_dir))
    try:
        head = log_store.head()
        records = [log_store.record(i).record for i in range(head.size)]
        leaves = [r.leaf_hash() for r in records]
        assert leaves == [log_store.leaf_hash(i) for i in range(head.size)]
        assert root_from_leaves(leaves) == head.root
        for first, hashes in acked.items():
            got = [leaves[first + k].hex() for k in range(len(hashes))]
            assert got == hashes, f"acknowledged batch at {first} is not what the log holds"
        sizes = Counter(str(r.metadata["batch"]) for r in records)
        partial = {b: n for b, n in sizes.items() if n != BATCH}
        assert not partial, f"partial batches in the log: {partial}"
        return head.size
    finally:
        log_store.engine.dispose()


def test_kill_9_during_batch_ingest_loses_nothing_acknowledged(tmp_path: Path) -> None:
    served = Served(tmp_path / "svc")
    rnd = random.Random(20261203)
    acked: dict[int, list[str]] = {}
    lock = threading.Lock()
    for round_no in range(ROUNDS):
        served.start()
        headers = served.headers()
        stop = threading.Event()

        def client(worker: int, served: Served = served, stop: threading.Event = stop,
                   headers: dict[str, str] = headers, round_no: int = round_no) -> None:  # fmt: skip
            n = 0
            with httpx.Client(timeout=30) as http:
                while not stop.is_set():
                    tag = f"r{round_no}w{worker}b{n}"
                    batch = [record(i) | {"metadata": {"batch": tag, "i": i}}
                             for i in range(BATCH)]  # fmt: skip
                    n += 1
                    try:
                        r = http.post(served.url + "/v1/records/batch", headers=headers,
                                      json={"records": batch})  # fmt: skip
                    except httpx.TransportError:
                        return  # the server died mid-request: not acknowledged
                    assert r.status_code == 201, r.text
                    body = r.json()
                    with lock:
                        acked[body["first_index"]] = body["leaf_hashes"]

        threads = [threading.Thread(target=client, args=(w,)) for w in range(3)]
        for t in threads:
            t.start()
        time.sleep(rnd.uniform(0.5, 2.5))
        served.signal(signal.SIGKILL)
        served.wait_exit()
        stop.set()
        for t in threads:
            t.join(30)
        size = _check_log(served.data_dir, acked)
        assert size >= sum(len(h) for h in acked.values())
    assert acked, "no batch was ever acknowledged"
    served.start()
    try:
        size = _check_log(served.data_dir, acked)
        served.wait_anchored(size - 1, timeout=120)
    finally:
        served.stop()
