"""Receipt proofs against a real anvil: a block of many transactions of several types.

The receipts trie built from ``eth_getBlockReceipts`` has the receiptsRoot anvil put in
the header (an independent implementation of the EIP-2718 encoding and the trie); the
anchoring receipt's proof verifies offline. The operator then swaps the receipt for
another one of the same block, or rewrites its logs, and is refused by the receipt proof.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from eth_account import Account

from ledger_service.chain.client import ChainClient
from ledger_service.chain.evidence_log import EvidenceLogContract
from ledger_service.chain.node import ManagedAnvil
from ledger_service.core.errors import ChainUnavailable, VerificationFailed
from ledger_service.core.merkle.size import size_proof_from_leaves
from ledger_service.core.packages import AnchorEvidence
from ledger_service.core.proofs import Anchor
from ledger_service.core.receipts import encode_receipt, receipts_root
from ledger_service.evidence.package_rpc import anchor_evidence, block_receipts

pytestmark = pytest.mark.integration

ROOT_1 = hashlib.sha256(b"\x00x").digest()
FILLERS = 12  # other transactions in the anchoring block


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagedAnvil]:
    anvil = ManagedAnvil(tmp_path_factory.mktemp("receipts"))
    anvil.start()
    try:
        yield anvil
    finally:
        anvil.stop()


@pytest.fixture(scope="module")
def anchored(node: ManagedAnvil) -> tuple[ChainClient, Anchor, int]:
    """Anchor one head in a block that also holds FILLERS other transactions:
    legacy and EIP-1559 ones, plain transfers and reverted calls, emitting no logs."""
    client = ChainClient(node.rpc_url, Account.create(), None, retries=2)
    client.fund_from_dev_account(10**21)
    other = ChainClient(node.rpc_url, Account.create(), None, retries=2)
    other.fund_from_dev_account(10**21)
    address, _tx, _block = client.deploy("EvidenceLog", client.address, client.address)
    log = EvidenceLogContract(client, address)
    client.request("evm_setAutomine", [False])
    try:
        nonce = other.w3.eth.get_transaction_count(other.address)
        for i in range(FILLERS):
            tx: dict[str, Any] = {"to": address if i % 3 else other.address, "value": i,
                                  "gas": 100_000, "nonce": nonce + i, "chainId": other.chain_id,
                                  "data": "0xdeadbeef" if i % 3 else "0x"}  # fmt: skip
            if i % 2:
                tx["gasPrice"] = 3 * 10**9
            else:
                tx |= {"maxFeePerGas": 3 * 10**9, "maxPriorityFeePerGas": 10**9}
            other.w3.eth.send_raw_transaction(other.signer.sign_transaction(tx).raw_transaction)
        timer = threading.Timer(1.5, lambda: client.request("evm_mine", []))
        timer.start()
        result = log.anchor(1, ROOT_1, [], size_proof_from_leaves([b"x"], 1))
        timer.join()
    finally:
        client.request("evm_setAutomine", [True])
    block = client.block(result.block_number)
    anchor = Anchor(client.chain_id, address, result.tx_hash, result.block_number,
                    result.block_hash, block["timestamp"], 0, 1, ROOT_1)  # fmt: skip
    n = len(
        client.request("eth_getBlockByNumber", [hex(result.block_number), False])["transactions"]
    )
    return client, anchor, n


def test_receipts_trie_has_anvils_receipts_root(anchored: tuple[ChainClient, Anchor, int]) -> None:
    client, anchor, n = anchored
    assert n == FILLERS + 1
    block = client.request("eth_getBlockByNumber", [hex(anchor.block_number), False])
    receipts = block_receipts(client, block)
    assert {r["type"] for r in receipts} == {"0x0", "0x2"}
    assert {r["status"] for r in receipts} == {"0x0", "0x1"}  # reverted fillers too
    root = receipts_root([encode_receipt(r) for r in receipts])
    assert "0x" + root.hex() == block["receiptsRoot"]


def test_anchoring_receipt_is_proven_offline(anchored: tuple[ChainClient, Anchor, int]) -> None:
    client, anchor, n = anchored
    ev = anchor_evidence(client, anchor)
    assert ev.version == 2 and ev.receipt_proof is not None and len(ev.receipt_proof) >= 2
    assert int(ev.receipt["transactionIndex"], 16) < n
    again = AnchorEvidence.from_json(ev.to_json())
    assert again == ev
    assert again.check_head(anchor, "anchor") == "ethereum"


def _swap_for_another_receipt(
    client: ChainClient, anchor: Anchor
) -> Callable[[dict[str, Any]], None]:
    block = client.request("eth_getBlockByNumber", [hex(anchor.block_number), False])
    others = [r for r in block_receipts(client, block) if r["transactionHash"] != anchor.tx_hash]

    def swap(r: dict[str, Any]) -> None:
        # another transaction's receipt of the block, posing as the anchoring one at its
        # place, with the HeadAnchored log copied in: what an operator would forge
        logs, index = r["logs"], r["transactionIndex"]
        r.clear()
        r.update(others[0], transactionHash=anchor.tx_hash, transactionIndex=index, logs=logs)

    return swap


@pytest.mark.parametrize("attack", ["log root", "log address", "swapped receipt", "status"])
def test_operator_rewriting_the_receipt_is_refused(
    anchored: tuple[ChainClient, Anchor, int], attack: str
) -> None:
    client, anchor, _n = anchored
    obj = anchor_evidence(client, anchor).to_json()
    receipt = obj["receipt"]
    if attack == "log root":
        receipt["logs"][0]["data"] = "0x" + "66" * 32 + receipt["logs"][0]["data"][66:]
        # the forged head the operator wants shown anchored
        anchor = dataclasses.replace(anchor, root=bytes.fromhex("66" * 32))
    elif attack == "log address":
        receipt["logs"][0]["address"] = "0x" + "0e" * 20
    elif attack == "swapped receipt":
        _swap_for_another_receipt(client, anchor)(receipt)
    else:
        receipt["status"] = "0x0"
    forged = AnchorEvidence.from_json(obj)
    with pytest.raises(VerificationFailed, match="anchor: receipt proof: expected receipt .* "
                       "under receiptsRoot .*: the receipt was altered"):  # fmt: skip
        forged.check_head(anchor, "anchor")


def test_a_node_without_eth_get_block_receipts_is_asked_per_transaction(
    anchored: tuple[ChainClient, Anchor, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As Hardhat Network answers (error -32004, played for real in
    tests/integration/chain/test_second_node.py)."""
    client, anchor, n = anchored
    real, real_optional = client.request, client.request_if_offered
    asked: list[str] = []

    def request(method: str, params: Any) -> Any:
        asked.append(method)
        return real(method, params)

    def request_if_offered(method: str, params: Any) -> tuple[bool, Any]:
        asked.append(method)
        if method == "eth_getBlockReceipts":
            return False, None
        return real_optional(method, params)

    monkeypatch.setattr(client, "request", request)
    monkeypatch.setattr(client, "request_if_offered", request_if_offered)
    ev = anchor_evidence(client, anchor)
    assert asked.count("eth_getTransactionReceipt") == n
    ev.check_head(anchor, "anchor")


def test_a_transport_failure_of_eth_get_block_receipts_is_not_taken_for_absence(
    anchored: tuple[ChainClient, Anchor, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, anchor, _n = anchored

    def request_if_offered(method: str, params: Any) -> tuple[bool, Any]:
        raise ChainUnavailable(f"expected {method} answered, found a closed connection")

    monkeypatch.setattr(client, "request_if_offered", request_if_offered)
    with pytest.raises(ChainUnavailable, match="closed connection"):
        anchor_evidence(client, anchor)
