"""The hostile operator's playground: a service, three independent witnesses, a pinned policy.

``witnesses`` starts three ``python -m ledger_service.cosigner run`` processes,
each with its own data directory, Ed25519 key and loopback port, pinning the
log key of the service data directory ``log_dir`` (created first: the witnesses
are told the log's key out of band, as in production). ``service`` opens the
service on the session anvil with a fresh EvidenceLog and those witnesses at
quorum 2 of 3; ``policy`` is the trust policy it would publish. Tests then play
the OPERATOR, who holds every service key and runs the chain.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ledger_service.chain.client import ChainClient
from ledger_service.chain.evidence_log import EvidenceLogContract
from ledger_service.chain.node import ManagedAnvil
from ledger_service.core.notes import VerifierKey
from ledger_service.core.records import EvidenceRecord
from ledger_service.core.trust_policy import TrustPolicy
from ledger_service.evidence.anchoring import Anchorer
from ledger_service.evidence.checkpointing import LOG_KEY_FILE, ensure_log_key
from ledger_service.evidence.trust_file import build_trust_policy, write_trust_policy
from ledger_service.runtime import Services, open_services
from ledger_service.settings import Settings
from tests.integration.serving import free_port, wait_http

ROOT = Path(__file__).resolve().parents[3]
ORIGIN = "ggzy.example.gov.cn/chainwitness/log"
NAMES = ("court.example/witness", "regulator.example/witness", "notary.example/witness")
QUORUM = 2


@dataclass
class Witness:
    """One running cosigner process: its URL, its key and its own data directory."""

    url: str
    key: VerifierKey
    data_dir: Path

    def evidence(self) -> list[dict[str, object]]:
        path = self.data_dir / "refused.jsonl"
        return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []

    @property
    def setting(self) -> str:
        return f"{self.url} {self.key.to_text()}"


def _start(
    name: str, data_dir: Path, log_key: VerifierKey
) -> tuple[subprocess.Popen[bytes], Witness]:
    init = subprocess.run(
        [sys.executable, "-m", "ledger_service.cosigner", "init", "--data-dir", str(data_dir),
         "--name", name, "--log", log_key.to_text()],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert init.returncode == 0, init.stderr
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ledger_service.cosigner", "run", "--data-dir", str(data_dir),
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/{'0' * 64}/checkpoint", proc, f"cosigner {name}", timeout=20)
    return proc, Witness(url, VerifierKey.from_text(init.stdout.strip()), data_dir)


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    """The service's data directory, holding the log's note key before anything else."""
    path = tmp_path / "centre"
    ensure_log_key(path, ORIGIN)
    return path


@pytest.fixture
def witnesses(tmp_path: Path, log_dir: Path) -> Iterator[list[Witness]]:
    log_key = ensure_log_key(log_dir, ORIGIN).verifier_key
    started: list[tuple[subprocess.Popen[bytes], Witness]] = []
    try:
        for name in NAMES:
            started.append(_start(name, tmp_path / name.split(".")[0], log_key))
        yield [w for _, w in started]
    finally:
        for proc, _ in started:
            proc.terminate()
            proc.wait(timeout=10)


def settings_for(
    data_dir: Path, anvil: ManagedAnvil, client: ChainClient, address: str, witnesses: list[Witness]
) -> Settings:
    return Settings(
        data_dir=data_dir, rpc_url=anvil.rpc_url, signer_key="0x" + bytes(client.signer.key).hex(),
        evidence_log_address=address, log_origin=ORIGIN,
        witnesses=[w.setting for w in witnesses], witness_quorum=QUORUM,
    )  # fmt: skip


@pytest.fixture
def service(
    log_dir: Path,
    anvil: ManagedAnvil,
    chain_client: ChainClient,
    evidence_log: EvidenceLogContract,
    witnesses: list[Witness],
) -> Iterator[Services]:
    services = open_services(
        settings_for(log_dir, anvil, chain_client, evidence_log.address, witnesses)
    )
    try:
        yield services
    finally:
        services.close()


def anchorer_of(services: Services) -> Anchorer:
    """The service's anchorer, signing and collecting a checkpoint of every anchored head."""
    assert services.client and services.evidence_log and services.publisher
    return Anchorer(
        services.log_store, services.anchors, services.client, services.evidence_log,
        on_head=services.publisher.ensure,
    )  # fmt: skip


@pytest.fixture
def policy(service: Services, tmp_path: Path) -> tuple[TrustPolicy, Path]:
    """The policy the centre publishes with the tender notice, and where a verifier keeps it."""
    assert service.chain is not None
    built = build_trust_policy(service.settings, service.chain.chain_id,
                               service.contract_addresses)  # fmt: skip
    assert built is not None
    pinned = tmp_path / "verifier"
    pinned.mkdir()
    return built, write_trust_policy(built, pinned)


def deposit(services: Services, subject: str, text: str, kind: str = "tender.bid_submitted") -> int:
    record = EvidenceRecord.create(
        kind=kind, subject=subject, actor="bidder:acme",
        digests={"sha256": hashlib.sha256(text.encode()).hexdigest()},
    )  # fmt: skip
    return services.log_store.append([record]).first_index


def operator_copy(log_dir: Path, other: Path) -> Path:
    """A second data directory holding the operator's own log key (it holds every key)."""
    other.mkdir(parents=True)
    shutil.copy2(log_dir / LOG_KEY_FILE, other / LOG_KEY_FILE)
    return other


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``chainwitness ...`` in a new process, with no service data directory."""
    return subprocess.run(
        [sys.executable, "-m", "ledger_service", *args],
        capture_output=True, text=True, cwd=ROOT, env={"PATH": "/usr/bin:/bin"}, timeout=120,
        check=False,
    )  # fmt: skip
