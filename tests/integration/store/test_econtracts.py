"""ContractStore: the contract witness rows, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from ledger_service.store.db import make_engine, migrate
from ledger_service.store.econtracts import ContractStore, StoredContract, StoredParty

pytestmark = pytest.mark.integration

A, B = "0x" + "aa" * 20, "0x" + "bb" * 20


def _contract(code: str, previous: str | None = None, index: int = 0) -> StoredContract:
    return StoredContract(
        code=code, chain_id_hex="0x" + code.encode().hex().ljust(64, "0"), document_name="合同.pdf",
        document_sha256="11" * 32, terms_sha256="22" * 32, amount_fen=12_345, date="2026-03-01",
        previous_code=previous, tx_hash="0x" + "33" * 32, block_time=1_790_000_000,
        record_index=index,
    )  # fmt: skip


@pytest.fixture
def store(database_url: str) -> ContractStore:
    engine = make_engine(database_url)
    migrate(engine)
    return ContractStore(engine)


def test_add_get_and_parties_in_signing_order(store: ContractStore) -> None:
    assert store.get("HT-1") is None and not store.exists("HT-1") and store.parties("HT-1") == []
    store.add(_contract("HT-1"), [("甲方 Buyer", B), ("乙方 Seller", A)])
    assert store.get("HT-1") == _contract("HT-1") and store.exists("HT-1")
    assert store.parties("HT-1") == [StoredParty("HT-1", 1, "甲方 Buyer", B),
                                     StoredParty("HT-1", 2, "乙方 Seller", A)]  # fmt: skip


def test_a_known_code_or_a_repeated_address_is_refused_whole(store: ContractStore) -> None:
    store.add(_contract("HT-1"), [("a", A), ("b", B)])
    with pytest.raises(IntegrityError):
        store.add(_contract("HT-1"), [("a", A), ("b", B)])
    with pytest.raises(IntegrityError):
        store.add(_contract("HT-2"), [("a", A), ("again", A)])
    assert store.get("HT-2") is None  # one transaction: no contract without its parties


def test_signature_and_completion(store: ContractStore) -> None:
    store.add(_contract("HT-1"), [("a", A), ("b", B)])
    store.set_signature("HT-1", 2, "0x" + "44" * 65, "0x" + "55" * 32, 1_790_000_100, 7)
    first, second = store.parties("HT-1")
    assert first.signature is None
    assert (second.signature, second.signed_at, second.record_index) == ("0x" + "44" * 65,
                                                                         1_790_000_100, 7)  # fmt: skip
    store.set_completed("HT-1", 1_790_000_200, 9)
    done = store.get("HT-1")
    assert done is not None and (done.completed_at, done.completed_record_index) == (
        1_790_000_200, 9)  # fmt: skip


def test_amendment_chain_from_any_member(store: ContractStore) -> None:
    store.add(_contract("HT-1"), [("a", A), ("b", B)])
    store.add(_contract("HT-1a", previous="HT-1", index=3), [("a", A), ("b", B)])
    store.add(_contract("HT-1b", previous="HT-1a", index=5), [("a", A), ("b", B)])
    for code in ("HT-1", "HT-1a", "HT-1b"):
        assert store.amendment_chain(code) == ["HT-1", "HT-1a", "HT-1b"]
