"""Electronic contract witness against a real anvil: parties sign, the service relays.

Each party signs the contract's EIP-712 message with its own eth-account key and never
sends a transaction; the service account relays and pays. One embedded anvil and
service serve the module (contract codes differ per test), so the tier stays fast.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger_service.chain.client import ChainClient
from ledger_service.chain.contract_witness import (
    CONTRACT_WITNESS,
    ContractWitnessContract,
    contract_date,
    contract_id_bytes,
    contract_typed_data,
)
from ledger_service.chain.deployment import Deployment, ensure_deployed
from ledger_service.chain.eip712 import recover_typed_signer, sign_typed, typed_data_digest
from ledger_service.chain.tx import ContractReverted
from ledger_service.core.errors import Conflict, MalformedInput, NotFound
from ledger_service.econtracts.service import MAX_AMOUNT_FEN, ContractService
from ledger_service.runtime import Services, open_services
from ledger_service.settings import Settings
from ledger_service.store.econtracts import ContractStore

pytestmark = pytest.mark.integration

DOC = hashlib.sha256(b"purchase contract v1").hexdigest()
TERMS = hashlib.sha256(b'{"amount_fen":12345678,"delivery":"2025-03-01"}').hexdigest()
AMOUNT = 12_345_678  # 123,456.78 CNY


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    services = open_services(Settings(data_dir=tmp_path_factory.mktemp("witness") / "svc"))
    try:
        yield services
    finally:
        services.close()


@pytest.fixture(scope="module")
def witness(services: Services) -> ContractWitnessContract:
    assert services.client is not None
    deployment = Deployment.load(services.settings.data_dir)
    assert deployment is not None
    return ContractWitnessContract(services.client, deployment.address_of(CONTRACT_WITNESS))


@pytest.fixture(scope="module")
def contracts(services: Services, witness: ContractWitnessContract) -> ContractService:
    return ContractService(services.log_store, ContractStore(services.log_store.engine), witness)


def _party(label: str) -> LocalAccount:
    account: LocalAccount = Account.from_key(hashlib.sha256(label.encode()).digest())
    return account


BUYER, SELLER, MALLORY = _party("buyer 采购人"), _party("seller 供应商"), _party("mallory")


def _register(contracts: ContractService, code: str, previous: str | None = None) -> dict[str, Any]:
    return contracts.register(
        code, DOC, "采购合同.pdf", [("采购人 buyer", BUYER.address), ("供应商 seller", SELLER.address)],
        AMOUNT, "2025-01-15", TERMS, previous_code=previous,
    )  # fmt: skip


def _complete(contracts: ContractService, code: str, previous: str | None = None) -> None:
    _register(contracts, code, previous)
    typed = contracts.typed_data(code)
    for account in (BUYER, SELLER):
        contracts.sign(code, account.address, sign_typed(account, typed))


def _kinds(services: Services, code: str) -> list[str]:
    return [r.record.kind for r in services.log_store.records_for_subject(f"contract:{code}")]


def test_two_parties_sign_and_the_service_relays(
    services: Services, contracts: ContractService, witness: ContractWitnessContract
) -> None:
    code = "HT-2025-0001"
    registered = _register(contracts, code)
    assert registered["complete"] is False
    assert [p["signed"] for p in registered["parties"]] == [False, False]
    typed = contracts.typed_data(code)
    # what the parties sign is what the chain checks
    assert typed_data_digest(typed) == witness.signature_digest(contract_id_bytes(code))

    by_buyer = sign_typed(BUYER, typed)  # on the buyer's own machine
    assert recover_typed_signer(typed, by_buyer) == BUYER.address
    half = contracts.sign(code, BUYER.address, by_buyer)
    assert (half["complete"], half["on_chain"]["signature_count"]) == (False, 1)
    view = contracts.sign(code, SELLER.address, sign_typed(SELLER, typed))

    assert view["complete"] is True and view["on_chain"]["complete"] is True
    assert all(p["signed"] and p["tx_hash"] and p["signed_at"] for p in view["parties"])
    assert view["parties"][0]["signature"] == "0x" + by_buyer.hex()
    assert view["amendment_chain"] == [code] and view["previous"] is None
    on_chain = witness.signatures(contract_id_bytes(code))
    assert [(s.party, s.signed_at) for s in on_chain] == [
        (p["address"], p["signed_at"]) for p in view["parties"]
    ]

    # every step is an evidence record, indices as the view reports them
    assert _kinds(services, code) == [
        "contract.registered", "contract.signed", "contract.signed", "contract.completed",
    ]  # fmt: skip
    indices = [view["registration"]["record_index"],
               *(p["record_index"] for p in view["parties"]), view["completed_record_index"]]  # fmt: skip
    assert view["records"] == indices
    registration = services.log_store.record(indices[0]).record
    assert registration.digests == {"sha256": DOC}
    assert registration.subject == f"contract:{code}"
    assert registration.metadata["tx_hash"] == view["registration"]["tx_hash"]
    signed = services.log_store.record(indices[1]).record
    assert signed.actor == f"party:{BUYER.address}"
    assert set(signed.digests) == {"sha256"} and signed.digests["sha256"] != DOC

    assert services.client is not None
    receipt = services.client.receipt(view["parties"][1]["tx_hash"])
    assert receipt is not None
    print(f"gas: sign() completing a 2-party contract, whole tx: {receipt.gas_used}")
    assert receipt.gas_used < 60_000


def test_forged_signatures_are_refused_and_leave_nothing(
    services: Services, contracts: ContractService, witness: ContractWitnessContract
) -> None:
    code = "HT-2025-0002"
    _register(contracts, code)
    typed = contracts.typed_data(code)
    other_chain = {**typed, "domain": {**typed["domain"], "chainId": 1}}
    other_witness = {**typed, "domain": {**typed["domain"], "verifyingContract": "0x" + "11" * 20}}
    other_terms = {**typed, "message": {**typed["message"], "amount": AMOUNT + 1}}
    before = _kinds(services, code)
    forgeries = [
        sign_typed(MALLORY, typed),  # someone else's key in the buyer's name
        sign_typed(SELLER, typed),  # the other party's genuine signature
        sign_typed(BUYER, other_chain),
        sign_typed(BUYER, other_witness),
        sign_typed(BUYER, other_terms),
        b"\x00" * 65,
    ]
    for forged in forgeries:
        with pytest.raises(ContractReverted, match="ContractWitnessBadSignature"):
            contracts.sign(code, BUYER.address, forged)
    with pytest.raises(ContractReverted, match="ContractWitnessUnknownParty"):
        contracts.sign(code, MALLORY.address, sign_typed(MALLORY, typed))
    assert _kinds(services, code) == before
    view = contracts.view(code)
    assert [p["signed"] for p in view["parties"]] == [False, False]
    assert view["on_chain"]["signature_count"] == 0


def test_replays_are_refused(services: Services, contracts: ContractService) -> None:
    code, twin = "HT-2025-0003", "HT-2025-0003-twin"
    _register(contracts, code)
    _register(contracts, twin)  # same document, parties and terms, another id
    signature = sign_typed(BUYER, contracts.typed_data(code))
    contracts.sign(code, BUYER.address, signature)
    with pytest.raises(ContractReverted, match="ContractWitnessAlreadySigned"):
        contracts.sign(code, BUYER.address, signature)
    with pytest.raises(ContractReverted, match="ContractWitnessBadSignature"):
        contracts.sign(twin, BUYER.address, signature)
    assert _kinds(services, code) == ["contract.registered", "contract.signed"]
    assert _kinds(services, twin) == ["contract.registered"]


def test_amendment_chain(services: Services, contracts: ContractService) -> None:
    original, first, second = "HT-2025-0004", "HT-2025-0004-A1", "HT-2025-0004-A2"
    _register(contracts, original)
    with pytest.raises(ContractReverted, match="ContractWitnessPreviousIncomplete"):
        _register(contracts, first, previous=original)
    with pytest.raises(NotFound, match="expected a contract with code 'HT-none'"):
        _register(contracts, first, previous="HT-none")
    typed = contracts.typed_data(original)
    for account in (BUYER, SELLER):
        contracts.sign(original, account.address, sign_typed(account, typed))

    _complete(contracts, first, previous=original)
    amended = contracts.typed_data(first)
    assert amended["message"]["previous"] == "0x" + contract_id_bytes(original).hex()
    with pytest.raises(ContractReverted, match="ContractWitnessPreviousAmended"):
        _register(contracts, "HT-2025-0004-fork", previous=original)
    _register(contracts, second, previous=first)

    view = contracts.view(first)
    assert view["amendment_chain"] == [original, first, second]
    # the second amendment is registered but unsigned: it amends nothing yet
    assert (view["previous"], view["amended_by"]) == (original, None)
    assert contracts.view(original)["amended_by"] == first
    assert contracts.view(second)["complete"] is False
    assert _kinds(services, original) == [
        "contract.registered", "contract.signed", "contract.signed", "contract.completed",
        "contract.amended",
    ]  # fmt: skip
    amendment = services.log_store.records_for_subject(f"contract:{original}")[-1].record
    assert amendment.metadata["amended_by"] == first
    registered = services.log_store.record(view["registration"]["record_index"]).record
    assert registered.metadata["previous"] == original


def test_bad_requests_are_refused_before_the_chain(contracts: ContractService) -> None:
    pair = [("a", BUYER.address), ("b", SELLER.address)]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"document_sha256": "AB" * 32}, "expected document_sha256 as 64 lowercase hex"),
        ({"terms_sha256": "00"}, "expected terms_sha256 as 64 lowercase hex"),
        ({"parties": pair[:1]}, "expected 2 to 8 parties, found 1"),
        ({"parties": pair * 5}, "expected 2 to 8 parties, found 10"),
        ({"parties": [pair[0], ("c", BUYER.address.lower())]}, "expected distinct party"),
        ({"parties": [pair[0], ("c", "0x12")]}, "expected a 20-byte 0x address"),
        ({"parties": [pair[0], ("", SELLER.address)]}, "expected a party name of 1 to 128"),
        ({"amount_fen": -1}, r"expected an amount in fen in \[0, 9007199254740991\]"),
        ({"amount_fen": MAX_AMOUNT_FEN + 1}, "expected an amount in fen"),
        ({"date": "2025-1-5"}, "expected a date as YYYY-MM-DD, found '2025-1-5'"),
        ({"date": "2025-02-30"}, "expected a date as YYYY-MM-DD"),
        ({"document_name": ""}, "expected the document name of 1 to 256"),
    ]
    good: dict[str, Any] = {"code": "HT-bad", "document_sha256": DOC, "document_name": "x",
                            "parties": pair, "amount_fen": 1, "date": "2025-01-01",
                            "terms_sha256": TERMS}  # fmt: skip
    for change, message in cases:
        with pytest.raises(MalformedInput, match=message):
            contracts.register(**{**good, **change})
    _register(contracts, "HT-2025-0005")
    with pytest.raises(Conflict, match="found 'HT-2025-0005' already registered"):
        _register(contracts, "HT-2025-0005")
    with pytest.raises(NotFound, match="expected a contract with code 'HT-missing'"):
        contracts.view("HT-missing")
    with pytest.raises(NotFound, match="expected a contract with code 'HT-missing'"):
        contracts.sign("HT-missing", BUYER.address, b"\x00" * 65)


def test_typed_data_matches_the_pinned_forge_vector() -> None:
    """Same inputs as ContractWitness.t.sol test_SignatureDigestIsEip712."""
    typed = contract_typed_data(
        31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3", contract_id_bytes("HT-2025-0001"),
        (1).to_bytes(32, "big"), ["0x" + "11" * 20, "0x" + "22" * 20], 100, 7,
        (2).to_bytes(32, "big"), (3).to_bytes(32, "big"),
    )  # fmt: skip
    assert typed_data_digest(typed).hex() == (
        "4a54a08ee1fe6b343d4185bdb7b45e520147a410db9f12b5a6341694d5dafbf3"
    )
    assert contract_date("2025-01-01") == 1_735_689_600
    with pytest.raises(MalformedInput, match="expected previous to be 32 bytes, found 31 bytes"):
        contract_typed_data(1, "0x" + "11" * 20, bytes(32), bytes(32), ["0x" + "11" * 20,
                            "0x" + "22" * 20], 0, 0, bytes(32), bytes(31))  # fmt: skip


def test_older_deployment_gets_contract_witness(chain_client: ChainClient, tmp_path: Path) -> None:
    me = chain_client.address
    log_address, _tx, block = chain_client.deploy("EvidenceLog", me, me)
    registry, _tx, _block = chain_client.deploy("TenderRegistry", me, me)
    contracts = {"EvidenceLog": log_address, "TenderRegistry": registry}
    Deployment(chain_client.chain_id, contracts, block, me).save(tmp_path)

    migrated = ensure_deployed(chain_client, tmp_path, me, me)
    added = {CONTRACT_WITNESS, "NotaryRegistry"}
    assert {k: v for k, v in migrated.contracts.items() if k not in added} == contracts
    witness = ContractWitnessContract(chain_client, migrated.address_of(CONTRACT_WITNESS))
    assert witness.version() == "ContractWitness 2"
    assert Deployment.load(tmp_path) == migrated
    height = chain_client.block_number()
    assert ensure_deployed(chain_client, tmp_path, me, me) == migrated
    assert chain_client.block_number() == height  # migrated once


def test_an_unsigned_registration_by_the_operator_amends_nothing(
    services: Services, contracts: ContractService
) -> None:
    """The operator registers an 'amendment' nobody signs: the signed original stays as
    it was, and the parties' real amendment still goes through (ContractWitness 2)."""
    original, squat, real = "HT-2025-0009", "HT-2025-0009-X", "HT-2025-0009-A1"
    _complete(contracts, original)
    _register(contracts, squat, previous=original)  # the operator's, never signed
    assert contracts.view(original)["amended_by"] is None
    assert "contract.amended" not in _kinds(services, original)
    _complete(contracts, real, previous=original)  # the parties' own amendment
    assert contracts.view(original)["amended_by"] == real
    assert _kinds(services, original)[-1] == "contract.amended"
