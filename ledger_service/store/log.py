"""The durable RFC 9162 Merkle log on SQLAlchemy.

``tree_nodes`` holds the perfect subtree hashes of every level that is a multiple of
:data:`STORED_LEVEL_STRIDE` (level 0, the leaf hashes, included), each written once
when the append that completes it commits. A node of any other level is the hash
of at most ``2**(STRIDE - 1)`` stored nodes below it and is recomputed when a proof
needs it; that keeps about 1.07 rows per leaf instead of 2. Any root, inclusion
proof or consistency proof is one indexed query plus O(log n) hashing; stored nodes
of the upper levels are immutable, so a bounded in-process cache answers them.

Appends take the database write lock (``BEGIN IMMEDIATE`` on SQLite, ``FOR UPDATE``
on the state row in PostgreSQL), so several service processes can share one
database. An append returns only after its transaction has committed (SQLite:
WAL with ``synchronous=FULL``, see ``store.db``; PostgreSQL: ``synchronous_commit``
as the server has it, on by default).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Engine, Table, func, select

from ledger_service.core import merkle
from ledger_service.core.errors import MalformedInput, NotFound
from ledger_service.core.proofs import TreeHead
from ledger_service.core.records import EvidenceRecord
from ledger_service.settings import MAX_BATCH
from ledger_service.store.db import reading
from ledger_service.store.models import LogState, Record

_RECORDS = cast(Table, Record.__table__)
_STATE = cast(Table, LogState.__table__)
#: Bound parameters per node query; keeps well under SQLite's variable limit.
_FETCH_CHUNK = 400
#: Levels 0, STRIDE, 2*STRIDE, ... are stored; the others are recomputed on read.
STORED_LEVEL_STRIDE = 4
#: Stored nodes at this level and above are kept in memory once read or written.
CACHE_MIN_LEVEL = 2 * STORED_LEVEL_STRIDE
#: At most this many cached nodes (32 bytes each); the cache is emptied when full.
CACHE_MAX_NODES = 1 << 18
#: Most leaves a log can hold: ``node_key`` keeps the last leaf below 2**57.
MAX_LEAVES = 1 << 57

T = TypeVar("T")
NodeGetter = Callable[[int, int], bytes]


@dataclass(frozen=True)
class AppendResult:
    first_index: int
    leaf_hashes: tuple[bytes, ...]
    head: TreeHead


@dataclass(frozen=True)
class StoredRecord:
    index: int
    canonical: bytes
    leaf_hash: bytes

    @property
    def record(self) -> EvidenceRecord:
        return EvidenceRecord.from_canonical_bytes(self.canonical)


class LogStore:
    """Append-only Merkle log persisted through ``engine`` (schema from the migrations)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        # Frontier of the newest size this process saw; refetched when another
        # process appended in between.
        self._frontier_cache: tuple[int, list[bytes]] | None = None
        self._lock = threading.Lock()
        # Stored nodes of levels >= CACHE_MIN_LEVEL, by key: they never change once
        # committed, so the cache is never stale (only emptied when full).
        self._upper: dict[int, bytes] = {}
        #: A log size this process saw committed (sizes never shrink).
        self._known_size = 0
        # Answers about committed sizes never change in an append-only log: the root at
        # a size, a leaf's inclusion path to a size, the record at an index. Bounded
        # LRU caches (thread-safe) spare the queries of repeated proofs.
        self._root_at = functools.lru_cache(maxsize=4096)(self._root_at_uncached)
        self._inclusion = functools.lru_cache(maxsize=16_384)(self._inclusion_uncached)
        self._record = functools.lru_cache(maxsize=16_384)(self._record_uncached)
        mark = self._mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        columns = "idx, kind, subject, actor, sha256, sha256_key, submitted_at, canonical"
        self._insert_records = f"INSERT INTO records ({columns}) VALUES ({', '.join([mark] * 8)})"
        self._copy_records = f"COPY records ({columns}) FROM STDIN"
        self._insert_nodes = f"INSERT INTO tree_nodes (key, hash) VALUES ({mark}, {mark})"
        self._copy_nodes = "COPY tree_nodes (key, hash) FROM STDIN"
        lock = " FOR UPDATE" if self._postgres else ""
        self._select_size = f"SELECT size FROM log_state WHERE id = 1{lock}"
        self._update_state = f"UPDATE log_state SET size = {mark}, root = {mark} WHERE id = 1"

    @property
    def engine(self) -> Engine:
        return self._engine

    # -- writing -----------------------------------------------------------------

    def append(self, records: Sequence[EvidenceRecord]) -> AppendResult:
        """Append ``records`` as consecutive leaves, atomically.

        Raises MalformedInput for an empty batch or one over MAX_BATCH; nothing is
        stored then. Records are validated on construction, so a batch either goes
        in whole or not at all.
        """
        if not records:
            raise MalformedInput("expected at least one record, found an empty batch")
        if len(records) > MAX_BATCH:
            raise MalformedInput(
                f"expected at most {MAX_BATCH} records per batch, found {len(records)}"
            )
        canon = [r.canonical_bytes() for r in records]
        leaf_hashes = [merkle.leaf_hash(c) for c in canon]
        with self._lock, self._engine.begin() as conn:
            size = int(conn.exec_driver_sql(self._select_size).scalar_one())
            frontier = self._frontier(conn, size)
            new_nodes, new_frontier = merkle.append_leaves(size, frontier, leaf_hashes)
            # Rows are generated as the driver consumes them: building them all first
            # kept ~20,000 tuples per batch alive, and the garbage collector's passes
            # over them cost as much as the inserts (a profile of the bench).
            record_rows = (
                (size + i, r.kind, r.subject, r.actor, (d := r.digests.get("sha256")),
                 None if d is None else digest_key(d), r.submitted_at, c)
                for i, (r, c) in enumerate(zip(records, canon, strict=True))
            )  # fmt: skip
            stride = STORED_LEVEL_STRIDE
            node_rows = ((node_key(lv, ix), h) for lv, ix, h in new_nodes if lv % stride == 0)
            # Raw driver calls: SQLAlchemy's per-row parameter processing would cost
            # more than the inserts themselves at bulk-ingest rates.
            if self._postgres:
                _copy(conn, self._copy_records, record_rows)
                _copy(conn, self._copy_nodes, node_rows)
            else:
                cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
                cursor.executemany(self._insert_records, record_rows)
                cursor.executemany(self._insert_nodes, node_rows)
                cursor.close()
            new_size = size + len(records)
            root = merkle.root_from_frontier(new_frontier)
            conn.exec_driver_sql(self._update_state, (new_size, root))
        # Only now committed: the new upper nodes may enter the cache.
        self._remember(
            (node_key(lv, ix), h) for lv, ix, h in new_nodes
            if lv >= CACHE_MIN_LEVEL and lv % STORED_LEVEL_STRIDE == 0
        )  # fmt: skip
        self._frontier_cache = (new_size, new_frontier)
        self._known_size = max(self._known_size, new_size)
        return AppendResult(size, tuple(leaf_hashes), TreeHead(new_size, root))

    def _remember(self, nodes: Iterable[tuple[int, bytes]]) -> None:
        upper = self._upper
        for key, h in nodes:
            if len(upper) >= CACHE_MAX_NODES:
                upper.clear()
            upper[key] = h

    def _frontier(self, conn: Connection, size: int) -> list[bytes]:
        cached = self._frontier_cache
        if cached is not None and cached[0] == size:
            return cached[1]
        coords = merkle.perfect_subtrees(0, size)
        nodes = self._fetch(conn, coords)
        return [nodes[c] for c in coords]

    # -- reading -----------------------------------------------------------------

    def head(self) -> TreeHead:
        """The current size and root of the log."""
        with reading(self._engine) as conn:
            row = conn.execute(select(_STATE.c.size, _STATE.c.root).where(_STATE.c.id == 1)).one()
        return TreeHead(int(row.size), bytes(row.root))

    def root_at(self, size: int) -> bytes:
        """Root of the tree at ``size``; raises NotFound beyond the current size."""
        return self._root_at(size)

    def _root_at_uncached(self, size: int) -> bytes:
        return self._compute(
            size, merkle.perfect_subtrees(0, size), lambda get: merkle.root(size, get)
        )

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size``.

        Requires 0 <= index < size <= current size (MalformedInput / NotFound otherwise).
        """
        if not 0 <= index < size:
            raise MalformedInput(f"expected 0 <= index < size, found index {index}, size {size}")
        return list(self._inclusion(index, size))

    def _inclusion_uncached(self, index: int, size: int) -> tuple[bytes, ...]:
        ranges = merkle.inclusion_ranges(index, size)
        return tuple(self._compute(
            size, merkle.needed_nodes(ranges), lambda get: merkle.inclusion_proof(index, size, get)
        ))  # fmt: skip

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        """RFC 9162 consistency proof between sizes; requires 0 < size1 <= size2 <= current."""
        if not 0 < size1 <= size2:
            raise MalformedInput(
                f"expected 0 < first <= second, found first {size1}, second {size2}"
            )
        ranges = merkle.consistency_ranges(size1, size2)
        return self._compute(
            size2,
            merkle.needed_nodes(ranges),
            lambda get: merkle.consistency_proof(size1, size2, get),
        )

    def size_proof(self, size: int) -> merkle.SizeProof:
        """Evidence that the root at ``size`` holds exactly ``size`` leaves (EvidenceLog 2).

        Requires 1 <= size <= current size (MalformedInput / NotFound otherwise).
        """
        if size < 1:
            raise MalformedInput(f"expected a size of at least 1, found {size}")
        nodes, leaves = merkle.size_proof_nodes(size)
        data = {i: self.record(i).canonical for i in leaves}
        return self._compute(
            size, nodes, lambda get: merkle.size_proof(size, get, data.__getitem__)
        )

    def leaf_hash(self, index: int) -> bytes:
        with reading(self._engine) as conn:
            nodes = self._fetch(conn, [(0, index)])
        if (0, index) not in nodes:
            raise NotFound(f"no record at index {index}")
        return nodes[(0, index)]

    def record(self, index: int) -> StoredRecord:
        """The stored record at ``index``; raises NotFound if the log is shorter."""
        if not 0 <= index < MAX_LEAVES:  # beyond any log, and beyond what SQL can compare
            size = self.head().size
            raise NotFound(f"expected a record index below the log size {size}, found {index}")
        return self._record(index)

    def _record_uncached(self, index: int) -> StoredRecord:
        with reading(self._engine) as conn:
            row = conn.execute(select(_RECORDS.c.canonical).where(_RECORDS.c.idx == index)).first()
            nodes = self._fetch(conn, [(0, index)])
        if row is None:
            size = self.head().size
            raise NotFound(f"expected a record index below the log size {size}, found {index}")
        return StoredRecord(index, bytes(row.canonical), nodes[(0, index)])

    def canonical_prefix(self, size: int) -> list[bytes]:
        """The canonical bytes of leaves ``0 .. size-1`` in one query (the GM profile's SM3
        tree is built over them, ``core/merkle/sm3.py``). Raises NotFound past the head."""
        with reading(self._engine) as conn:
            rows = conn.execute(
                select(_RECORDS.c.canonical).where(_RECORDS.c.idx < size).order_by(_RECORDS.c.idx)
            ).all()
        if len(rows) != size:
            raise NotFound(f"expected {size} records in the log, found {len(rows)}")
        return [bytes(r.canonical) for r in rows]

    def records_for_subject(self, subject: str, limit: int = 100_000) -> list[StoredRecord]:
        """Records about ``subject`` (e.g. ``tender:GC-2026-0417``), in log order."""
        with reading(self._engine) as conn:
            rows = conn.execute(
                select(_RECORDS.c.idx, _RECORDS.c.canonical)
                .where(_RECORDS.c.subject == subject)
                .order_by(_RECORDS.c.idx)
                .limit(limit)
            ).all()
            leaves = self._fetch(conn, [(0, int(r.idx)) for r in rows])
        return [StoredRecord(int(r.idx), bytes(r.canonical), leaves[(0, int(r.idx))]) for r in rows]

    def search(
        self, *, subject: str | None = None, sha256: str | None = None, actor: str | None = None,
        since: str | None = None, until: str | None = None, limit: int = 1000,
        after: int | None = None,
    ) -> list[StoredRecord]:  # fmt: skip
        """Records matching every given filter, in log order (``since``/``until``: RFC 3339
        UTC prefixes compared with ``submitted_at``; ``actor`` matches a substring);
        ``after`` (a leaf index, the cursor of the previous page) starts after it."""
        q = self._matching(select(_RECORDS.c.idx, _RECORDS.c.canonical), subject, sha256,
                           actor, since, until)  # fmt: skip
        if after is not None:
            q = q.where(_RECORDS.c.idx > after)
        with reading(self._engine) as conn:
            rows = conn.execute(q.order_by(_RECORDS.c.idx).limit(limit)).all()
            leaves = self._fetch(conn, [(0, int(r.idx)) for r in rows])
        return [StoredRecord(int(r.idx), bytes(r.canonical), leaves[(0, int(r.idx))]) for r in rows]

    def count(
        self, *, subject: str | None = None, sha256: str | None = None, actor: str | None = None,
        since: str | None = None, until: str | None = None,
    ) -> int:  # fmt: skip
        """How many records :meth:`search` with these filters finds in all (every page)."""
        q = self._matching(select(func.count()).select_from(_RECORDS), subject, sha256, actor,
                           since, until)  # fmt: skip
        with reading(self._engine) as conn:
            return int(conn.execute(q).scalar_one())

    @staticmethod
    def _matching(
        q: Any, subject: str | None, sha256: str | None, actor: str | None, since: str | None,
        until: str | None,
    ) -> Any:  # fmt: skip
        if subject is not None:
            q = q.where(_RECORDS.c.subject == subject)
        if sha256 is not None:
            q = q.where(_RECORDS.c.sha256_key == digest_key(sha256), _RECORDS.c.sha256 == sha256)
        if actor is not None:
            q = q.where(_RECORDS.c.actor.contains(actor, autoescape=True))
        if since is not None:
            q = q.where(_RECORDS.c.submitted_at >= since)
        if until is not None:
            q = q.where(_RECORDS.c.submitted_at < until)
        return q

    def find_by_sha256(self, digest_hex: str, limit: int = 100) -> list[int]:
        """Leaf indices of records whose ``digests.sha256`` equals ``digest_hex``, oldest first."""
        with reading(self._engine) as conn:
            rows = conn.execute(
                select(_RECORDS.c.idx)
                .where(
                    _RECORDS.c.sha256_key == digest_key(digest_hex),
                    _RECORDS.c.sha256 == digest_hex,
                )
                .order_by(_RECORDS.c.idx)
                .limit(limit)
            ).all()
        return [int(r.idx) for r in rows]

    def _compute(
        self, size: int, coords: Iterable[tuple[int, int]], fn: Callable[[NodeGetter], T]
    ) -> T:
        """Fetch ``coords`` for a tree of ``size`` in one round trip and apply ``fn``."""
        with reading(self._engine) as conn:
            # The log only grows: a size this process has seen needs no second look.
            if size > self._known_size:
                current = int(
                    conn.exec_driver_sql("SELECT size FROM log_state WHERE id = 1").scalar_one()
                )
                if size > current:
                    raise NotFound(
                        f"expected a tree size at most {current} (the log size), found {size}"
                    )
                self._known_size = max(self._known_size, current)
            nodes = self._fetch(conn, coords)

        def get(level: int, idx: int) -> bytes:
            return nodes[(level, idx)]

        return fn(get)

    def _fetch(
        self, conn: Connection, coords: Iterable[tuple[int, int]]
    ) -> dict[tuple[int, int], bytes]:
        """Hashes of the perfect subtrees ``coords``; each must be complete in the log.

        A node of a level that is not stored is hashed from the stored nodes that
        tile it, ``2**(level % STRIDE)`` of them at the stored level below.
        """
        stride = STORED_LEVEL_STRIDE
        upper = self._upper
        # every coord -> (stored level, first index there, how many)
        plan = {}
        for level, idx in coords:
            k = level % stride
            plan[(level, idx)] = (level - k, idx << k, 1 << k)
        want = {
            node_key(base, i): (base, i)
            for base, first, count in plan.values()
            for i in range(first, first + count)
        }
        found: dict[tuple[int, int], bytes] = {}
        missing = []
        for key, coord in want.items():
            h = upper.get(key)
            if h is None:
                missing.append(key)
            else:
                found[coord] = h
        fetched = []
        # The driver's own cursor: these rows never change once committed, so the
        # chunks need no common snapshot, and SQLAlchemy's row objects cost more
        # than the query at proof rates.
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            for i in range(0, len(missing), _FETCH_CHUNK):
                chunk = missing[i : i + _FETCH_CHUNK]
                marks = ", ".join([self._mark] * len(chunk))
                cursor.execute(
                    f"SELECT key, hash FROM tree_nodes WHERE key IN ({marks})", tuple(chunk)
                )
                for key, h in cursor.fetchall():
                    coord = want[int(key)]
                    found[coord] = h = bytes(h)
                    if coord[0] >= CACHE_MIN_LEVEL:
                        fetched.append((int(key), h))
        finally:
            cursor.close()
        self._remember(fetched)
        out: dict[tuple[int, int], bytes] = {}
        for coord, (base, first, count) in plan.items():
            if count == 1:
                if (base, first) in found:
                    out[coord] = found[(base, first)]
                continue
            hashes = [found.get((base, i)) for i in range(first, first + count)]
            if all(h is not None for h in hashes):
                out[coord] = merkle.perfect_subtree_hash(cast(list[bytes], hashes))
        return out


def digest_key(digest_hex: str) -> int:
    """The ``records.sha256_key`` of a hex digest: its first 8 bytes, signed big-endian."""
    return int.from_bytes(bytes.fromhex(digest_hex[:16]), "big", signed=True)


def node_key(level: int, idx: int) -> int:
    """The ``tree_nodes`` key of perfect subtree (level, idx): ``(last_leaf << 6) | level``.

    Keys increase in the order appends complete the nodes; requires level < 64 and
    last_leaf < 2**57 (the key is a signed 64-bit integer).
    """
    return ((((idx + 1) << level) - 1) << 6) | level


def _copy(conn: Connection, statement: str, rows: Iterable[tuple[object, ...]]) -> None:
    """PostgreSQL ``COPY ... FROM STDIN`` of ``rows`` inside the current transaction."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
