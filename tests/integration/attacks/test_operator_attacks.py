"""The operator attacks its own evidence; the pinned policy and the witnesses catch it.

Each test plays the OPERATOR of issue 10: it holds the log key and the anchoring
key and runs the anvil. Witnesses are three separate cosigner processes with
their own keys, data directories and clocks; the verifier is ``chainwitness
verify --policy`` in a new process with nothing but the artefact, the pinned
trust policy and (for on-chain checks) an RPC URL. Where the old
verification (no policy) accepted the forgery, the test shows that first, then
the refusal with the policy, naming what differs:

(a) a forger's own EvidenceLog on the same chain: refused naming both addresses;
(b) ``anvil_setStorageAt`` on ``EvidenceLog.rootOf``: a forged proof to the
    rewritten root passes the old on-chain check, but has no cosigned checkpoint;
    the genuine package, checked on chain, names the rewrite; offline it verifies;
(c) the log rewritten at a size the witnesses cosigned and anchored: every
    witness refuses (422) and keeps the request; the package has 0 of 2 needed;
(d) a checkpoint signed by the clock of a chain moved back with ``anvil_setTime``:
    every witness refuses it by its own clock and keeps it.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import httpx
import pytest
from eth_account import Account
from eth_utils.crypto import keccak

from ledger_service.chain.client import ChainClient
from ledger_service.chain.node import ManagedAnvil
from ledger_service.core import merkle
from ledger_service.core.checkpoints import SignedCheckpoint
from ledger_service.core.errors import VerificationFailed
from ledger_service.core.packages import verify_package as verify_offline
from ledger_service.core.proofs import Anchor, InclusionProof
from ledger_service.core.trust_policy import TrustPolicy
from ledger_service.cosigner.collector import WitnessEndpoint, httpx_post
from ledger_service.evidence.checkpointing import CheckpointPublisher, ensure_log_key
from ledger_service.evidence.packaging import build_package
from ledger_service.evidence.proofs import anchor_of, proof_bundle
from ledger_service.evidence.verify import verify_proofs
from ledger_service.runtime import Services, open_services
from tests.integration.attacks.conftest import (
    QUORUM,
    Witness,
    anchorer_of,
    deposit,
    operator_copy,
    run_cli,
    settings_for,
)

pytestmark = pytest.mark.integration
SUBJECT = "tender:GC-2026-0417"


def _genuine(service: Services, n: int = 4) -> int:
    """Deposit ``n`` genuine bids and anchor them; the witnesses cosign the head."""
    for i in range(n):
        deposit(service, SUBJECT, f"genuine bid {i}")
    step = anchorer_of(service).step()
    assert step.anchored is not None
    stored = service.checkpoints.at_size(step.anchored.tree_size)
    assert stored is not None and stored.cosigned == 3, stored
    return step.anchored.tree_size


def _rootof_slot(client: ChainClient, contract: str, size: int, root: bytes) -> str:
    """The storage slot holding the root anchored at ``size`` (found, not assumed).

    EvidenceLog 2 keeps its heads in a private dynamic array (``rootOf`` searches it):
    element data starts at keccak(base slot); each Head spans a few slots.
    """

    def read(slot: int) -> bytes:
        value = client.request("eth_getStorageAt", [contract, hex(slot), "latest"])
        return bytes.fromhex(value[2:].rjust(64, "0"))

    for base in range(8):
        start = int.from_bytes(keccak(base.to_bytes(32, "big")), "big")
        for offset in range(64 * 4):
            if read(start + offset) == root:
                return hex(start + offset)
    raise AssertionError("expected to find the anchored root in the heads array")


def test_genuine_package_verifies_offline_with_its_cosignatures(
    service: Services, policy: tuple[TrustPolicy, Path], anvil: ManagedAnvil, tmp_path: Path
) -> None:
    size = _genuine(service)
    deposit(service, SUBJECT, "a late but honest bid")
    assert anchorer_of(service).step().anchored is not None
    package = tmp_path / "court.zip"
    package.write_bytes(build_package(service.package_sources(), SUBJECT))
    r = run_cli("verify", str(package), "--policy", str(policy[1]), "--rpc", anvil.rpc_url)
    assert r.returncode == 0, r.stderr
    assert "OK  evidence package" in r.stdout
    assert f"checkpoints/{size + 1}.json: log ggzy.example.gov.cn/chainwitness/log" in r.stdout
    assert "(3 of 3, quorum 2)" in r.stdout
    assert "[2 of 3 independent witnesses pinned by sha256:" in r.stdout
    assert "development chain 31337: controlled by its operator" in r.stdout
    # a proof carries the same checkpoint; the offline verifier checks it against the policy
    bundle = proof_bundle(service.log_store, service.anchors, service.checkpoints, 0)
    saved = tmp_path / "proof.json"
    saved.write_text(json.dumps(bundle))
    r = run_cli("verify", str(saved), "--policy", str(policy[1]))
    assert r.returncode == 0, r.stderr
    assert "cosigned by" in r.stdout and "are the pinned ones" in r.stdout
    # a production verifier refuses the embedded anvil: its operator controls it
    r = run_cli("verify", str(package), "--policy", str(policy[1]), "--require-production")
    assert r.returncode == 1
    assert "expected a consortium chain, found a development chain controlled by its operator" in (
        r.stderr.replace("\n", " ")
    )


def test_a_forgers_own_evidence_log_is_refused_naming_the_contract(
    service: Services,
    policy: tuple[TrustPolicy, Path],
    anvil: ManagedAnvil,
    chain_client: ChainClient,
    log_dir: Path,
    witnesses: list[Witness],
    tmp_path: Path,
) -> None:
    _genuine(service)
    # (a) the forger deploys its own EvidenceLog on the same chain, with the log key too
    forged_address, _tx, _block = chain_client.deploy(
        "EvidenceLog", chain_client.address, chain_client.address
    )
    forger_dir = operator_copy(log_dir, tmp_path / "forger")
    forger = open_services(settings_for(forger_dir, anvil, chain_client, forged_address, []))
    try:
        deposit(forger, SUBJECT, "a bid by a bidder who never bid")
        assert anchorer_of(forger).step().anchored is not None
        package = tmp_path / "forged.zip"
        package.write_bytes(build_package(forger.package_sources(), SUBJECT))
    finally:
        forger.close()
    # the old verification: every check OK, on chain too
    r = run_cli("verify", str(package), "--rpc", anvil.rpc_url)
    assert r.returncode == 0, r.stderr
    # against the pinned policy: refused, both addresses named
    r = run_cli("verify", str(package), "--policy", str(policy[1]), "--rpc", anvil.rpc_url)
    assert r.returncode == 1
    pinned = policy[0].contract("EvidenceLog")
    message = r.stderr.replace("\n", " ")
    assert f"EvidenceLog: expected the pinned address {pinned}, found '{forged_address}'" in message


def test_rewritten_root_on_chain_disagrees_with_the_cosigned_checkpoint(
    service: Services,
    policy: tuple[TrustPolicy, Path],
    anvil: ManagedAnvil,
    chain_client: ChainClient,
    tmp_path: Path,
) -> None:
    size = _genuine(service)
    package = tmp_path / "court.zip"
    package.write_bytes(build_package(service.package_sources(), SUBJECT))
    assert service.evidence_log is not None
    contract, genuine_root = service.evidence_log.address, service.log_store.root_at(size)
    # (b) the operator writes the root of a forged log of the same size into rootOf(size)
    fake = [merkle.leaf_hash(f"forged record {i}".encode()) for i in range(size)]
    forged_root = merkle.root_from_leaves(fake)
    slot = _rootof_slot(chain_client, contract, size, genuine_root)
    chain_client.request("anvil_setStorageAt", [contract, slot, "0x" + forged_root.hex()])
    assert service.evidence_log.root_of(size) == forged_root
    # a proof of a forged record to the rewritten root, anchored "by" the genuine tx:
    # the old verifier, checking the chain, accepts it
    genuine = service.anchors.at_size(size)
    assert genuine is not None
    anchor = anchor_of(genuine)
    forged_anchor = type(anchor)(**{**{f: getattr(anchor, f) for f in anchor.__slots__},
                                    "root": forged_root})  # fmt: skip
    forged = InclusionProof(
        0, size, fake[0], tuple(merkle.inclusion_proof_from_leaves(0, size, fake)),
        forged_root, forged_anchor,
    )  # fmt: skip
    assert verify_proofs([(forged, None)], anvil.rpc_url)[-1].startswith("OK  anchored by tx")
    # with the pinned policy it needs a cosigned checkpoint of that root: there is none
    stored = service.checkpoints.at_size(size)
    assert stored is not None
    with pytest.raises(VerificationFailed, match="expected a checkpoint of size 4 root"):
        verify_proofs([(forged, SignedCheckpoint.from_bytes(stored.note))], None, policy[0])
    # and the genuine package, checked on chain, names the rewrite
    r = run_cli("verify", str(package), "--policy", str(policy[1]), "--rpc", anvil.rpc_url)
    assert r.returncode == 1
    assert "the root the pinned witnesses cosigned" in r.stderr.replace("\n", " ")
    assert "the chain's state was rewritten" in r.stderr.replace("\n", " ")
    # offline, the genuine package still verifies with its cosignatures
    assert verify_offline(package.read_bytes(), policy=policy[0], now=int(time.time()))


def test_rewritten_log_is_refused_by_witnesses_and_its_package_fails(
    service: Services,
    policy: tuple[TrustPolicy, Path],
    anvil: ManagedAnvil,
    chain_client: ChainClient,
    log_dir: Path,
    witnesses: list[Witness],
    tmp_path: Path,
) -> None:
    # the witnesses cosign the honest head of size 4 before it reaches the chain
    for i in range(4):
        deposit(service, SUBJECT, f"genuine bid {i}")
    assert service.publisher is not None
    assert service.publisher.publish(4, service.log_store.root_at(4)).stored.cosigned == 3
    # (c) the operator rewrites the log (same key, same size, another root) and anchors it
    assert service.evidence_log is not None
    rewritten = open_services(settings_for(
        operator_copy(log_dir, tmp_path / "rewritten"), anvil, chain_client,
        service.evidence_log.address, witnesses,
    ))  # fmt: skip
    try:
        for i in range(3):
            deposit(rewritten, SUBJECT, f"genuine bid {i}")
        deposit(rewritten, SUBJECT, "the colluder's bid instead of bid 3")
        assert anchorer_of(rewritten).step().anchored is not None
        stored = rewritten.checkpoints.at_size(4)
        assert stored is not None and stored.cosigned == 0
        package = tmp_path / "rewritten.zip"
        package.write_bytes(build_package(rewritten.package_sources(), SUBJECT))
    finally:
        rewritten.close()
    for w in witnesses:  # each refused with 422 and kept the log-signed request
        refused = w.evidence()
        assert [e["status"] for e in refused] == [422], refused
        assert "expected equal roots for equal sizes 4" in str(refused[0]["reason"])
        assert rewritten_root_in(refused[0], stored.root)
    # the old verification passes on chain; the pinned policy wants 2 of 3 cosignatures
    r = run_cli("verify", str(package), "--rpc", anvil.rpc_url)
    assert r.returncode == 0, r.stderr
    r = run_cli("verify", str(package), "--policy", str(policy[1]), "--rpc", anvil.rpc_url)
    assert r.returncode == 1
    assert f"expected cosignatures by at least {QUORUM} of 3 pinned witnesses, found 0" in (
        r.stderr.replace("\n", " ")
    )


def _chain_time(client: ChainClient) -> int:
    return int(client.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)


def test_backdated_checkpoint_is_refused_by_the_witnesses_clocks(
    service: Services, policy: tuple[TrustPolicy, Path], witnesses: list[Witness], tmp_path: Path
) -> None:
    for i in range(4):
        deposit(service, SUBJECT, f"bid {i}")
    # (d) the operator moves its own chain's time back an hour (on a node of its own, so
    # the session's chain keeps its time) and signs with that clock
    node = ManagedAnvil(tmp_path / "operator-anvil", chain_id=31337)
    node.start()
    try:
        operator_chain = ChainClient(node.rpc_url, Account.create(), 31337, retries=2)
        operator_chain.request("anvil_setTime", [int(time.time()) - 3600])
        operator_chain.request("evm_mine", [])
        backdated = _chain_time(operator_chain)
    finally:
        node.stop()
    assert backdated < time.time() - 3000
    with httpx.Client(timeout=10) as http:
        backdating = CheckpointPublisher(
            service.log_store, service.checkpoints, ensure_log_key(service.settings.data_dir),
            [WitnessEndpoint(w.url, w.key) for w in witnesses], QUORUM, httpx_post(http),
            clock=lambda: backdated,
        )  # fmt: skip
        published = backdating.publish(4, service.log_store.root_at(4))
    assert published.stored.cosigned == 0
    assert f"chainwitness-time {backdated}" in published.stored.note.decode()
    for answer in published.answers:
        assert answer.error is not None and answer.error.startswith("refused with 422"), answer
        assert "expected within 300 s of the witness clock" in answer.error
    for w in witnesses:  # each kept the log-signed, backdated checkpoint as evidence
        kept = w.evidence()
        assert [e["status"] for e in kept] == [422]
        assert f"chainwitness-time {backdated}" in str(kept[0]["request"])
    signed = SignedCheckpoint.from_bytes(published.stored.note)
    with pytest.raises(VerificationFailed, match="pinned witnesses, found 0"):
        verify_proofs([(_proof(service, 0), signed)], None, policy[0])
    # the honest clock is cosigned at once
    assert service.publisher is not None
    assert service.publisher.publish(4, service.log_store.root_at(4)).stored.cosigned == 3


def _proof(service: Services, index: int) -> InclusionProof:
    """A proof of record ``index`` to the log's current head (the backdated checkpoint's)."""
    size = service.log_store.head().size
    leaf = merkle.leaf_hash(service.log_store.record(index).canonical)
    root = service.log_store.root_at(size)
    assert service.evidence_log is not None
    anchor = Anchor(31337, service.evidence_log.address, "0x" + "11" * 32, 1, "0x" + "22" * 32,
                    1, 0, size, root)  # fmt: skip
    path = tuple(service.log_store.inclusion_proof(index, size))
    return InclusionProof(index, size, leaf, path, root, anchor)


def rewritten_root_in(entry: dict[str, object], root: bytes) -> bool:
    """Whether the kept request is the checkpoint of ``root`` (base64 in the note)."""
    return base64.b64encode(root).decode() in str(entry["request"])
