"""The witness half of `make demo` (issue 10): three independent log witnesses.

Each witness (court, regulator, notary office) is its own process,
``python -m ledger_service.cosigner run``, with its own data directory, Ed25519
key and clock. They are told the log's key out of band before the service
starts; the service then has every anchored head cosigned, and the centre
publishes the trust policy that pins the chain, the contracts, the log key and
the witnesses' keys at quorum 2 of 3.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from ledger_service.core.checkpoints import SignedCheckpoint, verify_witnessed
from ledger_service.core.notes import VerifierKey
from ledger_service.core.trust_policy import TrustPolicy
from ledger_service.cosigner.collector import WitnessEndpoint, httpx_post
from ledger_service.evidence.checkpointing import CheckpointPublisher, ensure_log_key
from ledger_service.runtime import Services

ORIGIN = "ggzy.example.gov.cn/chainwitness/demo"
NAMES = ("court.example/witness", "regulator.example/witness", "notary.example/witness")
QUORUM = 2


@dataclass
class Witness:
    name: str
    url: str
    key: VerifierKey

    @property
    def setting(self) -> str:
        """The service's ``CHAINWITNESS_WITNESSES`` entry for this witness."""
        return f"{self.url} {self.key.to_text()}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def witnesses(work: Path, service_dir: Path) -> Iterator[list[Witness]]:
    """Create the log key in ``service_dir``, then init and run three witnesses under ``work``."""
    log_key = ensure_log_key(service_dir, ORIGIN).verifier_key
    procs: list[subprocess.Popen[bytes]] = []
    out: list[Witness] = []
    try:
        for name in NAMES:
            data_dir = work / name.split(".")[0]
            init = subprocess.run(
                [sys.executable, "-m", "ledger_service.cosigner", "init", "--data-dir",
                 str(data_dir), "--name", name, "--log", log_key.to_text()],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            port = _free_port()
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "ledger_service.cosigner", "run", "--data-dir",
                 str(data_dir), "--port", str(port)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ},
            ))  # fmt: skip
            out.append(Witness(name, f"http://127.0.0.1:{port}",
                               VerifierKey.from_text(init.stdout.strip())))  # fmt: skip
        for w in out:
            deadline = time.monotonic() + 20
            while True:
                try:
                    httpx.get(f"{w.url}/{'0' * 64}/checkpoint", timeout=1)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"witness {w.name} did not start") from None
                    time.sleep(0.1)
        yield out
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)


def show_cosigned(base: str, policy: TrustPolicy) -> None:
    """Print the log's latest checkpoint as served, and who cosigned it."""
    note = httpx.get(f"{base}/checkpoint", timeout=10).content
    for line in note.decode().splitlines():
        print("   | " + line[:110])
    w = verify_witnessed(SignedCheckpoint.from_bytes(note), policy.log_key, policy.log_origin,
                         policy.witnesses, int(time.time()))  # fmt: skip
    names = ", ".join(c.name for c in w.cosignatures)
    print(f"   size {w.checkpoint.size} witnessed at {len(w.cosignatures)} of {w.n} "
          f"(quorum {w.k}) by {names}; witnessed time {w.time}")  # fmt: skip


def backdating_attempt(services: Services, ws: list[Witness], say: Callable[[str], None]) -> bool:
    """The operator signs a checkpoint claiming a time an hour ago; every witness refuses."""
    say("3b. 倒签尝试 The operator backdates a checkpoint by an hour; the witnesses' clocks refuse")
    head = services.log_store.head()
    logging.getLogger("chainwitness.checkpoints").setLevel(logging.ERROR)  # printed below
    with httpx.Client(timeout=10) as http:
        forger = CheckpointPublisher(
            services.log_store, services.checkpoints, ensure_log_key(services.settings.data_dir),
            [WitnessEndpoint(w.url, w.key) for w in ws], QUORUM, httpx_post(http),
            clock=lambda: time.time() - 3600,
        )  # fmt: skip
        published = forger.publish(head.size, head.root)
    logging.getLogger("chainwitness.checkpoints").setLevel(logging.NOTSET)
    for w, a in zip(ws, published.answers, strict=True):
        print(f"   {w.name}: {a.error or 'cosigned (!)'}")
    return all(a.cosignature is None for a in published.answers)
