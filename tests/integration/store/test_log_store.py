"""The SQL-backed Merkle log against the pure reference, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import multiprocessing
from pathlib import Path

import pytest

from ledger_service.core import merkle
from ledger_service.core.errors import MalformedInput, NotFound
from ledger_service.core.records import EvidenceRecord
from ledger_service.settings import MAX_BATCH
from ledger_service.store.db import head_revision, make_engine, migrate, schema_version
from ledger_service.store.log import LogStore

pytestmark = pytest.mark.integration


def rec(i: int, subject: str = "tender:T-1") -> EvidenceRecord:
    return EvidenceRecord.create(
        kind="document",
        subject=subject,
        actor="operator:test",
        digests={"sha256": hashlib.sha256(str(i).encode()).hexdigest()},
        metadata={"i": i},
    )


@pytest.fixture
def store(database_url: str) -> LogStore:
    engine = make_engine(database_url)
    migrate(engine)
    return LogStore(engine)


def test_empty_log_has_rfc_empty_root(store: LogStore) -> None:
    head = store.head()
    assert (head.size, head.root) == (0, hashlib.sha256(b"").digest())


def test_appends_match_reference_roots_and_proofs(store: LogStore) -> None:
    leaves: list[bytes] = []
    for batch in ([0], [1, 2], list(range(3, 10)), list(range(10, 37))):
        res = store.append([rec(i) for i in batch])
        assert res.first_index == len(leaves)
        leaves.extend(res.leaf_hashes)
        assert res.head.root == merkle.root_from_leaves(leaves)
    n = len(leaves)
    for size in (1, 2, 3, 8, 9, 17, n):
        assert store.root_at(size) == merkle.root_from_leaves(leaves[:size])
        for index in {0, size // 2, size - 1}:
            path = store.inclusion_proof(index, size)
            assert path == merkle.inclusion_proof_from_leaves(index, size, leaves)
            merkle.verify_inclusion(leaves[index], index, size, path, store.root_at(size))
    for s1, s2 in ((1, n), (3, 9), (8, 16), (9, 37), (36, 37), (37, 37)):
        path = store.consistency_proof(s1, s2)
        assert path == merkle.consistency_proof_from_leaves(s1, s2, leaves)
        merkle.verify_consistency(s1, s2, store.root_at(s1), store.root_at(s2), path)


def test_record_round_trip_and_lookup_by_digest(store: LogStore) -> None:
    store.append([rec(i) for i in range(5)])
    stored = store.record(3)
    assert stored.record == rec(3).__class__.from_canonical_bytes(stored.canonical)
    assert stored.leaf_hash == merkle.leaf_hash(stored.canonical)
    digest = hashlib.sha256(b"3").hexdigest()
    assert store.find_by_sha256(digest) == [3]
    assert store.find_by_sha256("0" * 64) == []


def test_bad_requests_are_refused_and_change_nothing(store: LogStore) -> None:
    store.append([rec(0), rec(1)])
    before = store.head()
    with pytest.raises(MalformedInput, match="at least one record"):
        store.append([])
    with pytest.raises(MalformedInput, match=f"at most {MAX_BATCH} records"):
        store.append([rec(0)] * (MAX_BATCH + 1))
    with pytest.raises(NotFound, match="at most 2"):
        store.inclusion_proof(0, 3)
    with pytest.raises(MalformedInput, match="0 <= index < size"):
        store.inclusion_proof(2, 2)
    with pytest.raises(MalformedInput, match="0 < first <= second"):
        store.consistency_proof(2, 1)
    with pytest.raises(NotFound, match="below the log size 2"):
        store.record(7)
    assert store.head() == before


def test_migrations_are_idempotent_and_keep_data(database_url: str) -> None:
    engine = make_engine(database_url)
    assert schema_version(engine) is None
    migrate(engine, "0001")
    first = LogStore(engine).append([rec(i) for i in range(3)])
    migrate(engine)
    migrate(engine)
    assert schema_version(engine) == head_revision() != "0001"
    store = LogStore(engine)
    assert store.head() == first.head
    assert store.record(2).leaf_hash == first.leaf_hashes[2]


def _appender(url: str, worker: int, batches: int) -> None:
    store = LogStore(make_engine(url))
    for b in range(batches):
        store.append([rec(worker * 1000 + b * 10 + k, f"w{worker}") for k in range(10)])


def test_concurrent_processes_serialize_appends(database_url: str, tmp_path: Path) -> None:
    """Four processes appending to one database produce one consistent log."""
    engine = make_engine(database_url)
    migrate(engine)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_appender, args=(database_url, w, 5)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    store = LogStore(engine)
    head = store.head()
    assert head.size == 4 * 5 * 10
    leaves = [store.leaf_hash(i) for i in range(head.size)]
    assert merkle.root_from_leaves(leaves) == head.root
    assert [merkle.leaf_hash(store.record(i).canonical) for i in range(head.size)] == leaves


def test_models_match_the_migrated_schema(database_url: str) -> None:
    """The ORM models and the Alembic migrations describe the same tables."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from ledger_service.store.models import Base

    engine = make_engine(database_url)
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
