"""The integration path on two EVM node implementations: anvil and Hardhat Network.

On each node (``--evm-node``, default both; one node process per module) the service
runs against it as an external chain (RPC URL + signer key) and deploys its contracts
itself; it anchors records and an inclusion proof checks against the root on chain;
a tender runs from its custodians' own keys to its automatic opening (deadlines
reached with ``evm_increaseTime``/``evm_mine``); the tender's evidence package
verifies offline, receipt proof under ``receiptsRoot`` included. What differs between
the nodes is handled in the library, never skipped here (docs/deployment.md, "A
second EVM node"): funding (``hardhat_setBalance``), the receipts of a block
(Hardhat has no ``eth_getBlockReceipts``), an unknown opcode worded as a revert (a
node of each kind started at Paris, Hardhat's "merge", gets the paris bytecode).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account

from ledger_service.chain.client import ChainClient
from ledger_service.chain.dev_funding import TOP_UP_WEI, DevFunder
from ledger_service.chain.evidence_log import EvidenceLogContract
from ledger_service.chain.tx import ContractReverted
from ledger_service.core.errors import ConfigurationError, VerificationFailed
from ledger_service.core.merkle.size import size_proof_from_leaves
from ledger_service.core.packages import AnchorEvidence
from ledger_service.core.packages import verify_package as verify_offline
from ledger_service.core.records import EvidenceRecord
from ledger_service.evidence.anchoring import Anchorer
from ledger_service.evidence.package_rpc import anchor_evidence, verify_package
from ledger_service.evidence.packaging import build_package
from ledger_service.evidence.proofs import inclusion_proof
from ledger_service.runtime import Services, open_services
from ledger_service.settings import Settings
from ledger_service.store.anchors import CONFIRMED
from ledger_service.tenders import opening
from ledger_service.tenders.lifecycle import State
from ledger_service.tenders.verify_opening import verify_opening
from ledger_service.tenders.watcher import TenderWatcher

from ..evm_nodes import DevNode, start_node
from ..tenders.conftest import make_world
from ..tenders.helpers import CODE, announce, bid, generate_key, open_for_bids

pytestmark = pytest.mark.integration
FUNDS = 10**21
BIDS = 3  # the registry's fewest bids to open


def records(n: int) -> list[EvidenceRecord]:
    return [
        EvidenceRecord.create(kind="event", subject="tender:NODE-1", actor="operator:test",
                              digests={"sha256": hashlib.sha256(b"%d" % i).hexdigest()})
        for i in range(n)
    ]  # fmt: skip


@pytest.fixture
def services(evm_node: DevNode, tmp_path: Path) -> Iterator[Services]:
    """The service on ``evm_node`` as an external chain, with an account of its own
    (funded by the library's dev-node funding: anvil_setBalance or hardhat_setBalance)."""
    signer = Account.create()
    ChainClient(evm_node.rpc_url, signer, evm_node.chain_id, retries=2).fund_from_dev_account(FUNDS)
    settings = Settings(data_dir=tmp_path / "svc", rpc_url=evm_node.rpc_url,
                        signer_key="0x" + bytes(signer.key).hex(), chain_id=evm_node.chain_id)  # fmt: skip
    opened = open_services(settings)
    try:
        yield opened
    finally:
        opened.close()


def anchorer(services: Services) -> Anchorer:
    assert services.client is not None and services.evidence_log is not None
    return Anchorer(services.log_store, services.anchors, services.client, services.evidence_log)


def test_the_node_is_the_one_asked_for(evm_node: DevNode, services: Services) -> None:
    assert services.client is not None
    version = services.client.client_version().lower()
    assert version.startswith({"anvil": "anvil/", "hardhat": "hardhatnetwork/"}[evm_node.name])
    assert services.client.evm_version == "cancun"  # both run Cancun's opcodes


def test_what_differs_is_handled_by_the_library(evm_node: DevNode, tmp_path: Path) -> None:
    """Funding goes by the node's own method; eth_getBlockReceipts is asked only where
    offered; a consortium setting refuses either node (both are development nodes)."""
    client = ChainClient(evm_node.rpc_url, Account.create(), evm_node.chain_id, retries=2)
    poor = Account.create().address
    assert DevFunder(client, lambda: [poor]).step() == [poor.lower()]
    assert client.w3.eth.get_balance(poor) == TOP_UP_WEI
    # the reorg the anchorer tests play (evm_snapshot/evm_revert) exists on both
    before = client.block_number()
    snap = client.request("evm_snapshot", [])
    client.request("evm_mine", [])
    assert client.block_number() == before + 1
    assert client.request("evm_revert", [snap]) is True and client.block_number() == before
    offered = client.request_if_offered("eth_getBlockReceipts", ["0x0"])
    assert offered == ((True, []) if evm_node.name == "anvil" else (False, None))
    settings = Settings(data_dir=tmp_path / "svc", chain_kind="consortium",
                        rpc_url=evm_node.rpc_url, signer_key=evm_node.dev_key)  # fmt: skip
    with pytest.raises(ConfigurationError, match="a development node its operator controls"):
        open_services(settings)


def test_a_node_at_paris_gets_the_conservative_bytecode(evm_node_name: str, tmp_path: Path) -> None:
    """``CHAINWITNESS_EVM_VERSION=auto`` asks the node (an eth_call of Cancun's opcodes);
    both nodes refuse it at Paris (Hardhat's "merge"), and the paris build anchors."""
    node, proc = start_node(evm_node_name, tmp_path / "paris", evm_target="paris")
    try:
        client = ChainClient(node.rpc_url, Account.from_key(node.dev_key), node.chain_id)
        assert not client.runs_cancun() and client.evm_version == "paris"
        address, _tx, _block = client.deploy("EvidenceLog", client.address, client.address)
        log = EvidenceLogContract(client, address)
        root = hashlib.sha256(b"\x00x").digest()
        log.anchor(1, root, [], size_proof_from_leaves([b"x"], 1))
        assert log.root_of(1) == root
        cancun = ChainClient(
            node.rpc_url, Account.from_key(node.dev_key), None, evm_version="cancun"
        )
        with pytest.raises(ConfigurationError, match="EvidenceLog's cancun bytecode, found it "
                           "lacks Cancun's opcodes .*CHAINWITNESS_EVM_VERSION=paris"):  # fmt: skip
            cancun.deploy("EvidenceLog", cancun.address, cancun.address)
    finally:
        proc.stop()


def test_anchors_and_an_inclusion_proof_checks_on_chain(services: Services) -> None:
    a = anchorer(services)
    log = services.evidence_log
    assert log is not None
    services.log_store.append(records(5))
    first = a.step().anchored
    assert first is not None and first.tree_size == 5 and first.status == CONFIRMED
    services.log_store.append(records(40)[5:])
    second = a.step().anchored
    assert second is not None and second.tree_size == 40
    assert log.head_count() == 2 and log.root_of(40) == services.log_store.head().root
    p = inclusion_proof(services.log_store, services.anchors, 3)
    p.verify()
    assert p.anchor is not None and p.anchor.tree_size == 40
    assert log.root_of(p.anchor.tree_size) == p.root
    # the anchoring receipt is proven under the block's receiptsRoot (Hardhat: receipts
    # gathered one transaction at a time)
    evidence = anchor_evidence(log.client, p.anchor)
    assert evidence.check_head(p.anchor, "anchor") == "ethereum"
    # the operator rewrites the anchoring receipt's status: the receipt proof refuses it
    obj = evidence.to_json()
    obj["receipt"]["status"] = "0x0"
    with pytest.raises(VerificationFailed, match="receipt proof: .* the receipt was altered"):
        AnchorEvidence.from_json(obj).check_head(p.anchor, "anchor")


def test_a_revert_is_decoded_before_and_after_mining(services: Services) -> None:
    """Both nodes word a revert differently; the custom error comes out the same."""
    log = services.evidence_log
    assert log is not None and services.client is not None
    services.log_store.append(records(3))
    assert anchorer(services).step().anchored is not None
    root = hashlib.sha256(b"stale").digest()
    with pytest.raises(ContractReverted) as refused:  # by eth_estimateGas
        log.anchor(2, root, [], size_proof_from_leaves([b"a", b"b"], 2))
    assert refused.value.error_name == "EvidenceLogStaleHead" and refused.value.args == (3, 2)
    assert refused.value.result is None
    fn = log.contract.functions.anchor(
        2, root, [], size_proof_from_leaves([b"a", b"b"], 2).as_abi()
    )
    with pytest.raises(ContractReverted) as mined:  # sent with its own gas: status 0
        services.client.send(fn, gas=300_000)
    assert mined.value.error_name == "EvidenceLogStaleHead" and mined.value.args == (3, 2)
    assert mined.value.result is not None and mined.value.result.status == 0


def test_a_tender_opens_itself_and_its_package_verifies_offline(
    services: Services, tmp_path: Path
) -> None:
    world = make_world(services, tmp_path)  # custodians register their own keys
    schedule = announce(world)
    generate_key(world)
    assert world.tenders.group_key(CODE).t == 3
    open_for_bids(world, BIDS)
    docs = {b.address: f"bid of {i} ".encode() * 500 for i, b in enumerate(world.bidders[:BIDS])}
    for b in world.bidders[:BIDS]:
        bid(world, b, docs[b.address])
    watcher = TenderWatcher(world.tenders)
    world.advance_to(schedule.bid_deadline)  # evm_increaseTime + evm_mine
    assert watcher.step() == [] and world.tenders.state(CODE) == State.BIDS_CLOSED
    assert world.tenders.revealed_count(CODE) == BIDS
    world.advance_to(schedule.opening_time)
    world.step_agents(slice(0, 3))  # two custodians are offline
    assert watcher.step() == [CODE]
    record = world.views.public_view(CODE)["opening_record"]
    assert [b["result"] for b in record["bids"]] == [opening.OPENED] * BIDS
    for b in record["bids"]:
        opened = world.tenders.opening_dir(CODE) / f"{b['bidder']}-{b['nonce']}.bin"
        assert opened.read_bytes() == docs[b["bidder"]]
    check = verify_opening(world.rpc_url, world.tenders.registry_address, CODE,
                           tmp_path / "svc" / "blobs")  # fmt: skip
    assert check.matches and check.record == record

    assert anchorer(services).step().anchored is not None
    data = build_package(services.package_sources(), f"tender:{CODE}")
    text = "\n".join(verify_offline(data).lines())
    assert "receipt proven under its receiptsRoot" in text
    online = verify_package(data, rpc_url=world.rpc_url)
    assert any(f"checked against the chain at RPC {world.rpc_url}" in ln for ln in online.lines())
