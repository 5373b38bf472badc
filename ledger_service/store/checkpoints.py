"""Signed checkpoints of anchored heads, as the service signed them and witnesses cosigned."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Engine, Table, delete, insert, select

from ledger_service.store.db import reading
from ledger_service.store.models import CheckpointRow

__all__ = ["CheckpointStore", "StoredCheckpoint"]

_CHECKPOINTS = cast(Table, CheckpointRow.__table__)


@dataclass(frozen=True)
class StoredCheckpoint:
    """One stored checkpoint: its size and root, the signed note, its cosignature count."""

    tree_size: int
    root: bytes
    note: bytes
    cosigned: int
    signed_at: int
    #: the TSA's DER TimeStampResp over the checkpoint's signed text (RFC 3161), if any
    timestamp: bytes | None = None


def _stored(row: object) -> StoredCheckpoint:
    r = row._mapping  # type: ignore[attr-defined]
    stamp = r["timestamp"]
    return StoredCheckpoint(
        int(r["tree_size"]), bytes(r["root"]), str(r["note"]).encode(), int(r["cosigned"]),
        int(r["signed_at"]), None if stamp is None else bytes(stamp),
    )  # fmt: skip


class CheckpointStore:
    """The ``checkpoints`` table: at most one signed note per tree size."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def put(self, c: StoredCheckpoint) -> None:
        """Insert, or replace the note at ``c.tree_size`` (a later collection, same head)."""
        with self._engine.begin() as conn:
            conn.execute(delete(_CHECKPOINTS).where(_CHECKPOINTS.c.tree_size == c.tree_size))
            conn.execute(
                insert(_CHECKPOINTS).values(
                    tree_size=c.tree_size, root=c.root, note=c.note.decode(),
                    cosigned=c.cosigned, signed_at=c.signed_at, timestamp=c.timestamp,
                )
            )  # fmt: skip

    def at_size(self, size: int) -> StoredCheckpoint | None:
        """The checkpoint signed for tree size ``size``, if any."""
        return self._one(_CHECKPOINTS.c.tree_size == size)

    def latest(self) -> StoredCheckpoint | None:
        """The checkpoint of the largest size."""
        return self._one()

    def latest_cosigned(self, k: int) -> StoredCheckpoint | None:
        """The largest checkpoint that gathered at least ``k`` verified cosignatures."""
        return self._one(_CHECKPOINTS.c.cosigned >= k)

    def _one(self, *conds: object) -> StoredCheckpoint | None:
        with reading(self._engine) as conn:
            row = conn.execute(
                select(_CHECKPOINTS).where(*conds)  # type: ignore[arg-type]
                .order_by(_CHECKPOINTS.c.tree_size.desc()).limit(1)
            ).first()  # fmt: skip
        return None if row is None else _stored(row)
