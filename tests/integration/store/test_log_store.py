"""The SQL-backed Merkle log against the pure reference, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import multiprocessing
import sqlite3
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from ledger_service.core import merkle
from ledger_service.core.errors import MalformedInput, NotFound
from ledger_service.core.records import EvidenceRecord
from ledger_service.settings import MAX_BATCH
from ledger_service.store.db import (
    head_revision,
    make_engine,
    migrate,
    read_only,
    schema_version,
)
from ledger_service.store.log import STORED_LEVEL_STRIDE, LogStore

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


def _stored_rows(n: int) -> int:
    """Rows tree_nodes holds for n leaves: the complete nodes of every stored level."""
    return sum(n >> level for level in range(0, n.bit_length(), STORED_LEVEL_STRIDE))


def test_only_every_fourth_level_is_stored_and_cold_reads_agree(store: LogStore) -> None:
    """600 leaves keep 639 node rows (levels 0, 4, 8), not 1,199; proofs, roots and
    consistency proofs hashed up from them equal the reference, from the appending
    store (warm cache) and from a store opened afresh on the same database."""
    assert STORED_LEVEL_STRIDE == 4
    leaves: list[bytes] = []
    for size in (1, 6, 93, 250, 250):
        leaves.extend(store.append([rec(len(leaves) + i) for i in range(size)]).leaf_hashes)
    n = len(leaves)
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM tree_nodes")).scalar_one()
    assert (n, rows) == (600, _stored_rows(600)) == (600, 600 + 37 + 2)
    cold = LogStore(store.engine)
    for s in (store, cold):
        for size in (1, 255, 256, 257, 511, 512, n):
            assert s.root_at(size) == merkle.root_from_leaves(leaves[:size])
            for index in {0, min(17, size - 1), size // 2, size - 1}:
                assert s.inclusion_proof(index, size) == merkle.inclusion_proof_from_leaves(
                    index, size, leaves
                )
        for s1, s2 in ((1, n), (255, 257), (256, 600), (300, 513)):
            assert s.consistency_proof(s1, s2) == merkle.consistency_proof_from_leaves(
                s1, s2, leaves
            )
        assert [s.leaf_hash(i) for i in (0, 255, 599)] == [leaves[0], leaves[255], leaves[599]]


def test_a_failed_append_leaves_no_trace_in_the_log_or_its_cache(store: LogStore) -> None:
    """An append that fails in the database stores nothing and caches nothing: the
    upper node it would have completed (leaves 0..255) is hashed again later."""
    leaves = list(store.append([rec(i) for i in range(250)]).leaf_hashes)
    before = store.head()
    with store.engine.begin() as conn:  # a row in the way of leaf 250
        conn.execute(
            text(
                "INSERT INTO records (idx, kind, subject, actor, submitted_at, canonical) "
                "VALUES (250, 'x', 'x', 'x', 'x', :c)"
            ),
            {"c": b"x"},
        )
    with pytest.raises(
        (sqlite3.IntegrityError, psycopg.errors.UniqueViolation),
        match="UNIQUE constraint failed: records.idx|duplicate key value",
    ):
        store.append([rec(1000 + i) for i in range(10)])
    assert store.head() == before
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM records WHERE idx = 250"))
    leaves.extend(store.append([rec(2000 + i) for i in range(10)]).leaf_hashes)
    assert store.head().root == merkle.root_from_leaves(leaves)
    assert store.root_at(260) == merkle.root_from_leaves(leaves)
    assert store.inclusion_proof(257, 260) == merkle.inclusion_proof_from_leaves(257, 260, leaves)


def test_sqlite_reads_neither_take_nor_wait_for_the_write_lock(tmp_path: Path) -> None:
    """A read transaction left open (a slow proof, a head poll) does not stall an
    append, and keeps reading its own snapshot; with BEGIN IMMEDIATE for reads the
    append would wait out the 30 s busy timeout and fail with 'database is locked'."""
    engine = make_engine(f"sqlite:///{tmp_path / 'log.db'}")
    migrate(engine)
    store = LogStore(engine)
    store.append([rec(0)])
    with read_only(engine.connect()) as reader:
        assert reader.exec_driver_sql("SELECT size FROM log_state").scalar_one() == 1
        started = time.monotonic()
        store.append([rec(1)])
        assert time.monotonic() - started < 5
        assert reader.exec_driver_sql("SELECT size FROM log_state").scalar_one() == 1
    assert store.head().size == 2
