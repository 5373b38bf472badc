"""The EVM target setting against real anvils: one at its latest hardfork, one at Paris.

A Paris chain (no PUSH0) cannot run the default Cancun bytecode; ``evm_version="auto"``
detects that and deploys the Paris build, which anchors heads there like the default does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account

from ledger_service.chain.client import ChainClient
from ledger_service.chain.evidence_log import EvidenceLogContract
from ledger_service.chain.evm_target import opcodes_beyond
from ledger_service.chain.node import ManagedAnvil
from ledger_service.core.errors import ConfigurationError
from ledger_service.core.merkle.size import size_proof_from_leaves

pytestmark = pytest.mark.integration

FUNDING_WEI = 10**21
ROOT_1 = hashlib.sha256(b"\x00x").digest()


@pytest.fixture(scope="module")
def paris_anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagedAnvil]:
    node = ManagedAnvil(tmp_path_factory.mktemp("paris"), chain_id=31337, hardfork="paris")
    node.start()
    try:
        yield node
    finally:
        node.stop()


def _client(node: ManagedAnvil, evm_version: str = "auto") -> ChainClient:
    client = ChainClient(node.rpc_url, Account.create(), None, retries=2, evm_version=evm_version)
    client.fund_from_dev_account(FUNDING_WEI)
    return client


def _anchor_one(client: ChainClient) -> EvidenceLogContract:
    address, _tx, _block = client.deploy("EvidenceLog", client.address, client.address)
    log = EvidenceLogContract(client, address)
    log.anchor(1, ROOT_1, [], size_proof_from_leaves([b"x"], 1))
    assert (log.latest_head().size, log.latest_head().root) == (1, ROOT_1)
    return log


def test_auto_picks_cancun_on_a_current_node(anvil: ManagedAnvil) -> None:
    client = _client(anvil)
    assert client.runs_cancun() is True
    assert client.evm_version == "cancun"
    log = _anchor_one(client)
    assert any(op.name == "PUSH0" for op in opcodes_beyond(client.code_at(log.address), "paris"))


def test_auto_picks_paris_on_a_paris_node_and_anchors(paris_anvil: ManagedAnvil) -> None:
    assert "--hardfork" in paris_anvil.command()
    client = _client(paris_anvil)
    assert client.runs_cancun() is False
    assert client.evm_version == "paris"
    log = _anchor_one(client)
    # what runs there is the Paris build: no opcode Paris lacks
    code = client.code_at(log.address)
    assert len(code) > 1000
    assert opcodes_beyond(code, "paris") == []


def test_cancun_bytecode_does_not_deploy_on_a_paris_node(paris_anvil: ManagedAnvil) -> None:
    client = _client(paris_anvil, "cancun")
    assert client.evm_version == "cancun"
    with pytest.raises(ConfigurationError, match="EvidenceLog's cancun bytecode, found it lacks "
                       "Cancun's opcodes .*CHAINWITNESS_EVM_VERSION=paris"):  # fmt: skip
        client.deploy("EvidenceLog", client.address, client.address)


def test_an_unknown_evm_version_is_refused(anvil: ManagedAnvil, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"expected an EVM version among \['auto', "
                       r"'cancun', 'paris'\], found 'london'"):  # fmt: skip
        ChainClient(anvil.rpc_url, Account.create(), None, evm_version="london")
