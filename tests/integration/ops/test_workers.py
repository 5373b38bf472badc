"""``serve --workers 2``: two processes on one port and one database, dying together."""

from __future__ import annotations

import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from ledger_service.core.merkle.tree import root_from_leaves
from ledger_service.runtime import open_store
from ledger_service.settings import Settings
from tests.integration.ops.harness import Served, process_alive, record, wait_until

pytestmark = pytest.mark.integration


class TwoWorkers(Served):
    def argv(self, *extra: str) -> list[str]:
        return [*super().argv(*extra), "--workers", "2"]


def _worker_pids(served: Served) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{served.pid}/task").iterdir():
        for c in (task / "children").read_text().split():
            if process_alive(int(c)) and b"ledger_service.cli.workers" in Path(
                f"/proc/{c}/cmdline"
            ).read_bytes():
                out.append(int(c))
    return out


def test_two_workers_share_the_port_and_the_log_and_die_with_serve(tmp_path: Path) -> None:
    served = TwoWorkers(tmp_path / "svc").start(wait=False)
    served.wait_ready(timeout=120)
    try:
        workers = wait_until("the worker process", lambda: _worker_pids(served), 60)
        # the worker answers once it has imported and opened the data directory (slow on a
        # loaded 2-core machine: web3 alone imports in seconds)
        assert len(workers) == 1
        # the worker answers once it has opened the data directory
        pids = wait_until(
            "both processes answering",
            lambda: (lambda p: p if len(p) == 2 else None)(
                {httpx.get(served.url + "/healthz", timeout=5).json()["pid"] for _ in range(40)}
            ),
            240, 0.5,
        )  # fmt: skip
        assert pids == {served.pid, workers[0]}
        headers = served.headers()

        def deposit(i: int) -> int:
            with httpx.Client(timeout=30) as http:  # a connection per request: both processes
                r = http.post(served.url + "/v1/records", json=record(i), headers=headers)
                assert r.status_code == 201, r.text
                return int(r.json()["index"])

        with ThreadPoolExecutor(8) as pool:
            indexes = sorted(pool.map(deposit, range(200)))
        assert indexes == list(range(200)), "two processes gave out one index twice"
        served.wait_anchored(199, timeout=60)
        served.signal(signal.SIGKILL)
        served.wait_exit()
        wait_until("the worker to die with serve", lambda: not process_alive(workers[0]), 15)
    finally:
        served.stop()
    log_store, _, _ = open_store(Settings(data_dir=served.data_dir))
    try:
        head = log_store.head()
        assert head.size == 200
        leaves = [log_store.record(i).record.leaf_hash() for i in range(200)]
        assert root_from_leaves(leaves) == head.root
    finally:
        log_store.engine.dispose()
