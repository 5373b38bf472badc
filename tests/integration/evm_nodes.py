"""The EVM nodes the integration tier runs on: anvil (the default) and Hardhat Network.

``pytest --evm-node=anvil|hardhat|both`` (default ``both``) picks the nodes the modules
that ask for ``evm_node`` run on (tests/integration/chain/test_second_node.py); the
rest of the tier runs on the embedded anvil. Each node is a separate process on a free
loopback port, used by the service as an external chain (``CHAINWITNESS_RPC_URL`` and
``CHAINWITNESS_SIGNER_KEY``): :attr:`DevNode.dev_key` is the first account of the
standard development mnemonic, which both nodes fund with 10,000 ETH.

Hardhat 2 is pinned in package.json (devDependencies) and configured by
tests/hardhat/hardhat.config.cjs (chain id 31337, hardfork = our default EVM target).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ledger_service.chain.node import ManagedAnvil, _free_port, death_signal_setter

ROOT = Path(__file__).resolve().parents[2]
HARDHAT_DIR = ROOT / "tests" / "hardhat"
HARDHAT_BIN = ROOT / "node_modules" / ".bin" / "hardhat"
#: account 0 of "test test test test test test test test test test test junk" (anvil, Hardhat)
DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
CHAIN_ID = 31337
EVM_NODES = ("anvil", "hardhat")
#: our EVM targets (ledger_service/chain/evm_target.py) as Hardhat names its hardforks:
#: Hardhat 2 has no "paris", it calls that fork "merge" (anvil takes "paris")
HARDHAT_HARDFORKS = {"cancun": "cancun", "paris": "merge"}
STARTUP_TIMEOUT = 60.0


def chosen_nodes(option: str) -> list[str]:
    """The node names ``--evm-node`` selects."""
    if option == "both":
        return list(EVM_NODES)
    if option not in EVM_NODES:
        raise ValueError(f"expected --evm-node among {[*EVM_NODES, 'both']}, found {option!r}")
    return [option]


@dataclass
class DevNode:
    """A running development node: its name, RPC URL and a funded key."""

    name: str
    rpc_url: str
    dev_key: str = DEV_KEY
    chain_id: int = CHAIN_ID


def _rpc(url: str, method: str, params: list[object], timeout: float = 2) -> object:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 - loopback only
        answer = json.loads(r.read())
    if "error" in answer:
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer["result"]


class HardhatNode:
    """``hardhat node`` (Hardhat Network) as a separate process on 127.0.0.1.

    Its output goes to ``<work_dir>/hardhat.log``. It dies with the thread that started
    it (``PR_SET_PDEATHSIG``, as the embedded anvil), so no orphan outlives a test run.
    """

    def __init__(self, work_dir: Path, evm_target: str = "cancun") -> None:
        self.work_dir = work_dir
        self.hardfork = HARDHAT_HARDFORKS[evm_target]
        self.port = _free_port()
        self.rpc_url = f"http://127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def log_file(self) -> Path:
        return self.work_dir / "hardhat.log"

    def start(self) -> None:
        if not HARDHAT_BIN.exists():
            raise RuntimeError(f"expected {HARDHAT_BIN} (run `make setup`), found nothing")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._log = self.log_file.open("ab")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.work_dir),  # Hardhat keeps its own settings under $HOME
            "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true",
            "HARDHAT_HARDFORK": self.hardfork,
            "CI": "true",
        }
        self._proc = subprocess.Popen(  # noqa: S603 - a pinned local binary
            [str(HARDHAT_BIN), "--config", "hardhat.config.cjs", "node",
             "--hostname", "127.0.0.1", "--port", str(self.port)],
            cwd=HARDHAT_DIR, env=env, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, preexec_fn=death_signal_setter(),  # noqa: PLW1509
        )  # fmt: skip
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if self._proc.poll() is not None:
                raise RuntimeError(f"hardhat node exited: {self.log_tail()}")
            try:
                version = str(_rpc(self.rpc_url, "web3_clientVersion", []))
            except (OSError, urllib.error.URLError, RuntimeError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"expected hardhat node at {self.rpc_url} within {STARTUP_TIMEOUT:g} s, "
                        f"found no answer: {self.log_tail()}"
                    ) from None
                time.sleep(0.2)
                continue
            if not version.startswith("HardhatNetwork/"):
                raise RuntimeError(f"expected Hardhat Network, found {version!r}")
            return

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(10)
        self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None


class AnvilNode:
    """anvil as a separate process (the embedded node's class, used as an external chain)."""

    def __init__(self, work_dir: Path, evm_target: str = "cancun") -> None:
        self._node = ManagedAnvil(work_dir, chain_id=CHAIN_ID, hardfork=evm_target)

    @property
    def rpc_url(self) -> str:
        return self._node.rpc_url

    def start(self) -> None:
        self._node.start()

    def stop(self) -> None:
        self._node.stop()


def start_node(
    name: str, work_dir: Path, evm_target: str = "cancun"
) -> tuple[DevNode, HardhatNode | AnvilNode]:
    """Start the node ``name`` at the hardfork of ``evm_target`` (cancun or paris) in
    ``work_dir``; returns its description and its process (to stop)."""
    proc: HardhatNode | AnvilNode = (
        HardhatNode(work_dir, evm_target) if name == "hardhat" else AnvilNode(work_dir, evm_target)
    )
    proc.start()
    return DevNode(name, proc.rpc_url), proc
