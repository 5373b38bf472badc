"""``chainwitness status``: readiness of the running service, the stable RPC URL and
every contract address (issue 11 item 2, issue 12 item 2)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.ops.harness import Served, wait_until

pytestmark = pytest.mark.integration


def _status(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAINWITNESS_")}
    return subprocess.run(
        [sys.executable, "-m", "ledger_service", "status", "--data-dir", str(data), *args],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_status_names_readiness_rpc_url_and_contracts_and_the_port_is_stable(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    served = Served(data).start()
    try:
        url = served.rpc_url()
        deployment = json.loads((data / "deployment.json").read_text())["contracts"]
        wait_until("ready", lambda: json.loads(_status(data, "--json").stdout)["service"]["state"]
                   == "ready", 90)  # fmt: skip
        text = _status(data).stdout
        assert f"service          ready at {served.url}" in text
        assert f"chain RPC        {url} (embedded anvil)" in text
        for name, address in deployment.items():
            assert f"{name:<16} {address}" in text
        # the chain frozen: the service says so, and status repeats it
        anvil = served.anvil_pid()
        os.kill(anvil, signal.SIGSTOP)
        try:
            report = json.loads(_status(data, "--json").stdout)
        finally:
            os.kill(anvil, signal.SIGCONT)
        assert report["service"]["state"] == "not ready"
        assert "chain unreachable" in report["service"]["detail"]
        assert report["chain"]["rpc_url"] == url
    finally:
        served.stop()
    report = json.loads(_status(data, "--json").stdout)
    assert report["service"]["state"] == "not running"
    assert report["contracts"] == dict(sorted(deployment.items()))
    # a restart serves the chain on the same port
    again = Served(data).start()
    try:
        assert again.rpc_url() == url
        assert again.anvil_pid() and f"--port {url.rsplit(':', 1)[1]}" in " ".join(
            Path(f"/proc/{again.anvil_pid()}/cmdline").read_text().split("\0")
        )
    finally:
        again.stop()
