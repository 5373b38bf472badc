"""Reads never take or wait for SQLite's write lock.

Before the fix token checks, anchor, checkpoint and tender reads began ``BEGIN
IMMEDIATE``: every authenticated request queued behind the writer (a deposit's group
commit, the anchorer, another worker process) and, with the lock held, waited out
``busy_timeout`` (30 s). Here another connection holds the write lock while each read
runs; each must answer at once.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ledger_service.store.anchors import AnchorStore
from ledger_service.store.checkpoints import CheckpointStore
from ledger_service.store.db import make_engine, migrate, one_snapshot
from ledger_service.store.log import LogStore
from ledger_service.store.tenders import TenderStore
from ledger_service.store.tokens import authenticate, create_token

pytestmark = pytest.mark.integration

#: far below busy_timeout (30 s): a read that waits for the lock fails this bound
BOUND_S = 5.0


def _finishes(fn: Callable[[], Any]) -> Any:
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(fn())
        except Exception as exc:  # the test asserts below; surface it
            out.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(BOUND_S)
    assert not t.is_alive(), f"{fn} waited for the write lock"
    if isinstance(out[0], Exception):
        raise out[0]
    return out[0]


def test_reads_answer_while_another_connection_holds_the_write_lock(tmp_path: Path) -> None:
    db = tmp_path / "cw.sqlite"
    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    info, secret = create_token(engine, "op", "operator")
    log = LogStore(engine)
    anchors, checkpoints, tenders = AnchorStore(engine), CheckpointStore(engine), TenderStore(engine)
    writer = sqlite3.connect(db, isolation_level=None, timeout=30)
    writer.execute("BEGIN IMMEDIATE")  # another process appending, say
    try:
        assert _finishes(lambda: authenticate(engine, secret)).id == info.id
        assert _finishes(anchors.latest_confirmed) is None
        assert _finishes(lambda: anchors.covering(0)) is None
        assert _finishes(checkpoints.latest) is None
        assert _finishes(tenders.codes) == []
        assert _finishes(lambda: log.head().size) == 0

        def in_one_snapshot() -> int:
            with one_snapshot(engine):
                authenticate(engine, secret)
                return log.head().size

        assert _finishes(in_one_snapshot) == 0
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        engine.dispose()
