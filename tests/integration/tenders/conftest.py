"""A running service with tenders on a fresh embedded anvil, custodian agents and bidders."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger_service.chain.client import ChainClient
from ledger_service.chain.tender_registry import TenderRegistryContract
from ledger_service.runtime import Services, open_services
from ledger_service.settings import Settings
from ledger_service.tenders.bidder import bidder_public_key
from ledger_service.tenders.custodian import CustodianAgent
from ledger_service.tenders.model import Party
from ledger_service.tenders.service import TenderService
from ledger_service.tenders.views import TenderViews


@dataclass
class World:
    services: Services
    tenders: TenderService
    views: TenderViews
    agents: list[CustodianAgent]
    agent_chain: list[tuple[ChainClient, TenderRegistryContract]]
    bidders: list[LocalAccount]
    tmp: Path

    def chain_time(self) -> int:
        return self.tenders.chain_time()

    def advance_to(self, t: int) -> None:
        """Move chain time forward (anvil) so the next block has timestamp >= t."""
        client = self.services.client
        assert client is not None
        now = self.chain_time()
        if t > now:
            client.request("evm_increaseTime", [t - now])
        client.request("evm_mine", [])

    def party(self, account: LocalAccount, name: str) -> Party:
        return Party(name, account.address, bidder_public_key(account))


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    services = open_services(Settings(data_dir=tmp_path / "svc"))
    assert services.client is not None and services.tenders is not None
    assert services.tender_views is not None
    agents, agent_chain = [], []
    for i, name in enumerate(["交易中心 centre", "监管 regulator", "公证处 notary", "审计 auditor",
                              "银行 bank"]):  # fmt: skip
        agent = CustodianAgent.create(name, rng=_seeded(f"custodian-{i}"))
        client = ChainClient(services.client.rpc_url, agent.account, None, retries=2)
        client.fund_from_dev_account(10**20)
        agents.append(agent)
        agent_chain.append(
            (client, TenderRegistryContract(client, services.tenders.registry_address))
        )
    bidders = [Account.from_key(hashlib.sha256(b"bidder %d" % i).digest()) for i in range(20)]
    try:
        yield World(
            services,
            services.tenders,
            services.tender_views,
            agents,
            agent_chain,
            bidders,
            tmp_path,
        )
    finally:
        services.close()


def _seeded(label: str):  # type: ignore[no-untyped-def]
    counter = [0]

    def rng(n: int) -> bytes:
        out = b""
        while len(out) < n:
            counter[0] += 1
            out += hashlib.sha256(f"{label}/{counter[0]}".encode()).digest()
        return out[:n]

    return rng
