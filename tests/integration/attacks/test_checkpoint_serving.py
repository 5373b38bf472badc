"""What the service publishes: the latest checkpoint, each proof's checkpoint, the status.

The service (with three witness processes at quorum 2) anchors a head; the API then
serves the log's C2SP checkpoint at ``GET /checkpoint`` (text/plain, cosigned) and
as JSON at ``GET /v1/checkpoints/latest``; ``GET /v1/records/{i}`` carries it with
the proof, ``chainwitness status`` reports the witnessed size, and the policy
``chainwitness init`` would write pins the same log key and witnesses.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ledger_service.api.app import create_app
from ledger_service.cli.app import build_app
from ledger_service.core.checkpoints import SignedCheckpoint, verify_witnessed
from ledger_service.core.trust_policy import TrustPolicy
from ledger_service.evidence.verify import proofs_in, verify_proofs
from ledger_service.runtime import Services
from ledger_service.store.tokens import create_token
from tests.integration.attacks.conftest import ORIGIN, Witness, anchorer_of, deposit

pytestmark = pytest.mark.integration


def test_checkpoint_routes_proofs_and_status(
    service: Services,
    policy: tuple[TrustPolicy, Path],
    witnesses: list[Witness],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = TestClient(create_app(service), raise_server_exceptions=False)
    assert client.get("/checkpoint").status_code == 404  # nothing anchored yet
    for i in range(3):
        deposit(service, "tender:SRV-1", f"bid {i}")
    assert anchorer_of(service).step().anchored is not None
    text = client.get("/checkpoint")
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/plain")
    signed = SignedCheckpoint.from_bytes(text.content)
    pinned = policy[0]
    witnessed = verify_witnessed(signed, pinned.log_key, ORIGIN, pinned.witnesses, int(time.time()))
    assert witnessed.checkpoint.size == 3 and len(witnessed.cosignatures) == 3
    latest = client.get("/v1/checkpoints/latest").json()
    assert (latest["tree_size"], latest["cosigned"], latest["quorum"], latest["witnessed"]) == (
        3, 3, 2, True,
    )  # fmt: skip
    assert SignedCheckpoint.from_json(latest["checkpoint"]) == signed
    _, token = create_token(service.log_store.engine, "court", "court")
    answer = client.get("/v1/records/1", headers={"Authorization": f"Bearer {token}"}).json()
    assert answer["checkpoint"]["note"] == text.text
    assert "cosigned by" in verify_proofs(proofs_in(answer), None, pinned)[2]
    # the policy pins what the service signs with and the witnesses' own keys
    assert service.publisher is not None and pinned.log_key == service.publisher.log_key
    assert {k.to_text() for k in pinned.witnesses.keys} == {w.key.to_text() for w in witnesses}
    monkeypatch.setenv("CHAINWITNESS_DATA_DIR", str(service.settings.data_dir))
    monkeypatch.setenv("CHAINWITNESS_WITNESSES", "[" + ",".join(
        f'"{w.setting}"' for w in witnesses) + "]")  # fmt: skip
    monkeypatch.setenv("CHAINWITNESS_WITNESS_QUORUM", "2")
    status = CliRunner().invoke(build_app(), ["status"])
    assert status.exit_code == 0, status.output
    assert "witnessed        size 3 (cosigned by 3, quorum 2 of 3)" in status.stdout
    # `chainwitness init` on the same settings writes the policy the verifier pinned
    s = service.settings
    assert s.rpc_url and s.signer_key and s.evidence_log_address
    monkeypatch.setenv("CHAINWITNESS_RPC_URL", s.rpc_url)
    monkeypatch.setenv("CHAINWITNESS_SIGNER_KEY", s.signer_key.get_secret_value())
    monkeypatch.setenv("CHAINWITNESS_EVIDENCE_LOG_ADDRESS", s.evidence_log_address)
    init = CliRunner().invoke(build_app(), ["init"])
    assert init.exit_code == 0, init.output
    written = s.data_dir / "trust-policy.json"
    assert f"trust policy    {written} ({pinned.fingerprint})" in init.stdout.replace("\n", "")
    assert TrustPolicy.from_bytes(written.read_bytes()) == pinned
    assert "controlled by its operator" in init.stdout
