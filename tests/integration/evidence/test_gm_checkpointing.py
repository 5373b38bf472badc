"""The GM (国密) profile in the service: SM2 log key, SM3 root, SM2 cosignatures, SM3 digests.

In-process cosigners with SM2 keys (as ``chainwitness cosigner init --gm`` makes), a
publisher with the log's SM2 key, the trust policy ``chainwitness init`` writes with
``CHAINWITNESS_CRYPTO_PROFILE=gm``; what it stores verifies with the GM checks.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ledger_service.core.checkpoints import SignedCheckpoint
from ledger_service.core.errors import ConfigurationError, MalformedInput
from ledger_service.core.gm_notes import SM2_COSIGNATURE, Sm2NoteSigner, sm3_root
from ledger_service.core.merkle import sm3 as sm3_tree
from ledger_service.core.notes import SIG_TYPE_COSIGNATURE_V1, NoteSigner
from ledger_service.core.pinned import check_cosigned
from ledger_service.core.sm2 import Sm2PrivateKey, sm3
from ledger_service.cosigner.collector import WitnessEndpoint
from ledger_service.cosigner.server import Cosigner
from ledger_service.cosigner.store import CosignerConfig, DataDir
from ledger_service.evidence.checkpointing import (
    CheckpointPublisher,
    ensure_log_key,
    ensure_log_sm2_key,
    parse_witness,
)
from ledger_service.evidence.trust_file import build_trust_policy
from ledger_service.settings import Settings
from ledger_service.store.blobs import BlobStore
from ledger_service.store.checkpoints import CheckpointStore
from ledger_service.store.log import LogStore
from tests.integration.evidence.test_checkpointing import ORIGIN, grow, log  # noqa: F401

pytestmark = pytest.mark.integration


class GmFleet:
    """Three cosigners with Ed25519 and SM2 keys; ``post`` routes by URL."""

    def __init__(self, root: Path, log_key: NoteSigner) -> None:
        self.cosigners: dict[str, Cosigner] = {}
        for i in range(3):
            name = f"w{i}.example/witness"
            signer = NoteSigner(name, hashlib.sha256(b"%d" % i).digest(), SIG_TYPE_COSIGNATURE_V1)
            sm2 = Sm2NoteSigner(name, Sm2PrivateKey.generate(), SM2_COSIGNATURE)
            config = CosignerConfig(name, ((log_key.name, log_key.verifier_key),))
            data = DataDir(root / f"w{i}")
            data.init(signer, config)
            data.init_sm2(sm2)
            assert data.sm2_signer() == sm2
            self.cosigners[f"http://w{i}"] = Cosigner(
                signer, config, data, clock=lambda: int(time.time()), sm2_signer=data.sm2_signer()
            )

    def entries(self) -> list[str]:
        return [f"{u} {c.signer.verifier_key} {c.sm2_signer.verifier_key}"  # type: ignore[union-attr]
                for u, c in self.cosigners.items()]  # fmt: skip

    def post(self, url: str, body: bytes) -> tuple[int, str, bytes]:
        return self.cosigners[url.removesuffix("/add-checkpoint")].add_checkpoint(body)


def test_gm_publisher_signs_sm2_over_an_sm3_root_and_collects_sm2_cosignatures(
    tmp_path: Path, log: tuple[LogStore, CheckpointStore]  # noqa: F811
) -> None:
    store, checkpoints = log
    svc = tmp_path / "svc"
    signer = ensure_log_key(svc, ORIGIN)
    sm2 = ensure_log_sm2_key(svc, ORIGIN)
    assert (svc / "log-sm2.key").stat().st_mode & 0o777 == 0o600
    assert ensure_log_sm2_key(svc, ORIGIN) == sm2
    with pytest.raises(ConfigurationError, match="expected an SM2 note key named"):
        ensure_log_sm2_key(svc, "other.example/log")
    fleet = GmFleet(tmp_path, signer)
    endpoints: list[WitnessEndpoint] = [parse_witness(e) for e in fleet.entries()]
    publisher = CheckpointPublisher(store, checkpoints, signer, endpoints, 2, fleet.post,
                                    sm2_signer=sm2)  # fmt: skip
    settings = Settings(data_dir=svc, log_origin=ORIGIN, witnesses=fleet.entries(),
                        witness_quorum=2, crypto_profile="gm")  # fmt: skip
    policy = build_trust_policy(settings, 31337, {"EvidenceLog": "0x" + "5f" * 20})
    assert policy is not None and policy.gm and policy.log_sm2_key == sm2.verifier_key
    for size in (3, 8):
        grow(store, size - store.head().size)
        published = publisher.publish(size, store.root_at(size))
        assert published.stored.cosigned == 3, published.answers
        signed = SignedCheckpoint.from_bytes(published.stored.note)
        leaves = [sm3_tree.leaf_hash(c) for c in store.canonical_prefix(size)]
        assert sm3_root(signed.checkpoint) == sm3_tree.root_from_leaves(leaves)
        # 1 Ed25519 + 1 SM2 by the log, 3 + 3 cosignatures
        assert len(signed.note.signatures) == 8
        check_cosigned(policy, signed, size, store.root_at(size), int(time.time()), "cp")


def test_gm_settings_need_an_sm2_key_per_witness(tmp_path: Path) -> None:
    key = NoteSigner("w.example/witness", b"\x01" * 32, SIG_TYPE_COSIGNATURE_V1).verifier_key
    s = Settings(data_dir=tmp_path, log_origin=ORIGIN, witnesses=[f"http://w {key}"],
                 crypto_profile="gm")  # fmt: skip
    with pytest.raises(ConfigurationError, match="expected '<URL> <verifier key> <SM2 verifier"):
        build_trust_policy(s, 1, {"EvidenceLog": "0x" + "5f" * 20})
    log_sm2 = ensure_log_sm2_key(tmp_path, ORIGIN).verifier_key
    with pytest.raises(MalformedInput, match="expected an SM2 cosignature key"):
        parse_witness(f"http://w {key} {log_sm2}")
    # the default profile writes none of it: the policy's bytes are as before
    plain = build_trust_policy(Settings(data_dir=tmp_path, log_origin=ORIGIN,
                                        witnesses=[f"http://w {key}"]), 1,
                               {"EvidenceLog": "0x" + "5f" * 20})  # fmt: skip
    assert plain is not None and b"crypto_profile" not in plain.to_bytes()


def test_gm_blob_store_states_sm3_beside_sha256(tmp_path: Path) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"abc"

    gm, plain = BlobStore(tmp_path / "gm", sm3=True), BlobStore(tmp_path / "plain")
    blob = asyncio.run(gm.put_stream(chunks()))
    assert blob.digests == {"sha256": hashlib.sha256(b"abc").hexdigest(),
                            "sm3": "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"}  # fmt: skip
    assert gm.put_bytes(b"abc").digests == blob.digests
    assert plain.put_bytes(b"abc").digests == {"sha256": hashlib.sha256(b"abc").hexdigest()}
    assert sm3(b"abc").hex() == blob.sm3
