"""Tender state in the database: tenders, custodians, key approvals, bidders, bids, steps.

All SQL of the tender domain lives here; :mod:`ledger_service.tenders.service` says
what happens and this module stores it. Rows come back as frozen dataclasses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Engine, Table, func, insert, select, update

from ledger_service.core.errors import Conflict, NotFound
from ledger_service.store.db import reading
from ledger_service.store.models import (
    TenderBidderRow,
    TenderBidRow,
    TenderCustodianRow,
    TenderDealingRow,
    TenderEventRow,
    TenderRow,
)

_T = cast(Table, TenderRow.__table__)
_C = cast(Table, TenderCustodianRow.__table__)
_D = cast(Table, TenderDealingRow.__table__)
_B = cast(Table, TenderBidderRow.__table__)
_BIDS = cast(Table, TenderBidRow.__table__)
_EV = cast(Table, TenderEventRow.__table__)

ACTIVE, REPLACED, WITHDRAWN = "active", "replaced", "withdrawn"


@dataclass(frozen=True)
class StoredTender:
    code: str
    chain_id_hex: str
    title: str
    state: str
    bid_deadline: int
    opening_time: int
    threshold: int
    group_key: str | None
    opening_record: str | None
    created_at: str


@dataclass(frozen=True)
class StoredMember:
    """A custodian (``index`` 1..n) or a bidder (``index`` 0) as registered."""

    index: int
    name: str
    address: str
    public_key: bytes


@dataclass(frozen=True)
class StoredBid:
    bidder: str
    nonce: int
    ciphertext_sha256: str
    plaintext_commitment: str
    envelope_digest: str
    size: int
    status: str
    tx_hash: str
    block_time: int
    record_index: int


@dataclass(frozen=True)
class StoredStep:
    seq: int
    event: str
    state_after: str
    chain_time: int
    record_index: int


def _tender(row: Any) -> StoredTender:
    return StoredTender(
        row.code, row.chain_id_hex, row.title, row.state, int(row.bid_deadline),
        int(row.opening_time), int(row.threshold), row.group_key, row.opening_record,
        row.created_at,
    )  # fmt: skip


def _bid(row: Any) -> StoredBid:
    return StoredBid(
        row.bidder, int(row.nonce), row.ciphertext_sha256, row.plaintext_commitment,
        row.envelope_digest, int(row.size), row.status, row.tx_hash, int(row.block_time),
        int(row.record_index),
    )  # fmt: skip


class TenderStore:
    """Tender rows over one SQLAlchemy engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- tenders -------------------------------------------------------------

    def tender(self, code: str) -> StoredTender:
        """Raises NotFound for an unknown code."""
        with reading(self.engine) as conn:
            row = conn.execute(select(_T).where(_T.c.code == code)).first()
        if row is None:
            raise NotFound(f"expected a tender with code {code!r}, found none")
        return _tender(row)

    def by_chain_id(self, chain_id_hex: str) -> StoredTender:
        """The tender whose on-chain id is ``chain_id_hex`` (0x + 64 hex). Raises NotFound."""
        with reading(self.engine) as conn:
            row = conn.execute(
                select(_T).where(func.lower(_T.c.chain_id_hex) == chain_id_hex.lower())
            ).first()
        if row is None:
            raise NotFound(f"expected a tender with on-chain id {chain_id_hex}, found none")
        return _tender(row)

    def in_states(self, states: Sequence[str]) -> list[StoredTender]:
        with reading(self.engine) as conn:
            rows = conn.execute(select(_T).where(_T.c.state.in_(list(states)))).all()
        return [_tender(r) for r in rows]

    def page(
        self, *, state: str | None = None, after: str | None = None, limit: int = 100
    ) -> tuple[list[StoredTender], int]:
        """Tenders by code (after the code ``after``, at most ``limit``), and how many
        match ``state`` in all."""
        q, n = select(_T), select(func.count()).select_from(_T)
        if state is not None:
            q, n = q.where(_T.c.state == state), n.where(_T.c.state == state)
        if after is not None:
            q = q.where(_T.c.code > after)
        with reading(self.engine) as conn:
            rows = conn.execute(q.order_by(_T.c.code).limit(limit)).all()
            total = int(conn.execute(n).scalar_one())
        return [_tender(r) for r in rows], total

    def codes(self) -> list[str]:
        """Every tender's code, sorted."""
        with reading(self.engine) as conn:
            return sorted(str(c) for c in conn.execute(select(_T.c.code)).scalars())

    def create(self, tender: StoredTender, custodians: Sequence[tuple[str, str, bytes]]) -> None:
        """Store a new tender with its custodians ``(name, address, public key)`` at 1..n.

        Raises Conflict when the code exists.
        """
        with self.engine.begin() as conn:
            if conn.execute(select(_T.c.code).where(_T.c.code == tender.code)).first():
                raise Conflict(
                    f"expected a new tender code, found {tender.code!r} already announced"
                )
            conn.execute(insert(_T).values(**tender.__dict__))
            for i, (name, address, public_key) in enumerate(custodians, start=1):
                conn.execute(
                    insert(_C).values(
                        tender_code=tender.code, idx=i, name=name, address=address,
                        public_key=public_key.hex(),
                    )
                )  # fmt: skip

    def set_state(self, code: str, state: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(_T).where(_T.c.code == code).values(state=state))

    def set_group_key(self, code: str, text: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(_T).where(_T.c.code == code).values(group_key=text))

    def set_opening_record(self, code: str, text: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(_T).where(_T.c.code == code).values(opening_record=text))

    # -- custodians and dealings ------------------------------------------------

    def custodians(self, code: str) -> list[StoredMember]:
        with reading(self.engine) as conn:
            rows = conn.execute(select(_C).where(_C.c.tender_code == code).order_by(_C.c.idx)).all()
        return [
            StoredMember(int(r.idx), r.name, r.address, bytes.fromhex(r.public_key)) for r in rows
        ]

    def guarded_by(self, address: str) -> list[tuple[str, int]]:
        """``(tender code, custodian index)`` for every tender ``address`` guards."""
        with reading(self.engine) as conn:
            rows = conn.execute(
                select(_C.c.tender_code, _C.c.idx).where(
                    func.lower(_C.c.address) == address.lower()
                )
            ).all()
        return [(str(code), int(idx)) for code, idx in rows]

    def add_key_approval(self, code: str, index: int, text: str) -> None:
        """Keep custodian ``index``'s KeyApproval (JSON) until finalizeKey, replacing an
        earlier one of the same custodian (a new round needs a new approval).

        Dealings themselves live on chain since TenderRegistry 2; the table that held
        them (``tender_dealings``) now holds the approvals awaiting relay.
        """
        with self.engine.begin() as conn:
            conn.execute(_D.delete().where(_D.c.tender_code == code, _D.c.dealer == index))
            conn.execute(insert(_D).values(tender_code=code, dealer=index, dealing=text))

    def key_approvals(self, code: str) -> dict[int, str]:
        """The approvals awaiting relay, by custodian index."""
        with reading(self.engine) as conn:
            rows = conn.execute(
                select(_D.c.dealer, _D.c.dealing).where(_D.c.tender_code == code)
            ).all()
        return {int(r.dealer): str(r.dealing) for r in rows}

    # -- bidders and bids -----------------------------------------------------------

    def add_bidder(self, code: str, address: str, name: str, public_key: bytes) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(_B).values(
                    tender_code=code, address=address, name=name, public_key=public_key.hex()
                )
            )

    def bidders(self, code: str) -> list[StoredMember]:
        with reading(self.engine) as conn:
            rows = conn.execute(select(_B).where(_B.c.tender_code == code)).all()
        return [StoredMember(0, r.name, r.address, bytes.fromhex(r.public_key)) for r in rows]

    def put_bid(self, code: str, fields: Mapping[str, Any], record_index: int) -> None:
        """Store a bid as the bidder's active one; an earlier active bid becomes replaced.

        ``fields`` may carry more than the table holds (e.g. a whole step payload); only
        the bid columns are stored.
        """
        columns = {"bidder", "nonce", "ciphertext_sha256", "plaintext_commitment",
                   "envelope_digest", "size", "tx_hash", "block_time"}  # fmt: skip
        fields = {k: v for k, v in fields.items() if k in columns}
        with self.engine.begin() as conn:
            conn.execute(
                update(_BIDS).where(_BIDS.c.tender_code == code, _BIDS.c.bidder == fields["bidder"],
                                    _BIDS.c.status == ACTIVE).values(status=REPLACED)
            )  # fmt: skip
            conn.execute(
                insert(_BIDS).values(
                    tender_code=code, status=ACTIVE, record_index=record_index, **fields
                )
            )

    def withdraw_bid(self, code: str, bidder: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(_BIDS).where(_BIDS.c.tender_code == code, _BIDS.c.bidder == bidder,
                                    _BIDS.c.status == ACTIVE).values(status=WITHDRAWN)
            )  # fmt: skip

    def bids(self, code: str, *, active_only: bool = False) -> list[StoredBid]:
        """All bids in arrival order, or only the active ones by bidder address."""
        query = select(_BIDS).where(_BIDS.c.tender_code == code)
        if active_only:
            query = query.where(_BIDS.c.status == ACTIVE).order_by(_BIDS.c.bidder)
        else:
            query = query.order_by(_BIDS.c.id)
        with reading(self.engine) as conn:
            return [_bid(r) for r in conn.execute(query).all()]

    # -- steps ----------------------------------------------------------------------

    def add_step(
        self, code: str, event: str, state_after: str | None, chain_time: int, record_index: int
    ) -> None:
        """Number and store one recorded step; ``state_after`` None: the tender's state now."""
        with self.engine.begin() as conn:
            seq = conn.execute(
                select(func.count()).select_from(_EV).where(_EV.c.tender_code == code)
            ).scalar_one()
            after = (
                state_after
                or conn.execute(select(_T.c.state).where(_T.c.code == code)).scalar_one()
            )
            conn.execute(
                insert(_EV).values(
                    tender_code=code, seq=seq, event=event, state_after=after,
                    chain_time=chain_time, record_index=record_index,
                )
            )  # fmt: skip

    def steps(self, code: str) -> list[StoredStep]:
        with reading(self.engine) as conn:
            rows = conn.execute(
                select(_EV).where(_EV.c.tender_code == code).order_by(_EV.c.seq)
            ).all()
        return [
            StoredStep(int(e.seq), e.event, e.state_after, int(e.chain_time), int(e.record_index))
            for e in rows
        ]
