"""The browser's JSON-RPC reader against a real anvil and a real EvidenceLog.

A head anchored from Python is read back in the page with ``eth_call``
(``EvidenceLog.rootOf``) and ``eth_getBlockByNumber`` over fetch, from the page's
own origin to the node's (anvil answers CORS); an unreachable endpoint is
ChainUnavailable, not a hang or a wrong answer.
"""

from __future__ import annotations

import socket

import pytest
from playwright.sync_api import Page

from ledger_service.chain.evidence_log import EvidenceLogContract
from ledger_service.chain.node import ManagedAnvil
from ledger_service.core.merkle import leaf_hash, root_from_leaves
from ledger_service.core.merkle.size import size_proof_from_leaves
from tests.integration.web.harness import call

pytestmark = [pytest.mark.integration, pytest.mark.node]


def test_page_reads_the_anchored_root_and_its_block(
    page: Page, anvil: ManagedAnvil, evidence_log: EvidenceLogContract
) -> None:
    data = [b"web test record %d" % i for i in range(5)]
    root = root_from_leaves([leaf_hash(d) for d in data])
    tx = evidence_log.anchor(5, root, [], size_proof_from_leaves(data, 5))
    got = call(page, "readChain", {"url": anvil.rpc_url, "contract": evidence_log.address,
                                   "size": 5, "other_size": 6, "block": tx.block_number})  # fmt: skip
    assert got["chain_id"] == 31337
    assert got["root"] == root.hex()
    assert got["other_root"] == "00" * 32
    assert got["block"]["number"] == tx.block_number
    assert got["block"]["hash"] == tx.block_hash
    assert got["block"]["timestamp"] == tx.block_time


def test_an_unreachable_endpoint_is_chain_unavailable(page: Page) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    got = call(page, "rpcFailure", {"url": f"http://127.0.0.1:{port}/"})
    assert got["ok"] is False
    assert got["name"] == "ChainUnavailable"
    assert got["message"].startswith("eth_chainId: expected a JSON-RPC answer from")
