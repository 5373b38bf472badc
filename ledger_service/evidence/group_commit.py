"""Group commit: concurrent single-record deposits share one durable transaction.

Every append is a transaction the database makes durable before it answers
(SQLite ``synchronous=FULL`` in WAL mode: one fsync of the WAL per commit; PostgreSQL:
one WAL flush). One request, one commit caps deposits at the disk's fsync rate, and
a synchronous append inside an async handler stalls every other request meanwhile.

A :class:`GroupCommitter` owns one writer thread. Callers hand it records and get a
future; the writer takes everything waiting (up to ``MAX_BATCH`` records), appends it
in one :meth:`LogStore.append` and answers each caller with its own slice of the
result. Nothing is acknowledged before the batch holding it is committed, so a crash
loses only unacknowledged requests, and a failed batch fails every caller in it (none
of its records is stored: appends are atomic).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from ledger_service.core.records import EvidenceRecord
from ledger_service.settings import MAX_BATCH
from ledger_service.store.log import AppendResult, LogStore

__all__ = ["GroupCommitter"]

log = logging.getLogger("chainwitness.deposit")


@dataclass
class _Pending:
    records: Sequence[EvidenceRecord]
    future: Future[AppendResult]


class GroupCommitter:
    """Appends records to ``store`` in shared transactions from one writer thread."""

    def __init__(self, store: LogStore, max_batch: int = MAX_BATCH) -> None:
        self._store = store
        self._max = max_batch
        self._queue: deque[_Pending] = deque()
        self._wake = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None
        #: committed transactions and the records they held (for metrics and tests)
        self.commits = 0
        self.committed = 0

    def submit(self, records: Sequence[EvidenceRecord]) -> Future[AppendResult]:
        """Queue ``records`` (appended together, consecutively); the future answers with
        their part of the committed batch."""
        if not 1 <= len(records) <= self._max:
            raise ValueError(f"expected 1..{self._max} records, found {len(records)}")
        future: Future[AppendResult] = Future()
        with self._wake:
            if self._thread is None or not self._thread.is_alive():
                # first use, or again after close() (an app served more than once)
                self._closed = False
                self._thread = threading.Thread(target=self._run, name="group-commit",
                                                daemon=True)  # fmt: skip
                self._thread.start()
            self._queue.append(_Pending(records, future))
            self._wake.notify()
        return future

    async def append(self, records: Sequence[EvidenceRecord]) -> AppendResult:
        """``submit`` for async callers: awaits the commit without blocking the loop."""
        return await asyncio.wrap_future(self.submit(records))

    def close(self, timeout: float = 30.0) -> None:
        """Commit what is queued, then stop the writer."""
        with self._wake:
            self._closed = True
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _take(self) -> list[_Pending] | None:
        with self._wake:
            while not self._queue and not self._closed:
                self._wake.wait()
            if not self._queue:
                self._thread = None  # under the lock: the next submit starts a writer
                return None
            batch, size = [], 0
            while self._queue and size + len(self._queue[0].records) <= self._max:
                item = self._queue.popleft()
                batch.append(item)
                size += len(item.records)
            return batch

    def _run(self) -> None:
        while (batch := self._take()) is not None:
            records = [r for item in batch for r in item.records]
            try:
                result = self._store.append(records)
            except BaseException as exc:  # every caller of the batch learns why
                log.warning("deposit batch of %d records failed: %s", len(records), exc)
                for item in batch:
                    item.future.set_exception(exc)
                continue
            self.commits += 1
            self.committed += len(records)
            offset = 0
            for item in batch:
                n = len(item.records)
                part = AppendResult(
                    result.first_index + offset,
                    result.leaf_hashes[offset : offset + n],
                    result.head,
                )
                offset += n
                item.future.set_result(part)
