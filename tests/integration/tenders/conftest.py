"""A running service with tenders on a fresh embedded anvil, custodian agents and bidders.

Each agent has its own chain client (its own account, the RPC URL and registry address
it is configured with) and its own clock (:class:`Clock`, moved by the test together
with chain time); the service is only its relay.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger_service.chain.client import ChainClient
from ledger_service.chain.tender_registry import TenderRegistryContract
from ledger_service.runtime import Services, open_services
from ledger_service.settings import Settings
from ledger_service.tenders.custodian import AgentRun, CustodianAgent, Relay
from ledger_service.tenders.model import Schedule
from ledger_service.tenders.service import TenderService
from ledger_service.tenders.views import TenderViews


@dataclass
class Clock:
    """A custodian's own clock (Unix seconds), independent of the operator's chain."""

    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class World:
    services: Services
    tenders: TenderService
    views: TenderViews
    agents: list[CustodianAgent]
    runs: list[AgentRun]
    clock: Clock
    bidders: list[LocalAccount]
    tmp: Path
    rpc_url: str = ""
    schedule: Schedule | None = field(default=None)

    def chain_time(self) -> int:
        return self.tenders.chain_time()

    def advance_to(self, t: int, *, own_clocks: bool = True) -> None:
        """Move chain time forward (anvil) so the next block has timestamp >= t; the
        custodians' own clocks follow unless ``own_clocks`` is False."""
        client = self.services.client
        assert client is not None
        now = self.chain_time()
        if t > now:
            client.request("evm_increaseTime", [t - now])
        client.request("evm_mine", [])
        if own_clocks:
            self.clock.now = max(self.clock.now, self.chain_time())

    def agent_run(
        self, agent: CustodianAgent, relay: Relay, rpc_url: str | None = None
    ) -> AgentRun:
        client = ChainClient(rpc_url or self.rpc_url, agent.account, None, retries=2)
        registry = TenderRegistryContract(client, self.tenders.registry_address)
        return AgentRun(agent, registry, relay, self.clock)

    def step_agents(self, which: slice = slice(None)) -> None:
        for run in self.runs[which]:
            run.step()


def make_world(services: Services, tmp_path: Path) -> World:
    """Five custodians who registered their own keys, 20 bidders, over ``services``."""
    assert services.client is not None and services.tenders is not None
    assert services.tender_views is not None
    rpc_url = services.client.rpc_url
    clock = Clock(float(services.tenders.chain_time()))
    agents, runs = [], []
    for i, name in enumerate(["交易中心 centre", "监管 regulator", "公证处 notary", "审计 auditor",
                              "银行 bank"]):  # fmt: skip
        agent = CustodianAgent.create(name, rng=_seeded(f"custodian-{i}"))
        client = ChainClient(rpc_url, agent.account, None, retries=2)
        client.fund_from_dev_account(10**20)
        registry = TenderRegistryContract(client, services.tenders.registry_address)
        agent.register_key(registry)  # by the custodian itself, from its own account
        agents.append(agent)
        runs.append(AgentRun(agent, registry, services.tenders, clock))
    bidders = [Account.from_key(hashlib.sha256(b"bidder %d" % i).digest()) for i in range(20)]
    return World(services, services.tenders, services.tender_views, agents, runs, clock,
                 bidders, tmp_path, rpc_url)  # fmt: skip


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    services = open_services(Settings(data_dir=tmp_path / "svc"))
    try:
        yield make_world(services, tmp_path)
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
