"""The TenderRegistry 2 wrapper against a real anvil: the Python encodings of what
custodians and bidders sign equal the contract's own, and the views read back.

Whole tenders and the attacks run in tests/integration/tenders (and in forge).
"""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_utils.address import to_canonical_address

from ledger_service.chain.client import ChainClient
from ledger_service.chain.eip712 import typed_data_digest
from ledger_service.chain.node import ManagedAnvil
from ledger_service.chain.tender_messages import (
    bid_typed_data,
    sealed_bid_commitment,
    sealed_bid_typed_data,
    tender_id_bytes,
    withdrawal_typed_data,
)
from ledger_service.chain.tender_registry import BidReveal, TenderRegistryContract, TenderStatus
from ledger_service.chain.tx import ContractReverted
from ledger_service.core import threshold
from ledger_service.core.errors import MalformedInput

pytestmark = pytest.mark.integration
TID = tender_id_bytes("CW-REG-1")
H = [bytes([i]) * 32 for i in range(1, 5)]


@pytest.fixture
def registry(chain_client: ChainClient, anvil: ManagedAnvil) -> TenderRegistryContract:
    address, _, _ = chain_client.deploy(
        "TenderRegistry", chain_client.address, chain_client.address
    )
    return TenderRegistryContract(chain_client, address)


def test_encodings_match_the_contract(registry: TenderRegistryContract) -> None:
    chain_id, addr = registry.client.chain_id, registry.address
    bidder, pseudonym = Account.create().address, Account.create().address
    assert registry.version() == "TenderRegistry 2"
    reveal = BidReveal(bidder, H[0], H[1], H[2], H[3])
    assert sealed_bid_commitment(TID, bidder, H[0], H[1], H[2], H[3]) == bytes(
        registry.contract.functions.sealedBidCommitment(TID, reveal.abi()).call()
    )
    f = registry.contract.functions
    assert typed_data_digest(
        sealed_bid_typed_data(chain_id, addr, TID, pseudonym, H[0], 7)
    ) == bytes(f.sealedBidDigest(TID, pseudonym, H[0], 7).call())
    assert typed_data_digest(withdrawal_typed_data(chain_id, addr, TID, pseudonym, 8)) == bytes(
        f.withdrawalDigest(TID, pseudonym, 8).call()
    )
    assert typed_data_digest(
        bid_typed_data(chain_id, addr, TID, bidder, pseudonym, H[1], H[2], H[3])
    ) == bytes(f.bidDigest(TID, bidder, pseudonym, H[1], H[2], H[3]).call())
    assert registry.domain_separator() == threshold.domain_separator(
        chain_id, to_canonical_address(addr)
    )
    with pytest.raises(MalformedInput, match="expected salt to be 32 bytes"):
        sealed_bid_commitment(TID, bidder, b"short", H[1], H[2], H[3])


def test_keys_are_registered_by_their_owners_and_read_back(
    registry: TenderRegistryContract, chain_client: ChainClient
) -> None:
    owner = Account.create()
    client = ChainClient(chain_client.rpc_url, owner, None)
    client.fund_from_dev_account(10**18)
    mine = TenderRegistryContract(client, registry.address)
    _, key = threshold.custodian_keypair()
    mine.register_custodian_key(key)
    assert registry.custodian_key(owner.address) == key
    with pytest.raises(ContractReverted, match="TenderRegistryCustodianKeyTaken"):
        registry.register_custodian_key(key)
    with pytest.raises(ContractReverted, match="TenderRegistryBadCustodianKey"):
        registry.register_custodian_key(b"\x02" + b"\xff" * 32)
    assert registry.get_tender(TID).status == TenderStatus.NONE
