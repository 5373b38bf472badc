"""Witnessed electronic contracts and their parties, as the service recorded them.

The chain (ContractWitness) is the authority on signatures and amendments; these
rows remember what the service relayed and which evidence record holds each step.
Every SQL statement of ``ledger_service.econtracts`` is here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Engine, Table, insert, select, update

from ledger_service.store.db import reading
from ledger_service.store.models import WitnessContractPartyRow, WitnessContractRow

_K = cast(Table, WitnessContractRow.__table__)
_P = cast(Table, WitnessContractPartyRow.__table__)


@dataclass(frozen=True)
class StoredContract:
    """A registered contract (``witness_contracts``)."""

    code: str
    chain_id_hex: str  # the bytes32 contract id on chain, 0x-hex
    document_name: str
    document_sha256: str
    terms_sha256: str
    amount_fen: int
    date: str  # YYYY-MM-DD
    previous_code: str | None
    tx_hash: str
    block_time: int
    record_index: int
    completed_at: int | None = None
    completed_record_index: int | None = None


@dataclass(frozen=True)
class StoredParty:
    """A party of a contract (``witness_contract_parties``); signature fields are None
    until the party's signature was relayed."""

    contract_code: str
    idx: int  # 1-based, the order the signed message lists the parties
    name: str
    address: str  # checksummed
    signature: str | None = None  # 0x-hex, 65 bytes
    tx_hash: str | None = None
    signed_at: int | None = None
    record_index: int | None = None


class ContractStore:
    """Reads and writes the contract witness tables through ``engine``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, code: str) -> StoredContract | None:
        with reading(self._engine) as conn:
            row = conn.execute(select(_K).where(_K.c.code == code)).first()
        return None if row is None else StoredContract(**row._mapping)

    def exists(self, code: str) -> bool:
        with reading(self._engine) as conn:
            return conn.execute(select(_K.c.code).where(_K.c.code == code)).first() is not None

    def parties(self, code: str) -> list[StoredParty]:
        """The parties of ``code`` in their signing order (empty for an unknown code)."""
        with reading(self._engine) as conn:
            rows = conn.execute(select(_P).where(_P.c.contract_code == code).order_by(_P.c.idx))
            return [StoredParty(**r._mapping) for r in rows]

    def add(self, contract: StoredContract, parties: Sequence[tuple[str, str]]) -> None:
        """Insert ``contract`` and its (name, address) ``parties``, numbered from 1, atomically.

        Raises sqlalchemy's IntegrityError for a known code or a duplicate address.
        """
        with self._engine.begin() as conn:
            conn.execute(insert(_K).values(
                code=contract.code, chain_id_hex=contract.chain_id_hex,
                document_name=contract.document_name, document_sha256=contract.document_sha256,
                terms_sha256=contract.terms_sha256, amount_fen=contract.amount_fen,
                date=contract.date, previous_code=contract.previous_code,
                tx_hash=contract.tx_hash, block_time=contract.block_time,
                record_index=contract.record_index,
            ))  # fmt: skip
            for i, (name, address) in enumerate(parties, start=1):
                conn.execute(insert(_P).values(contract_code=contract.code, idx=i, name=name,
                                               address=address))  # fmt: skip

    def set_signature(
        self, code: str, idx: int, signature: str, tx_hash: str, signed_at: int, record_index: int
    ) -> None:
        """Remember party ``idx``'s relayed signature, its transaction and evidence record."""
        with self._engine.begin() as conn:
            conn.execute(
                update(_P).where(_P.c.contract_code == code, _P.c.idx == idx).values(
                    signature=signature, tx_hash=tx_hash, signed_at=signed_at,
                    record_index=record_index,
                )
            )  # fmt: skip

    def set_completed(self, code: str, completed_at: int, record_index: int) -> None:
        """Mark ``code`` signed by every party, with the completion's evidence record."""
        with self._engine.begin() as conn:
            conn.execute(update(_K).where(_K.c.code == code).values(
                completed_at=completed_at, completed_record_index=record_index))  # fmt: skip

    def amendment_chain(self, code: str) -> list[str]:
        """Codes from the original contract to the latest amendment, ``code`` among them.

        Where several amendments of one contract are registered, the chain follows the
        completed one (the chain accepts one), else the first registered.

        Precondition: ``code`` is registered.
        """
        chain = [code]
        with reading(self._engine) as conn:
            while (prev := conn.execute(
                select(_K.c.previous_code).where(_K.c.code == chain[0])
            ).scalar_one()) is not None:  # fmt: skip
                chain.insert(0, prev)
            # the completed amendment if there is one, else the first registered
            while (nxt := conn.execute(
                select(_K.c.code).where(_K.c.previous_code == chain[-1])
                .order_by(_K.c.completed_record_index.is_(None), _K.c.record_index).limit(1)
            ).scalar_one_or_none()) is not None:  # fmt: skip
                chain.append(nxt)
        return chain


__all__ = ["ContractStore", "StoredContract", "StoredParty"]
