"""Fixtures for the integration tier: one real anvil per session.

``anvil`` runs for the whole session in a temporary directory; ``chain_client``
signs with a fresh account that the dev node funds; ``evidence_log`` is a new
EvidenceLog per test (admin and anchorer: that account), so tests never see
each other's heads. ``evm_node`` is a node of its own per module, run once per node
``--evm-node`` selects (anvil and Hardhat Network: tests/integration/evm_nodes.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_account import Account

from ledger_service.chain.client import ChainClient
from ledger_service.chain.evidence_log import EvidenceLogContract
from ledger_service.chain.node import ManagedAnvil

from .evm_nodes import DevNode, chosen_nodes, start_node

CHAIN_ID = 31337
FUNDING_WEI = 10**21  # 1000 ETH: far more than any test spends on gas


@pytest.fixture(scope="session")
def anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagedAnvil]:
    node = ManagedAnvil(tmp_path_factory.mktemp("anvil"), chain_id=CHAIN_ID)
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="session")
def chain_client(anvil: ManagedAnvil) -> ChainClient:
    client = ChainClient(anvil.rpc_url, Account.create(), CHAIN_ID, retries=2, backoff=0.05)
    client.fund_from_dev_account(FUNDING_WEI)
    return client


@pytest.fixture
def evidence_log(chain_client: ChainClient) -> EvidenceLogContract:
    signer = chain_client.address
    address, _tx, _block = chain_client.deploy("EvidenceLog", signer, signer)
    return EvidenceLogContract(chain_client, address)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``evm_node_name``: one module-scoped run per node ``--evm-node`` selects."""
    if "evm_node_name" in metafunc.fixturenames:
        names = chosen_nodes(metafunc.config.getoption("--evm-node"))
        metafunc.parametrize("evm_node_name", names, scope="module")


@pytest.fixture(scope="module")
def evm_node(
    evm_node_name: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DevNode]:
    """A development node of its own for the module (anvil or Hardhat Network)."""
    node, proc = start_node(evm_node_name, tmp_path_factory.mktemp(evm_node_name))
    try:
        yield node
    finally:
        proc.stop()
