"""ensure_deployed against real anvils: first deploy, reuse, a reset chain, migration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account

from ledger_service.chain.client import ChainClient
from ledger_service.chain.deployment import Deployment, ensure_deployed
from ledger_service.chain.evidence_log import EvidenceLogContract
from ledger_service.chain.node import ManagedAnvil
from ledger_service.chain.tender_registry import OPERATOR_ROLE, TenderRegistryContract
from ledger_service.core.errors import ConfigurationError, MalformedInput
from notary.registry import NotaryRegistryContract

pytestmark = pytest.mark.integration


#: the notary authority's own account (not the service signer)
AUTHORITY = Account.create().address


def test_first_run_deploys_and_later_runs_reuse(chain_client: ChainClient, tmp_path: Path) -> None:
    me = chain_client.address
    first = ensure_deployed(chain_client, tmp_path, me, me, notary_authority=AUTHORITY)
    assert first.chain_id == chain_client.chain_id
    assert first.deployer == me
    assert EvidenceLogContract(chain_client, first.address_of()).version()
    registry = TenderRegistryContract(chain_client, first.address_of("TenderRegistry"))
    assert registry.version() == "TenderRegistry 2"
    notaries = NotaryRegistryContract(chain_client, first.address_of("NotaryRegistry"))
    assert notaries.version() == "NotaryRegistry 2"
    # the notary authority administers NotaryRegistry, never the service that deployed it
    has_admin = notaries.contract.functions.hasRole(bytes(32), AUTHORITY)  # DEFAULT_ADMIN_ROLE
    assert chain_client.call(has_admin) is True
    service_admin = notaries.contract.functions.hasRole(bytes(32), me)
    assert chain_client.call(service_admin) is False
    assert Deployment.from_json((tmp_path / "deployment.json").read_text()) == first

    height = chain_client.block_number()
    assert ensure_deployed(chain_client, tmp_path, me, me, notary_authority=AUTHORITY) == first
    assert chain_client.block_number() == height  # nothing sent


def test_reset_chain_is_refused_unless_redeploy_is_asked(tmp_path: Path) -> None:
    data = tmp_path / "service"
    with ManagedAnvil(tmp_path / "old-chain") as old:
        client = ChainClient(old.rpc_url, Account.create(), old.chain_id)
        client.fund_from_dev_account(10**19)
        first = ensure_deployed(
            client, data, client.address, client.address, notary_authority=AUTHORITY
        )

    with ManagedAnvil(tmp_path / "fresh-chain") as fresh:  # no state: a reset chain
        client = ChainClient(fresh.rpc_url, client.signer, fresh.chain_id)
        client.fund_from_dev_account(10**19)
        with pytest.raises(ConfigurationError, match=r"found no code: the chain was reset"):
            ensure_deployed(
                client, data, client.address, client.address, notary_authority=AUTHORITY
            )
        second = ensure_deployed(
            client,
            data,
            client.address,
            client.address,
            redeploy_if_missing=True,
            notary_authority=AUTHORITY,
        )
        assert EvidenceLogContract(client, second.address_of()).head_count() == 0
    # same deployer, same nonce: CREATE lands on the same address on the new chain
    assert second.address_of() == first.address_of()
    assert Deployment.load(data) == second


def test_file_without_tender_registry_is_migrated(
    chain_client: ChainClient, tmp_path: Path
) -> None:
    me = chain_client.address
    address, _tx, block = chain_client.deploy("EvidenceLog", me, me)
    old = Deployment(chain_client.chain_id, {"EvidenceLog": address}, block, me)
    old.save(tmp_path)

    migrated = ensure_deployed(chain_client, tmp_path, me, me, notary_authority=AUTHORITY)
    assert migrated.address_of() == address  # the anchored log is kept
    assert (migrated.deployed_at_block, migrated.deployer) == (block, me)
    assert sorted(migrated.contracts) == [
        "ContractWitness", "EvidenceLog", "NotaryRegistry", "TenderRegistry",
    ]  # fmt: skip
    registry_address = migrated.address_of("TenderRegistry")
    assert chain_client.code_at(registry_address)
    registry = TenderRegistryContract(chain_client, registry_address)
    assert registry.version() == "TenderRegistry 2"
    has_role = registry.contract.functions.hasRole(OPERATOR_ROLE, me)
    assert chain_client.call(has_role) is True
    assert Deployment.load(tmp_path) == migrated

    height = chain_client.block_number()
    assert ensure_deployed(chain_client, tmp_path, me, me, notary_authority=AUTHORITY) == migrated
    assert chain_client.block_number() == height  # migrated once


def test_wrong_contract_at_a_recorded_address_is_refused(
    chain_client: ChainClient, tmp_path: Path
) -> None:
    me = chain_client.address
    first = ensure_deployed(chain_client, tmp_path, me, me, notary_authority=AUTHORITY)
    swapped = {"EvidenceLog": first.address_of(), "TenderRegistry": first.address_of()}
    Deployment(first.chain_id, swapped, first.deployed_at_block, me).save(tmp_path)
    with pytest.raises(ConfigurationError, match=r"expected TenderRegistry at .*'EvidenceLog 2'"):
        ensure_deployed(chain_client, tmp_path, me, me, notary_authority=AUTHORITY)


def test_deployment_for_another_chain_is_refused(chain_client: ChainClient, tmp_path: Path) -> None:
    Deployment(1, {"EvidenceLog": "0x" + "11" * 20}, 5, chain_client.address).save(tmp_path)
    with pytest.raises(
        ConfigurationError, match=r"expected chain id 1 as recorded in .*found 31337"
    ):
        ensure_deployed(
            chain_client,
            tmp_path,
            chain_client.address,
            chain_client.address,
            notary_authority=AUTHORITY,
        )


def test_deployment_json_round_trip_and_rejects() -> None:
    d = Deployment(31337, {"EvidenceLog": "0x" + "ab" * 20}, 7, "0x" + "cd" * 20)
    assert Deployment.from_json(d.to_json()) == d
    raw = json.loads(d.to_json())
    with pytest.raises(MalformedInput, match="expected deployment format version 1, found 2"):
        Deployment.from_json(json.dumps({**raw, "version": 2}))
    with pytest.raises(MalformedInput, match="expected deployment fields"):
        Deployment.from_json(json.dumps({**raw, "extra": 1}))
    with pytest.raises(MalformedInput, match="expected a 0x address of 40 hex digits"):
        Deployment.from_json(json.dumps({**raw, "contracts": {"EvidenceLog": "0x12"}}))
    with pytest.raises(MalformedInput, match="expected deployment JSON"):
        Deployment.from_json(d.to_json() + "}")


def test_no_notary_registry_without_a_notary_authority(
    chain_client: ChainClient, tmp_path: Path
) -> None:
    """The service never makes itself the notary authority: without one, no registry."""
    me = chain_client.address
    deployed = ensure_deployed(chain_client, tmp_path, me, me)
    assert "NotaryRegistry" not in deployed.contracts
    again = ensure_deployed(chain_client, tmp_path, me, me, notary_authority=AUTHORITY)
    notaries = NotaryRegistryContract(chain_client, again.address_of("NotaryRegistry"))
    assert chain_client.call(notaries.contract.functions.hasRole(bytes(32), AUTHORITY)) is True
