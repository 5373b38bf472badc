"""A GM-profile (国密) evidence package from a running service on anvil, verified offline.

The service runs with ``crypto_profile=gm``: files get SM3 digests beside SHA-256,
checkpoints an SM3 root and the log's SM2 signature, the (in-process) witnesses cosign
in Ed25519 and SM2. The package verifies with the gm trust policy ``init`` writes; the
OPERATOR then strips the SM2 signatures from its own database and issues again: refused.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import time
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from ledger_service.core.checkpoints import SignedCheckpoint
from ledger_service.core.errors import VerificationFailed
from ledger_service.core.notes import Note
from ledger_service.core.packages import verify_package
from ledger_service.core.records import EvidenceRecord
from ledger_service.core.sm2 import sm3
from ledger_service.evidence.anchoring import Anchorer
from ledger_service.evidence.checkpointing import (
    CheckpointPublisher,
    ensure_log_key,
    ensure_log_sm2_key,
    parse_witness,
)
from ledger_service.evidence.packaging import build_package
from ledger_service.evidence.trust_file import build_trust_policy
from ledger_service.runtime import Services, open_services
from ledger_service.settings import Settings
from tests.integration.evidence.test_gm_checkpointing import GmFleet
from tests.integration.evidence.test_packages import env  # noqa: F401

pytestmark = pytest.mark.integration
SUBJECT = "tender:GM-2026-1"


@pytest.fixture
def gm_service(tmp_path: Path, env: dict[str, str]) -> Iterator[tuple[Services, Settings, GmFleet]]:  # noqa: F811
    data_dir = tmp_path / "svc"
    fleet = GmFleet(tmp_path, ensure_log_key(data_dir, "centre.example/chainwitness/log"))
    settings = Settings(
        data_dir=data_dir, rpc_url=env["CHAINWITNESS_RPC_URL"],
        signer_key=env["CHAINWITNESS_SIGNER_KEY"],
        evidence_log_address=env["CHAINWITNESS_EVIDENCE_LOG_ADDRESS"],
        crypto_profile="gm", witnesses=fleet.entries(), witness_quorum=2,
    )  # fmt: skip
    services = open_services(settings)
    try:
        yield services, settings, fleet
    finally:
        services.close()


def _deposit(services: Services, content: bytes) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield content

    blob = asyncio.run(services.blobs.put_stream(chunks()))
    assert blob.digests["sm3"] == sm3(content).hex()
    services.log_store.append([EvidenceRecord.create(kind="document", subject=SUBJECT,
                                                     actor="bidder:test", digests=blob.digests)])  # fmt: skip


def test_gm_package_verifies_offline_and_a_stripped_one_is_refused(
    gm_service: tuple[Services, Settings, GmFleet],
) -> None:
    services, settings, fleet = gm_service
    assert services.client and services.evidence_log and services.chain
    log_key = ensure_log_key(settings.data_dir)
    publisher = CheckpointPublisher(
        services.log_store, services.checkpoints, log_key,
        [parse_witness(e) for e in fleet.entries()], 2, fleet.post,
        sm2_signer=ensure_log_sm2_key(settings.data_dir, log_key.name),
    )  # fmt: skip
    anchorer = Anchorer(services.log_store, services.anchors, services.client,
                        services.evidence_log, on_head=publisher.ensure)  # fmt: skip
    for i in range(3):
        _deposit(services, b"bid %d" % i)
    assert anchorer.step().anchored is not None
    _deposit(services, b"bid 3")
    assert anchorer.step().anchored is not None
    policy = build_trust_policy(settings, services.chain.chain_id, services.contract_addresses)
    assert policy is not None and policy.gm

    data = build_package(services.package_sources(), SUBJECT)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert sum(n.startswith("sm3-proofs/") for n in names) == 4
    text = "\n".join(verify_package(data, policy=policy, now=int(time.time())).lines())
    assert "GM profile: SM3 root" in text and "matches the records' SM3 digest" in text

    # the OPERATOR strips the SM2 lines from its stored checkpoint and issues again
    stored = services.checkpoints.latest()
    assert stored is not None
    note = SignedCheckpoint.from_bytes(stored.note).note
    assert policy.log_sm2_key is not None
    sm2_refs = {k.ref for k in (policy.log_sm2_key, *policy.witness_sm2_keys)}
    ed25519_only = tuple(s for s in note.signatures if f"{s.name}+{s.key_id:08x}" not in sm2_refs)
    assert len(ed25519_only) == len(note.signatures) - 4
    services.checkpoints.put(dataclasses.replace(
        stored, note=SignedCheckpoint(Note(note.text, ed25519_only)).to_bytes()))  # fmt: skip
    stripped = build_package(services.package_sources(), SUBJECT)
    verify_package(stripped)  # consistent with itself, and for an international policy
    with pytest.raises(VerificationFailed, match="expected an SM2 signature by the pinned log key"):
        verify_package(stripped, policy=policy, now=int(time.time()))
