"""RFC 3161 timestamps on checkpoints, against a local TSA the test starts.

``tests/tsa.py`` runs as its own process (root CA and TSA certificate of its own,
tokens by pyHanko's RFC 3161 implementation). The service asks it for a token over
each checkpoint's signed text; packages and proofs carry the token; a verifier pins
the TSA's root in its trust policy. The OPERATOR swaps in a token from a TSA of its
own choosing (one whose clock it set an hour back): the pinned verifier names it.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ledger_service.chain.client import ChainClient
from ledger_service.chain.evidence_log import EvidenceLogContract
from ledger_service.chain.node import ManagedAnvil
from ledger_service.core.errors import VerificationFailed
from ledger_service.core.packages import verify_package
from ledger_service.evidence.packaging import build_package
from ledger_service.evidence.proofs import proof_bundle
from ledger_service.evidence.trust_file import build_trust_policy
from ledger_service.runtime import Services, open_services
from tests.integration.attacks.conftest import (
    Witness,
    anchorer_of,
    deposit,
    run_cli,
    settings_for,
)
from tests.integration.serving import free_port, wait_http

SUBJECT = "tender:GC-2026-0417"


@dataclasses.dataclass
class Tsa:
    url: str
    root: Path


def _start_tsa(directory: Path, offset: float = 0.0) -> tuple[subprocess.Popen[bytes], Tsa]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.tsa", "--dir", str(directory), "--port", str(port),
         "--offset", str(offset)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_http(f"http://127.0.0.1:{port}/", proc, "the test TSA")
    return proc, Tsa(f"http://127.0.0.1:{port}/", directory / "root.pem")


@pytest.fixture
def tsas(tmp_path: Path) -> Iterator[tuple[Tsa, Tsa]]:
    """The TSA the centre names in its notice, and one of the operator's own (1 h slow)."""
    started = [_start_tsa(tmp_path / "tsa"), _start_tsa(tmp_path / "own-tsa", offset=-3600)]
    try:
        yield started[0][1], started[1][1]
    finally:
        for proc, _ in started:
            proc.terminate()
            proc.wait(timeout=10)


@pytest.fixture
def stamped(
    log_dir: Path, anvil: ManagedAnvil, chain_client: ChainClient,
    evidence_log: EvidenceLogContract, witnesses: list[Witness], tsas: tuple[Tsa, Tsa],
) -> Iterator[Services]:  # fmt: skip
    settings = settings_for(log_dir, anvil, chain_client, evidence_log.address, witnesses)
    settings = settings.model_copy(update={"tsa_url": tsas[0].url, "tsa_root": tsas[0].root})
    services = open_services(settings)
    try:
        yield services
    finally:
        services.close()


def _policy(services: Services):  # type: ignore[no-untyped-def]
    assert services.chain is not None
    policy = build_trust_policy(services.settings, services.chain.chain_id,
                                services.contract_addresses)  # fmt: skip
    assert policy is not None and policy.tsa_roots
    return policy


def test_checkpoints_carry_a_pinned_tsa_token_and_a_swapped_one_is_named(
    stamped: Services, tsas: tuple[Tsa, Tsa], tmp_path: Path
) -> None:
    for i in range(3):
        deposit(stamped, SUBJECT, f"bid {i}")
    assert anchorer_of(stamped).step().anchored is not None
    stored = stamped.checkpoints.latest()
    assert stored is not None and stored.timestamp is not None
    policy = _policy(stamped)
    package = build_package(stamped.package_sources(), SUBJECT)
    report = verify_package(package, policy=policy, now=int(time.time()))
    line = next(x for x in report.lines() if x.startswith(f"OK  timestamps/{stored.tree_size}.tsr"))
    assert "RFC 3161 token" in line and "CN=Test TSA" in line
    assert f"[TSA roots pinned by {policy.fingerprint[:19]}]" in line
    # the proof a bidder saves carries the token too; the CLI checks it against the policy
    bundle = proof_bundle(stamped.log_store, stamped.anchors, stamped.checkpoints, 0)
    assert bundle["timestamp"] is not None
    proof_file, policy_file = tmp_path / "proof.json", tmp_path / "trust-policy.json"
    proof_file.write_text(json.dumps(bundle))
    policy_file.write_bytes(policy.to_bytes())
    r = run_cli("verify", str(proof_file), "--policy", str(policy_file))
    assert r.returncode == 0, r.stderr
    assert "RFC 3161 token" in r.stdout and "existed by" in r.stdout

    # the OPERATOR swaps in a token from a TSA of its own (clock an hour slow) over the
    # same checkpoint text, straight into its own database, and issues the package again
    own = httpx.post(tsas[1].url, content=_request_for(stored.note), timeout=10,
                     headers={"Content-Type": "application/timestamp-query"}).content  # fmt: skip
    stamped.checkpoints.put(dataclasses.replace(stored, timestamp=own))
    forged = build_package(stamped.package_sources(), SUBJECT)
    verify_package(forged)  # without a pinned TSA: carried, not checked
    with pytest.raises(VerificationFailed, match=rf"timestamps/{stored.tree_size}.tsr: timestamp: "
                       "expected a token of a pinned TSA over this checkpoint"):  # fmt: skip
        verify_package(forged, policy=policy, now=int(time.time()))
    bundle["timestamp"] = base64.b64encode(own).decode()
    proof_file.write_text(json.dumps(bundle))
    r = run_cli("verify", str(proof_file), "--policy", str(policy_file))
    assert r.returncode == 1 and "expected a token of a pinned TSA" in r.stderr


def _request_for(note: bytes) -> bytes:
    from ledger_service.core.checkpoints import SignedCheckpoint
    from ledger_service.core.timestamps import timestamp_request

    return timestamp_request(SignedCheckpoint.from_bytes(note).note.text.encode())


def test_a_tsa_that_is_down_costs_the_checkpoint_its_token_not_its_publication(
    log_dir: Path, anvil: ManagedAnvil, chain_client: ChainClient,
    evidence_log: EvidenceLogContract, witnesses: list[Witness],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    settings = settings_for(log_dir, anvil, chain_client, evidence_log.address, witnesses)
    down = f"http://127.0.0.1:{free_port()}/"
    services = open_services(settings.model_copy(update={"tsa_url": down}))
    try:
        deposit(services, SUBJECT, "bid")
        with caplog.at_level(logging.WARNING, "chainwitness.timestamps"):
            assert anchorer_of(services).step().anchored is not None
        stored = services.checkpoints.latest()
        assert stored is not None and stored.cosigned == 3 and stored.timestamp is None
        assert any(f"TSA {down} unreachable" in r.getMessage() for r in caplog.records)
    finally:
        services.close()
