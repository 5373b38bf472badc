"""The durable RFC 9162 Merkle log on SQLAlchemy.

Every perfect subtree hash is stored once (``tree_nodes``), so any root, inclusion
proof or consistency proof is one indexed query plus O(log n) hashing. Appends take
the database write lock (``BEGIN IMMEDIATE`` on SQLite, ``FOR UPDATE`` on the state
row in PostgreSQL), so several service processes can share one database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Connection, Engine, insert, select, tuple_, update

from ledger_service.core import merkle
from ledger_service.core.errors import MalformedInput, NotFound
from ledger_service.core.records import EvidenceRecord
from ledger_service.settings import MAX_BATCH
from ledger_service.store.models import LogState, Record, TreeNode

_NODES = TreeNode.__table__
_RECORDS = Record.__table__
_STATE = LogState.__table__
#: Bound parameters per node query; keeps well under SQLite's variable limit.
_FETCH_CHUNK = 400

T = TypeVar("T")
NodeGetter = Callable[[int, int], bytes]


@dataclass(frozen=True)
class TreeHead:
    size: int
    root: bytes


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
            stmt = select(_STATE.c.size).where(_STATE.c.id == 1)
            if self._postgres:
                stmt = stmt.with_for_update()
            size = int(conn.execute(stmt).scalar_one())
            frontier = self._frontier(conn, size)
            new_nodes, new_frontier = merkle.append_leaves(size, frontier, leaf_hashes)
            conn.execute(
                insert(_RECORDS),
                [
                    {
                        "idx": size + i,
                        "kind": r.kind,
                        "subject": r.subject,
                        "actor": r.actor,
                        "sha256": r.digests.get("sha256"),
                        "submitted_at": r.submitted_at,
                        "canonical": c,
                    }
                    for i, (r, c) in enumerate(zip(records, canon, strict=True))
                ],
            )
            conn.execute(
                insert(_NODES), [{"level": lv, "idx": ix, "hash": h} for lv, ix, h in new_nodes]
            )
            new_size = size + len(records)
            root = merkle.root_from_frontier(new_frontier)
            conn.execute(update(_STATE).where(_STATE.c.id == 1).values(size=new_size, root=root))
        self._frontier_cache = (new_size, new_frontier)
        return AppendResult(size, tuple(leaf_hashes), TreeHead(new_size, root))

    def _frontier(self, conn: Connection, size: int) -> list[bytes]:
        cached = self._frontier_cache
        if cached is not None and cached[0] == size:
            return cached[1]
        coords = merkle.perfect_subtrees(0, size)
        nodes = _fetch(conn, coords)
        return [nodes[c] for c in coords]

    # -- reading -----------------------------------------------------------------

    def head(self) -> TreeHead:
        """The current size and root of the log."""
        with self._engine.connect() as conn:
            row = conn.execute(select(_STATE.c.size, _STATE.c.root).where(_STATE.c.id == 1)).one()
        return TreeHead(int(row.size), bytes(row.root))

    def root_at(self, size: int) -> bytes:
        """Root of the tree at ``size``; raises NotFound beyond the current size."""
        self._check_size(size)
        return self._compute(merkle.perfect_subtrees(0, size), lambda get: merkle.root(size, get))

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size``.

        Requires 0 <= index < size <= current size (MalformedInput / NotFound otherwise).
        """
        if not 0 <= index < size:
            raise MalformedInput(f"expected 0 <= index < size, found index {index}, size {size}")
        self._check_size(size)
        ranges = merkle.inclusion_ranges(index, size)
        return self._compute(
            merkle.needed_nodes(ranges), lambda get: merkle.inclusion_proof(index, size, get)
        )

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        """RFC 9162 consistency proof between sizes; requires 0 < size1 <= size2 <= current."""
        if not 0 < size1 <= size2:
            raise MalformedInput(
                f"expected 0 < first <= second, found first {size1}, second {size2}"
            )
        self._check_size(size2)
        ranges = merkle.consistency_ranges(size1, size2)
        return self._compute(
            merkle.needed_nodes(ranges), lambda get: merkle.consistency_proof(size1, size2, get)
        )

    def leaf_hash(self, index: int) -> bytes:
        with self._engine.connect() as conn:
            nodes = _fetch(conn, [(0, index)])
        if (0, index) not in nodes:
            raise NotFound(f"no record at index {index}")
        return nodes[(0, index)]

    def record(self, index: int) -> StoredRecord:
        """The stored record at ``index``; raises NotFound if the log is shorter."""
        with self._engine.connect() as conn:
            row = conn.execute(select(_RECORDS.c.canonical).where(_RECORDS.c.idx == index)).first()
            nodes = _fetch(conn, [(0, index)])
        if row is None:
            size = self.head().size
            raise NotFound(f"expected a record index below the log size {size}, found {index}")
        return StoredRecord(index, bytes(row.canonical), nodes[(0, index)])

    def find_by_sha256(self, digest_hex: str, limit: int = 100) -> list[int]:
        """Leaf indices of records whose ``digests.sha256`` equals ``digest_hex``, oldest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(_RECORDS.c.idx)
                .where(_RECORDS.c.sha256 == digest_hex)
                .order_by(_RECORDS.c.idx)
                .limit(limit)
            ).all()
        return [int(r.idx) for r in rows]

    def _check_size(self, size: int) -> None:
        current = self.head().size
        if size > current:
            raise NotFound(f"expected a tree size at most {current} (the log size), found {size}")

    def _compute(self, coords: Iterable[tuple[int, int]], fn: Callable[[NodeGetter], T]) -> T:
        with self._engine.connect() as conn:
            nodes = _fetch(conn, coords)

        def get(level: int, idx: int) -> bytes:
            return nodes[(level, idx)]

        return fn(get)


def _fetch(conn: Connection, coords: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    wanted = list(set(coords))
    out: dict[tuple[int, int], bytes] = {}
    for i in range(0, len(wanted), _FETCH_CHUNK):
        chunk = wanted[i : i + _FETCH_CHUNK]
        rows = conn.execute(
            select(_NODES.c.level, _NODES.c.idx, _NODES.c.hash).where(
                tuple_(_NODES.c.level, _NODES.c.idx).in_(chunk)
            )
        )
        for lv, ix, h in rows:
            out[(int(lv), int(ix))] = bytes(h)
    return out
