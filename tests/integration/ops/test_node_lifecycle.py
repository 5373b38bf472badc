"""The embedded anvil lives and dies with ``serve`` (issue 11, defect 1).

Real ``serve`` processes and their real anvil children: SIGTERM stops both with
exit 0 and a saved state, ``kill -9`` of serve takes anvil down too, a killed
anvil is restarted on the same port, and a second serve on the same data
directory is refused with the holder's PID.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.ops.harness import Served, process_alive, wait_until

pytestmark = pytest.mark.integration


def test_sigterm_saves_the_chain_stops_anvil_and_exits_0(tmp_path: Path) -> None:
    served = Served(tmp_path / "data").start()
    try:
        served.wait_anchored(served.deposit(0)["index"])
        anvil = served.anvil_pid()
        served.signal(signal.SIGTERM)
        assert served.wait_exit() == 0, served.log()
        assert not process_alive(anvil)
        state = tmp_path / "data" / "anvil" / "anvil-state.json"
        assert state.stat().st_size > 0
        assert not list(state.parent.glob(".anvil-state.json.*.tmp")), "a temporary file remains"
    finally:
        served.stop()


def test_kill_9_of_serve_takes_anvil_down(tmp_path: Path) -> None:
    served = Served(tmp_path / "data").start()
    try:
        anvil = served.anvil_pid()
        served.signal(signal.SIGKILL)
        served.wait_exit()
        wait_until("anvil to die with its parent", lambda: not process_alive(anvil), 5)
    finally:
        served.stop()


def test_a_killed_anvil_is_restarted_on_the_same_port_and_anchoring_resumes(
    tmp_path: Path,
) -> None:
    served = Served(tmp_path / "data").start()
    try:
        served.wait_anchored(served.deposit(0)["index"])
        url = served.rpc_url()
        anvil = served.anvil_pid()
        os.kill(anvil, signal.SIGKILL)
        wait_until("a new anvil", lambda: served.anvil_pids() not in ([], [anvil]), 20)
        assert served.rpc_url() == url
        index = served.deposit(1)["index"]
        got = served.wait_anchored(index)
        assert got["proof"]["anchor"]["tree_size"] >= index + 1
        assert "restarting from" in served.log()
    finally:
        served.stop()


def test_a_second_serve_on_the_same_data_directory_is_refused(tmp_path: Path) -> None:
    first = Served(tmp_path / "data").start()
    anvil = first.anvil_pid()
    second = Served(tmp_path / "data")
    try:
        second.start(wait=False)
        assert second.wait_exit(180) == 1
        assert f"running as PID {first.pid}" in second.log(), second.log()
        # the first one is unharmed
        first.wait_anchored(first.deposit(0)["index"])
        # a one-off command on the same directory uses the running node instead
        package = subprocess.run(
            [sys.executable, "-m", "ledger_service", "package", "0", "-o",
             str(tmp_path / "p.zip"), "--data-dir", str(tmp_path / "data")],
            env=first.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert package.returncode == 0, package.stderr
        assert first.anvil_pids() == [anvil]
    finally:
        second.stop()
        first.stop()
    # the lock goes with its holder: a new serve starts
    third = Served(tmp_path / "data").start()
    third.stop()


def test_a_frozen_chain_makes_serve_not_ready_but_deposits_go_on_and_anchor_after(
    tmp_path: Path,
) -> None:
    import httpx

    served = Served(tmp_path / "data").start()
    try:
        served.wait_anchored(served.deposit(0)["index"])
        anvil = served.anvil_pid()
        os.kill(anvil, signal.SIGSTOP)
        try:
            indices = [served.deposit(i)["index"] for i in range(1, 6)]  # accepted meanwhile
            r = httpx.get(f"{served.url}/readyz", timeout=10)
            assert r.status_code == 503 and "chain unreachable" in r.json()["detail"], r.text
            assert httpx.get(f"{served.url}/healthz", timeout=5).status_code == 200
        finally:
            os.kill(anvil, signal.SIGCONT)
        got = served.wait_anchored(indices[-1], timeout=90)
        assert got["proof"]["anchor"]["tree_size"] >= indices[-1] + 1
        wait_until("ready again", lambda: httpx.get(f"{served.url}/readyz", timeout=10)
                   .status_code == 200, 120)  # fmt: skip
        assert served.anvil_pids() == [anvil]  # frozen is not dead: no second node
    finally:
        served.stop()
