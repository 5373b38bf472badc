"""ChainClient and EvidenceLogContract against a real anvil and the compiled EvidenceLog."""

from __future__ import annotations

import hashlib
import pickle
import stat
import time
from pathlib import Path

import pytest
from eth_account import Account
from eth_typing import HexStr

from ledger_service.chain.client import ChainClient
from ledger_service.chain.compiled import load_artifact
from ledger_service.chain.evidence_log import ANCHORER_ROLE, EvidenceLogContract
from ledger_service.chain.keys import create_keystore, load_signer
from ledger_service.chain.node import ManagedAnvil
from ledger_service.chain.tx import ContractReverted
from ledger_service.core.errors import ChainUnavailable, ConfigurationError, Conflict
from ledger_service.core.merkle.size import size_proof_from_leaves
from tests.integration.serving import free_port

pytestmark = pytest.mark.integration

EMPTY_ROOT = hashlib.sha256(b"").digest()
#: RFC 9162 leaf hash of the one-entry log ["x"]
ROOT_1 = hashlib.sha256(b"\x00x").digest()
ROOT_2 = hashlib.sha256(b"\x01" + ROOT_1 + hashlib.sha256(b"\x00y").digest()).digest()
#: the size proofs of the one- and two-leaf trees over b"x", b"y" (EvidenceLog 2)
SIZE_1, SIZE_2 = (size_proof_from_leaves([b"x", b"y"], n) for n in (1, 2))



def test_empty_log_reads_as_size_zero(evidence_log: EvidenceLogContract) -> None:
    head = evidence_log.latest_head()
    assert (head.size, head.root, head.anchored_at, head.index) == (0, EMPTY_ROOT, 0, 0)
    assert evidence_log.head_count() == 0
    assert evidence_log.root_of(1) is None
    assert evidence_log.version()


def test_first_anchor_needs_no_proof(evidence_log: EvidenceLogContract) -> None:
    client = evidence_log.client
    sent: list[str] = []
    result = evidence_log.anchor(1, ROOT_1, [], SIZE_1, on_sent=sent.append)

    assert result.status == 1
    assert sent == [result.tx_hash]
    assert result.tx_hash.startswith("0x") and len(result.tx_hash) == 66
    assert result.block_hash == client.block(result.block_number)["hash"]
    assert result.block_time == client.block(result.block_number)["timestamp"]
    assert result.gas_used > 21_000
    head = evidence_log.latest_head()
    assert (head.size, head.root, head.anchored_at, head.index) == (1, ROOT_1, result.block_time, 0)
    assert evidence_log.head_count() == 1
    at = evidence_log.head_at(0)
    assert (at.size, at.root, at.anchored_at, at.block_number) == (
        1, ROOT_1, result.block_time, result.block_number,
    )  # fmt: skip
    assert evidence_log.root_of(1) == ROOT_1
    assert evidence_log.root_of(2) is None
    # reading one block back sees the log before the anchor
    assert evidence_log.latest_head(block_identifier=result.block_number - 1).size == 0
    assert client.receipt(result.tx_hash) == result


def test_second_anchor_with_consistency_proof(evidence_log: EvidenceLogContract) -> None:
    evidence_log.anchor(1, ROOT_1, [], SIZE_1)
    # RFC 9162 consistency proof from size 1 (a power of two) to 2: the new leaf's hash
    evidence_log.anchor(2, ROOT_2, [hashlib.sha256(b"\x00y").digest()], SIZE_2)
    assert evidence_log.latest_head().size == 2
    assert evidence_log.root_of(2) == ROOT_2


def test_stale_head_is_decoded(evidence_log: EvidenceLogContract) -> None:
    evidence_log.anchor(1, ROOT_1, [], SIZE_1)
    pattern = r"^EvidenceLog refused the anchor: EvidenceLogStaleHead\(have=1, got=1\)$"
    with pytest.raises(ContractReverted, match=pattern) as caught:
        evidence_log.anchor(1, ROOT_1, [], SIZE_1)
    assert (caught.value.error_name, caught.value.args) == ("EvidenceLogStaleHead", (1, 1))
    assert caught.value.result is None
    assert isinstance(caught.value, Conflict)
    again = pickle.loads(pickle.dumps(caught.value))
    assert (again.error_name, again.args, str(again)) == (
        "EvidenceLogStaleHead", (1, 1), str(caught.value),
    )  # fmt: skip


def test_bad_proof_errors_are_decoded(evidence_log: EvidenceLogContract) -> None:
    with pytest.raises(ContractReverted, match=r"EvidenceLogBadProofLength\(expected=0, got=1\)"):
        evidence_log.anchor(1, ROOT_1, [ROOT_1], SIZE_1)
    evidence_log.anchor(1, ROOT_1, [], SIZE_1)
    with pytest.raises(
        ContractReverted, match=r"EvidenceLogBadConsistencyProof\(fromSize=1, toSize=2\)"
    ) as caught:
        evidence_log.anchor(2, ROOT_2, [ROOT_1], SIZE_2)
    assert caught.value.args == (1, 2)


def test_reads_decode_reverts(evidence_log: EvidenceLogContract) -> None:
    pattern = r"EvidenceLog refused the headAt: EvidenceLogNoSuchHead\(index=3, count=0\)"
    with pytest.raises(ContractReverted, match=pattern):
        evidence_log.head_at(3)


def test_access_control_error_is_decoded_and_grant_fixes_it(
    anvil: ManagedAnvil, evidence_log: EvidenceLogContract
) -> None:
    other = ChainClient(anvil.rpc_url, Account.create(), anvil.chain_id)
    other.fund_from_dev_account(10**19)
    as_other = EvidenceLogContract(other, evidence_log.address)
    with pytest.raises(
        ContractReverted, match=r"refused the anchor: AccessControlUnauthorizedAccount\(account=0x"
    ) as caught:
        as_other.anchor(1, ROOT_1, [], SIZE_1)
    assert caught.value.error_name == "AccessControlUnauthorizedAccount"
    assert caught.value.args == (other.address, ANCHORER_ROLE)

    evidence_log.grant_anchorer(other.address)
    as_other.anchor(1, ROOT_1, [], SIZE_1)
    assert evidence_log.anchored_events(0)[-1].anchorer == other.address


def test_revert_mined_with_status_0_is_explained(
    evidence_log: EvidenceLogContract, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = evidence_log.client
    evidence_log.anchor(1, ROOT_1, [], SIZE_1)
    # skip estimation, as if another anchor had landed between estimate and inclusion
    monkeypatch.setattr(client, "_estimate", lambda *_args: 200_000)
    with pytest.raises(
        ContractReverted, match=r"EvidenceLogStaleHead\(have=1, got=1\).*mined"
    ) as c:
        evidence_log.anchor(1, ROOT_1, [], SIZE_1)
    assert c.value.result is not None and c.value.result.status == 0
    assert client.receipt(c.value.result.tx_hash) == c.value.result


def test_anchored_events_return_what_was_anchored(evidence_log: EvidenceLogContract) -> None:
    first = evidence_log.anchor(1, ROOT_1, [], SIZE_1)
    second = evidence_log.anchor(2, ROOT_2, [hashlib.sha256(b"\x00y").digest()], SIZE_2)
    events = evidence_log.anchored_events(first.block_number, second.block_number)
    assert [(e.index, e.size, e.root) for e in events] == [(0, 1, ROOT_1), (1, 2, ROOT_2)]
    assert [(e.tx_hash, e.block_number, e.block_hash) for e in events] == [
        (r.tx_hash, r.block_number, r.block_hash) for r in (first, second)
    ]
    assert [e.anchored_at for e in events] == [first.block_time, second.block_time]
    assert {e.anchorer for e in events} == {evidence_log.client.address}
    assert evidence_log.anchored_events(second.block_number + 1) == []


def test_receipt_disappears_when_a_revert_removes_the_block(
    evidence_log: EvidenceLogContract,
) -> None:
    client = evidence_log.client
    snapshot = client.request("evm_snapshot", [])
    result = evidence_log.anchor(1, ROOT_1, [], SIZE_1)
    assert client.receipt(result.tx_hash) == result
    assert client.is_canonical(result.block_number, result.block_hash)

    assert client.request("evm_revert", [snapshot]) is True
    assert client.receipt(result.tx_hash) is None
    assert not client.is_canonical(result.block_number, result.block_hash)
    assert evidence_log.latest_head().size == 0
    # the nonce went back too: the next anchor still goes through
    assert evidence_log.anchor(1, ROOT_1, [], SIZE_1).status == 1


def test_block_returns_hex_header_fields(chain_client: ChainClient) -> None:
    latest = chain_client.block("latest")
    assert set(latest) == {"number", "hash", "timestamp", "parentHash"}
    assert latest["hash"].startswith("0x") and len(latest["hash"]) == 66
    assert chain_client.block(HexStr(latest["hash"])) == latest
    if latest["number"] > 0:
        assert chain_client.block(latest["number"] - 1)["hash"] == latest["parentHash"]


def test_wrong_chain_id_is_a_configuration_error(anvil: ManagedAnvil) -> None:
    with pytest.raises(ConfigurationError, match=r"expected chain id 1 at http://.*found 31337"):
        ChainClient(anvil.rpc_url, Account.create(), 1)


def test_unreachable_node_is_unavailable_after_retries() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(
        ChainUnavailable, match=rf"expected {url} to answer eth_chainId, found after 3 attempt"
    ):
        ChainClient(url, Account.create(), None, retries=2, backoff=0.01, request_timeout=1)
    assert time.monotonic() - started < 5


def test_unknown_receipt_is_none(chain_client: ChainClient) -> None:
    assert chain_client.receipt("0x" + "ab" * 32) is None


def test_load_artifact_rejects_unknown_names() -> None:
    assert load_artifact("EvidenceLog")["contractName"] == "EvidenceLog"
    with pytest.raises(ConfigurationError, match=r"expected a compiled artifact .*/Nope\.json"):
        load_artifact("Nope")


def test_keystore_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "signer.json"
    created = create_keystore(path, "correct horse")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_signer(None, path, "correct horse").address == created.address

    with pytest.raises(ConfigurationError, match="expected the password to open keystore"):
        load_signer(None, path, "wrong")
    with pytest.raises(ConfigurationError, match="expected a password for keystore"):
        load_signer(None, path, None)
    with pytest.raises(ConfigurationError, match="found one \\(not overwritten\\)"):
        create_keystore(path, "again")
    with pytest.raises(ConfigurationError, match="expected a JSON keystore"):
        load_signer(None, tmp_path / "missing.json", "x")


def test_load_signer_needs_exactly_one_valid_source(tmp_path: Path) -> None:
    key = "0x" + "11" * 32
    assert load_signer(key, None, None).address == Account.from_key(key).address
    with pytest.raises(ConfigurationError, match="found neither"):
        load_signer(None, None, None)
    with pytest.raises(ConfigurationError, match="found both"):
        load_signer(key, tmp_path / "k.json", "x")
    secret = "0x" + "zz" * 32
    with pytest.raises(ConfigurationError, match="expected the private key to be 32 bytes") as c:
        load_signer(secret, None, None)
    assert secret not in str(c.value)
