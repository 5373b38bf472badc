"""A real service for the page tests: ``chainwitness serve`` with three witnesses.

Every party is its own process, as in production: three ``ledger_service.cosigner``
witnesses (own keys, data directories and clocks), then ``chainwitness init``
(deploys the contracts on the given anvil, writes ``trust-policy.json``),
``chainwitness token create`` and ``chainwitness serve``. The pages are then
driven in Debian's chromium against that service's own HTTP port.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account

from ledger_service.evidence.checkpointing import ensure_log_key
from tests.integration.serving import free_port, wait_http

ORIGIN = "ggzy.example.gov.cn/chainwitness/pages"
NAMES = ("court.example/witness", "regulator.example/witness", "notary.example/witness")
QUORUM = 2


@dataclass
class LiveService:
    base: str
    token: str
    policy_path: Path
    rpc_url: str
    data_dir: Path
    env: dict[str, str]
    #: the notary office's own key (pinned in the policy as the notary authority)
    notary_key: bytes = b""
    #: the notary authority's key (司法行政机关, NotaryRegistry's admin): it authorizes notaries
    authority_key: bytes = b""

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ledger_service", *args], env=self.env,
                              capture_output=True, text=True, timeout=120, check=False)  # fmt: skip

    def deposit_file(self, name: str, data: bytes, subject: str) -> dict[str, Any]:
        r = httpx.post(f"{self.base}/v1/files", params={"name": name, "subject": subject},
                       content=data, headers={**self.auth, "Content-Type": "application/octet-stream"},
                       timeout=30)  # fmt: skip
        r.raise_for_status()
        body: dict[str, Any] = r.json()
        return body

    def wait_witnessed(self, sha256: str, timeout: float = 60) -> dict[str, Any]:
        """The public answer for ``sha256`` once its proof is anchored and has a checkpoint
        cosigned by the quorum."""
        until = time.monotonic() + timeout
        while True:
            v: dict[str, Any] = httpx.get(f"{self.base}/v1/verify/{sha256}", timeout=10).json()
            cps = v.get("checkpoints") or [None]
            anchored = bool(v["proofs"]) and v["proofs"][0]["anchor"] is not None
            if anchored and cps[0] is not None and cps[0]["note"].count("\n\u2014 ") >= 1 + QUORUM:
                return v
            if time.monotonic() > until:
                raise AssertionError(f"expected {sha256} anchored and witnessed, found {v}")
            time.sleep(0.3)


def _cosigner(name: str, data_dir: Path, log_vkey: str) -> tuple[subprocess.Popen[bytes], str]:
    init = subprocess.run(
        [sys.executable, "-m", "ledger_service.cosigner", "init", "--data-dir", str(data_dir),
         "--name", name, "--log", log_vkey],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert init.returncode == 0, init.stderr
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ledger_service.cosigner", "run", "--data-dir", str(data_dir),
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/{'0' * 64}/checkpoint", proc, f"cosigner {name}", timeout=20)
    return proc, f"{url} {init.stdout.strip()}"


@contextmanager
def live_service(work: Path, rpc_url: str, signer_key: str) -> Iterator[LiveService]:
    """Start witnesses and ``chainwitness serve`` on ``rpc_url``; stop them afterwards."""
    data_dir = work / "centre"
    log_vkey = ensure_log_key(data_dir, ORIGIN).verifier_key.to_text()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        settings = []
        for name in NAMES:
            proc, setting = _cosigner(name, work / name.split(".")[0], log_vkey)
            procs.append(proc)
            settings.append(setting)
        port = free_port()
        notary, authority = Account.create(), Account.create()
        env = {
            **os.environ,
            "CHAINWITNESS_DATA_DIR": str(data_dir),
            "CHAINWITNESS_RPC_URL": rpc_url,
            "CHAINWITNESS_SIGNER_KEY": signer_key,
            "CHAINWITNESS_LOG_ORIGIN": ORIGIN,
            "CHAINWITNESS_WITNESSES": json.dumps(settings),
            "CHAINWITNESS_WITNESS_QUORUM": str(QUORUM),
            "CHAINWITNESS_ANCHOR_INTERVAL_S": "0.3",
            "CHAINWITNESS_PORT": str(port),
            "CHAINWITNESS_NOTARY": notary.address,
            "CHAINWITNESS_NOTARY_AUTHORITY": authority.address,
            # the witness CA's password: witness reports (the report QR page test)
            "CHAINWITNESS_WITNESS_PASSWORD": "pages-live witness CA",
        }
        service = LiveService(f"http://127.0.0.1:{port}", "", data_dir / "trust-policy.json",
                              rpc_url, data_dir, env, bytes(notary.key), bytes(authority.key))  # fmt: skip
        init = service.cli("init")
        assert init.returncode == 0, init.stdout + init.stderr
        assert service.policy_path.is_file(), init.stdout
        token = service.cli("token", "create", "--role", "operator", "--name", "centre")
        assert token.returncode == 0, token.stderr
        service.token = token.stdout.strip().splitlines()[-1].split()[-1]
        log = (work / "serve.log").open("wb")
        serve = subprocess.Popen([sys.executable, "-m", "ledger_service", "serve", "--port", str(port)],
                                 env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        procs.append(serve)
        wait_http(f"{service.base}/healthz", serve, "chainwitness serve", timeout=60)
        yield service
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
