"""A real ``chainwitness serve`` in its own process, for operations tests.

Each :class:`Served` runs ``python -m ledger_service serve`` on a data directory
with its own embedded anvil, logs to a file, and offers what the tests need:
tokens, deposits, the anvil child's PID, the chain behind the data directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account

from ledger_service.chain.client import ChainClient
from ledger_service.chain.evidence_log import EvidenceLogContract
from ledger_service.runtime import open_store
from ledger_service.settings import Settings
from ledger_service.store.tokens import create_token
from tests.integration.serving import free_port

#: fast anchoring, so that tests see anchors within a fraction of a second
FAST = {"CHAINWITNESS_ANCHOR_INTERVAL_S": "0.2"}


def record(i: int) -> dict[str, object]:
    return {
        "kind": "document",
        "subject": "ops:test",
        "digests": {"sha256": hashlib.sha256(f"ops {i}".encode()).hexdigest()},
        "metadata": {"n": i},
    }


def process_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def wait_until(what: str, condition: Any, timeout: float = 30, poll: float = 0.1) -> Any:
    until = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > until:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(poll)


class Served:
    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.env = {**os.environ, **FAST, **(env or {})}
        self.env.pop("CHAINWITNESS_DATA_DIR", None)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}-serve.log"
        self._token: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def argv(self, *extra: str) -> list[str]:
        return [sys.executable, "-m", "ledger_service", *extra, "serve",
                "--data-dir", str(self.data_dir), "--port", str(self.port)]  # fmt: skip

    def start(self, *extra: str, wait: bool = True) -> Served:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps it
        self.proc = subprocess.Popen(
            self.argv(*extra), env=self.env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        log.close()
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 180) -> None:
        def up() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited with {self.proc.returncode}:\n{self.log()}")
            try:
                return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_until("serve to answer /healthz", up, timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    # -- processes -------------------------------------------------------------

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def anvil_pids(self) -> list[int]:
        """The PIDs of live anvil children of serve."""
        children: list[int] = []
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            children += [int(c) for c in (task / "children").read_text().split()]
        return [
            c for c in children
            if process_alive(c) and "anvil" in Path(f"/proc/{c}/cmdline").read_text()
        ]  # fmt: skip

    def anvil_pid(self) -> int:
        """The PID of the anvil child (the only child process of serve)."""
        anvils = self.anvil_pids()
        assert len(anvils) == 1, f"expected one anvil child of {self.pid}, found {anvils}"
        return anvils[0]

    def signal(self, sig: int) -> None:
        os.kill(self.pid, sig)

    def wait_exit(self, timeout: float = 90) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    # -- API -------------------------------------------------------------------

    def token(self, role: str = "operator") -> str:
        if self._token is None:
            log_store, _, _ = open_store(Settings(data_dir=self.data_dir))
            try:
                _, self._token = create_token(log_store.engine, f"ops-{role}", role)
            finally:
                log_store.engine.dispose()
        return self._token

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    def deposit(self, i: int) -> dict[str, Any]:
        r = httpx.post(f"{self.url}/v1/records", json=record(i), headers=self.headers(), timeout=30)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def record(self, index: int) -> dict[str, Any]:
        r = httpx.get(f"{self.url}/v1/records/{index}", headers=self.headers(), timeout=30)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def wait_anchored(self, index: int, timeout: float = 90, poll: float = 0.02) -> dict[str, Any]:
        got = wait_until(
            f"record {index} anchored",
            lambda: (lambda r: r if r["status"] == "anchored" else None)(self.record(index)),
            timeout, poll,
        )  # fmt: skip
        return dict(got)

    # -- the chain behind the data directory -----------------------------------

    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{(self.data_dir / 'anvil' / 'rpc-port').read_text().strip()}"

    def evidence_log(self) -> EvidenceLogContract:
        deployment = json.loads((self.data_dir / "deployment.json").read_text())
        client = ChainClient(self.rpc_url(), Account.create(), 31337, retries=2, backoff=0.1)
        return EvidenceLogContract(client, deployment["contracts"]["EvidenceLog"])
