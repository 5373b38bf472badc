"""``trust-policy.json`` built from the settings pins the chain's header hashing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from pydantic import ValidationError

from ledger_service.core.notes import SIG_TYPE_COSIGNATURE_V1, NoteSigner
from ledger_service.core.trust_policy import TrustPolicy
from ledger_service.evidence.trust_file import build_trust_policy
from ledger_service.settings import Settings

WITNESS = NoteSigner("w.example/witness", hashlib.sha256(b"w").digest(), SIG_TYPE_COSIGNATURE_V1)
LOG = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def _policy(tmp_path: Path, **settings: object) -> TrustPolicy:
    s = Settings(data_dir=tmp_path, witnesses=[f"http://127.0.0.1:1 {WITNESS.verifier_key}"],
                 log_origin="centre.example/log", **settings)  # type: ignore[arg-type]  # fmt: skip
    policy = build_trust_policy(s, 31337, {"EvidenceLog": LOG})
    assert policy is not None
    return policy


def test_chain_consensus_setting_is_pinned(tmp_path: Path) -> None:
    assert _policy(tmp_path).consensus == "ethereum"
    assert "consensus" not in _policy(tmp_path).to_json()["chain"]
    qbft = _policy(tmp_path, chain_consensus="qbft", chain_kind="consortium")
    assert qbft.to_json()["chain"] == {"id": 31337, "kind": "consortium", "consensus": "qbft"}
    validator = "0x" + "ab" * 20
    pinned = _policy(tmp_path, chain_consensus="qbft", chain_validators=[validator])
    assert pinned.validators == (TrustPolicy.checksummed(validator),)


def test_unknown_chain_consensus_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="chain_consensus"):
        Settings(data_dir=tmp_path, chain_consensus="clique")  # type: ignore[arg-type]
