"""Group commit: concurrent deposits share transactions; each caller gets its own part."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ledger_service.core.merkle.tree import root_from_leaves
from ledger_service.core.records import EvidenceRecord
from ledger_service.evidence.group_commit import GroupCommitter
from ledger_service.store.db import make_engine, migrate
from ledger_service.store.log import LogStore

NOW = datetime(2026, 12, 3, tzinfo=UTC)


def rec(i: int) -> EvidenceRecord:
    return EvidenceRecord.create("doc", f"s{i}", "operator:t", {"sha256": f"{i:064x}"}, now=NOW)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LogStore]:
    engine = make_engine(f"sqlite:///{tmp_path}/t.db")
    migrate(engine)
    yield LogStore(engine)
    engine.dispose()


def test_concurrent_deposits_share_commits_and_each_gets_its_own_index(store: LogStore) -> None:
    committer = GroupCommitter(store)
    results: dict[int, Any] = {}
    gate = threading.Barrier(32)

    def one(i: int) -> None:
        gate.wait()
        results[i] = committer.submit([rec(i)]).result(30)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    committer.close()
    assert committer.committed == 32
    assert committer.commits < 32, "no two deposits shared a transaction"
    indexes = sorted(r.first_index for r in results.values())
    assert indexes == list(range(32))
    for i, r in results.items():
        assert r.leaf_hashes == (rec(i).leaf_hash(),)
        assert store.leaf_hash(r.first_index) == rec(i).leaf_hash()
        assert r.head.size >= r.first_index + 1  # the head the answer names holds the record
    head = store.head()
    assert root_from_leaves([store.leaf_hash(i) for i in range(32)]) == head.root


def test_a_failed_batch_fails_its_callers_and_stores_nothing(store: LogStore,
                                                             monkeypatch: Any) -> None:  # fmt: skip
    committer = GroupCommitter(store)
    committer.submit([rec(0)]).result(30)

    def broken(records: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "append", broken)
    with pytest.raises(OSError, match="No space left"):
        committer.submit([rec(1), rec(2)]).result(30)
    monkeypatch.undo()
    assert store.head().size == 1
    assert committer.submit([rec(3)]).result(30).first_index == 1  # the writer lives on
    committer.close()


def test_close_commits_what_is_queued_and_the_committer_can_serve_again(store: LogStore) -> None:
    committer = GroupCommitter(store)
    futures = [committer.submit([rec(i)]) for i in range(50)]
    committer.close()
    assert all(f.done() for f in futures)
    assert store.head().size == 50
    assert committer.submit([rec(99)]).result(30).first_index == 50
    committer.close()


def test_batches_beyond_the_limit_are_refused(store: LogStore) -> None:
    committer = GroupCommitter(store, max_batch=3)
    with pytest.raises(ValueError, match="expected 1..3 records, found 4"):
        committer.submit([rec(i) for i in range(4)])
    with pytest.raises(ValueError, match="found 0"):
        committer.submit([])
    committer.close()
