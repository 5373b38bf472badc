"""Anchored tree heads as the service last saw them on chain (a cache of chain events)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Engine, Table, insert, select, update

from ledger_service.store.db import reading
from ledger_service.store.models import AnchorRow

_ANCHORS = cast(Table, AnchorRow.__table__)

PENDING = "pending"
CONFIRMED = "confirmed"
DROPPED = "dropped"


@dataclass(frozen=True)
class AnchorInfo:
    tree_size: int
    root: bytes
    chain_id: int
    contract: str
    tx_hash: str
    block_number: int
    block_hash: str
    block_time: int
    head_index: int
    status: str


def _info(row: object) -> AnchorInfo:
    r = row._mapping  # type: ignore[attr-defined]
    return AnchorInfo(
        tree_size=int(r["tree_size"]),
        root=bytes(r["root"]),
        chain_id=int(r["chain_id"]),
        contract=str(r["contract"]),
        tx_hash=str(r["tx_hash"]),
        block_number=int(r["block_number"]),
        block_hash=str(r["block_hash"]),
        block_time=int(r["block_time"]),
        head_index=int(r["head_index"]),
        status=str(r["status"]),
    )


class AnchorStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def upsert(self, a: AnchorInfo) -> None:
        """Insert or refresh the row for ``a.tx_hash`` (a re-mined tx moves blocks)."""
        values = {
            "tree_size": a.tree_size,
            "root": a.root,
            "chain_id": a.chain_id,
            "contract": a.contract,
            "block_number": a.block_number,
            "block_hash": a.block_hash,
            "block_time": a.block_time,
            "head_index": a.head_index,
            "status": a.status,
        }
        with self._engine.begin() as conn:
            n = conn.execute(
                update(_ANCHORS).where(_ANCHORS.c.tx_hash == a.tx_hash).values(**values)
            ).rowcount
            if n == 0:
                conn.execute(insert(_ANCHORS).values(tx_hash=a.tx_hash, **values))

    def set_status(self, tx_hash: str, status: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(_ANCHORS).where(_ANCHORS.c.tx_hash == tx_hash).values(status=status)
            )

    def live_since(self, block_number: int) -> list[AnchorInfo]:
        """Anchors not known to be dropped, mined at or after ``block_number``."""
        with reading(self._engine) as conn:
            rows = conn.execute(
                select(_ANCHORS).where(
                    _ANCHORS.c.block_number >= block_number, _ANCHORS.c.status != DROPPED
                )
            ).all()
        return [_info(r) for r in rows]

    def latest_block(self) -> int | None:
        with reading(self._engine) as conn:
            rows = conn.execute(
                select(_ANCHORS.c.block_number)
                .where(_ANCHORS.c.status != DROPPED)
                .order_by(_ANCHORS.c.block_number.desc())
                .limit(1)
            ).first()
        return None if rows is None else int(rows[0])

    def latest_confirmed(self) -> AnchorInfo | None:
        return self._one(_ANCHORS.c.status == CONFIRMED)

    def covering(self, index: int) -> AnchorInfo | None:
        """The newest confirmed anchor whose tree contains leaf ``index``."""
        return self._one(_ANCHORS.c.status == CONFIRMED, _ANCHORS.c.tree_size > index)

    def first_covering(self, index: int) -> AnchorInfo | None:
        """The oldest confirmed anchor whose tree contains leaf ``index``."""
        with reading(self._engine) as conn:
            row = conn.execute(
                select(_ANCHORS).where(_ANCHORS.c.status == CONFIRMED, _ANCHORS.c.tree_size > index)
                .order_by(_ANCHORS.c.tree_size.asc()).limit(1)
            ).first()  # fmt: skip
        return None if row is None else _info(row)

    def at_size(self, size: int) -> AnchorInfo | None:
        return self._one(_ANCHORS.c.status == CONFIRMED, _ANCHORS.c.tree_size == size)

    def _one(self, *conds: object) -> AnchorInfo | None:
        with reading(self._engine) as conn:
            row = conn.execute(
                select(_ANCHORS).where(*conds).order_by(_ANCHORS.c.tree_size.desc()).limit(1)  # type: ignore[arg-type]
            ).first()
        return None if row is None else _info(row)

    def all(self) -> list[AnchorInfo]:
        with reading(self._engine) as conn:
            rows = conn.execute(select(_ANCHORS).order_by(_ANCHORS.c.block_number)).all()
        return [_info(r) for r in rows]
