"""The whole service on the embedded default: API in, anchored proof out, checked independently.

The proof the API returns is verified by a separate RFC 9162 verifier written in
this file straight from RFC 9162 section 2.1.3.2 (sharing no code with ``core``),
by the CLI in a fresh process with no database, and its root against the chain.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger_service.api.app import create_app
from ledger_service.evidence.anchoring import Anchorer
from ledger_service.runtime import Services, open_services
from ledger_service.settings import Settings
from ledger_service.store.tokens import create_token

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def rfc9162_verify_inclusion(
    leaf_index: int, tree_size: int, leaf_hash: bytes, path: list[bytes], root: bytes
) -> bool:
    """RFC 9162 2.1.3.2, step by step."""
    if leaf_index >= tree_size:
        return False
    fn, sn, r = leaf_index, tree_size - 1, leaf_hash
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[Services, Anchorer, TestClient, dict[str, str]]]:
    services = open_services(Settings(data_dir=tmp_path / "svc", anchor_interval_s=0.1))
    assert services.client and services.evidence_log
    anchorer = Anchorer(
        services.log_store, services.anchors, services.client, services.evidence_log,
        interval_s=0.1, start_block=services.deployed_at_block,
    )  # fmt: skip
    _, token = create_token(services.log_store.engine, "centre", "operator")
    try:
        with TestClient(create_app(services, anchorer=anchorer)) as client:
            yield services, anchorer, client, {"Authorization": f"Bearer {token}"}
    finally:
        services.close()


def test_api_proofs_verify_independently_and_match_the_chain(
    running: tuple[Services, Anchorer, TestClient, dict[str, str]], tmp_path: Path
) -> None:
    services, anchorer, client, auth = running
    batch = [
        {"kind": "document", "subject": "tender:E2E", "metadata": {"n": i},
         "digests": {"sha256": hashlib.sha256(b"doc %d" % i).hexdigest()}}
        for i in range(37)
    ]  # fmt: skip
    assert (
        client.post("/v1/records/batch", json={"records": batch}, headers=auth).status_code == 201
    )
    anchorer.wait_anchored(37, timeout=30)
    assert services.evidence_log is not None
    for index in (0, 17, 36):
        body = client.get(f"/v1/records/{index}", headers=auth).json()
        assert body["status"] == "anchored"
        p = body["proof"]
        record = base64.b64decode(p["record"])
        leaf = hashlib.sha256(b"\x00" + record).digest()
        assert leaf.hex() == p["leaf_hash"]
        path = [bytes.fromhex(h) for h in p["path"]]
        root = bytes.fromhex(p["root"])
        assert rfc9162_verify_inclusion(p["leaf_index"], p["tree_size"], leaf, path, root)
        assert not rfc9162_verify_inclusion(p["leaf_index"] ^ 1, p["tree_size"], leaf, path, root)
        assert services.evidence_log.root_of(p["anchor"]["tree_size"]) == root
        assert p["anchor"]["contract"] == services.evidence_log.address
    # the CLI, in a new process with no database, checks the same proof on chain
    saved = tmp_path / "proof.json"
    saved.write_text(json.dumps(client.get("/v1/records/5", headers=auth).json()))
    assert services.chain is not None
    rpc = services.chain.rpc_url
    ok = subprocess.run(
        [sys.executable, "-m", "ledger_service", "verify", str(saved), "--rpc", rpc],
        capture_output=True, text=True, cwd=ROOT, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "holds root" in ok.stdout and "anchored by tx" in ok.stdout
    # an attacker swaps the record for another one: the proof no longer verifies
    forged = json.loads(saved.read_text())
    other = json.loads(base64.b64decode(forged["proof"]["record"]))
    other["metadata"]["n"] = 999
    forged["proof"]["record"] = base64.b64encode(json.dumps(other).encode()).decode()
    saved.write_text(json.dumps(forged))
    bad = subprocess.run(
        [sys.executable, "-m", "ledger_service", "verify", str(saved), "--rpc", rpc],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: ") and len(bad.stderr.strip().splitlines()) == 1


def test_anchored_history_cannot_be_rewritten_by_the_anchoring_key(
    running: tuple[Services, Anchorer, TestClient, dict[str, str]],
) -> None:
    """The attacker holds the anchoring key and tries to replace an anchored head."""
    from ledger_service.chain.tx import ContractReverted
    from ledger_service.core.merkle.size import size_proof_from_leaves

    services, anchorer, client, auth = running
    rec = {"kind": "document", "subject": "tender:X", "digests": {"sha256": "ab" * 32}}
    client.post("/v1/records/batch", json={"records": [rec] * 8}, headers=auth)
    anchorer.wait_anchored(8, timeout=30)
    log = services.evidence_log
    assert log is not None
    forged_root = hashlib.sha256(b"rewritten history").digest()
    with pytest.raises(ContractReverted, match="EvidenceLogBadConsistencyProof"):
        log.anchor(16, forged_root, services.log_store.consistency_proof(8, 8) or [forged_root],
                   size_proof_from_leaves([b"forged"] * 16, 16))  # fmt: skip
    with pytest.raises(ContractReverted, match="EvidenceLogStaleHead"):
        log.anchor(8, forged_root, [], services.log_store.size_proof(8))
    assert log.root_of(8) == services.log_store.root_at(8)
