"""Electronic contract witness: registration, relayed party signatures, amendments.

The operator registers a contract by its document digest, parties, amount, date and
terms digest; each party signs the contract's EIP-712 message with its own key
(:meth:`ContractService.typed_data` gives the message) and hands the signature over;
the service relays it on chain and records every step in the evidence log. The chain
judges every signature (its owner, its contract, its chain) and every amendment
(previous complete and not yet amended): if it refuses, nothing is recorded.

Evidence records: kind ``contract.<event>`` (``registered``, ``amended``, ``signed``,
``completed``), subject ``contract:<code>``; the registration's digest is the
document's SHA-256, the others' the SHA-256 of their canonical payload.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

from eth_utils.address import to_checksum_address
from sqlalchemy import Table, insert, select, update

from ledger_service.chain.contract_witness import (
    MAX_PARTIES,
    MIN_PARTIES,
    ContractWitnessContract,
    contract_date,
    contract_id_bytes,
)
from ledger_service.core.errors import Conflict, MalformedInput, NotFound
from ledger_service.evidence.deposit import CONTRACT, record_step
from ledger_service.store.log import LogStore
from ledger_service.store.models import WitnessContractPartyRow, WitnessContractRow

_K = cast(Table, WitnessContractRow.__table__)
_P = cast(Table, WitnessContractPartyRow.__table__)

SERVICE_ACTOR = "service:chainwitness"
#: Largest amount in fen: evidence metadata holds integers up to 2**53 - 1 exactly.
MAX_AMOUNT_FEN = 2**53 - 1
MAX_CODE_CHARS = 64
MAX_DOCUMENT_NAME_CHARS = 256
MAX_PARTY_NAME_CHARS = 128
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def _sha256_hex(name: str, value: str) -> str:
    if not isinstance(value, str) or not _SHA256_HEX.fullmatch(value):
        raise MalformedInput(f"expected {name} as 64 lowercase hex digits, found {value!r}")
    return value


def _text(name: str, value: str, limit: int) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= limit:
        raise MalformedInput(f"expected {name} of 1 to {limit} characters, found {value!r}")
    return value


def _checksum(value: str) -> str:
    try:
        return str(to_checksum_address(value))
    except (ValueError, TypeError) as exc:
        raise MalformedInput(f"expected a 20-byte 0x address, found {value!r}") from exc


class ContractService:
    """Witnesses electronic contracts on one ContractWitness deployment."""

    def __init__(self, log_store: LogStore, contract: ContractWitnessContract) -> None:
        self._log = log_store
        self._engine = log_store.engine
        self._witness = contract

    @property
    def witness_address(self) -> str:
        return str(self._witness.address)

    # -- helpers -------------------------------------------------------------

    def _row(self, code: str) -> Any:
        with self._engine.connect() as conn:
            row = conn.execute(select(_K).where(_K.c.code == code)).first()
        if row is None:
            raise NotFound(f"expected a contract with code {code!r}, found none")
        return row

    def _parties(self, code: str) -> list[Any]:
        with self._engine.connect() as conn:
            return list(
                conn.execute(select(_P).where(_P.c.contract_code == code).order_by(_P.c.idx))
            )

    def _record(
        self, code: str, event: str, payload: Mapping[str, Any], actor: str = SERVICE_ACTOR,
        digests: Mapping[str, str] | None = None,
    ) -> int:  # fmt: skip
        """Append the evidence record of one contract step; returns its leaf index."""
        return record_step(self._log, CONTRACT, code, event, payload, actor=actor, digests=digests)

    # -- actions -------------------------------------------------------------

    def register(
        self, code: str, document_sha256: str, document_name: str,
        parties: Sequence[tuple[str, str]], amount_fen: int, date: str, terms_sha256: str,
        previous_code: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Register a contract (or an amendment of ``previous_code``) on chain and record it.

        ``parties`` are (display name, signing address) pairs, 2 to 8 distinct
        addresses, in the order the signed message lists them; ``date`` is
        ``YYYY-MM-DD``. Returns :meth:`view`.

        Raises:
            MalformedInput: a field is malformed or out of its limits.
            Conflict: ``code`` is already registered.
            NotFound: ``previous_code`` is not a registered contract.
            ContractReverted: the chain refused (e.g. ``ContractWitnessPreviousIncomplete``,
                ``ContractWitnessPreviousAmended``).
        """
        _text("the contract code", code, MAX_CODE_CHARS)
        _sha256_hex("document_sha256", document_sha256)
        _sha256_hex("terms_sha256", terms_sha256)
        _text("the document name", document_name, MAX_DOCUMENT_NAME_CHARS)
        if type(amount_fen) is not int or not 0 <= amount_fen <= MAX_AMOUNT_FEN:
            raise MalformedInput(
                f"expected an amount in fen in [0, {MAX_AMOUNT_FEN}], found {amount_fen!r}"
            )
        chain_date = contract_date(date)
        if not MIN_PARTIES <= len(parties) <= MAX_PARTIES:
            raise MalformedInput(
                f"expected {MIN_PARTIES} to {MAX_PARTIES} parties, found {len(parties)}"
            )
        named = [
            (_text("a party name", name, MAX_PARTY_NAME_CHARS), _checksum(address))
            for name, address in parties
        ]
        addresses = [a for _, a in named]
        if len(set(addresses)) != len(addresses):
            raise MalformedInput(f"expected distinct party addresses, found {addresses}")
        with self._engine.connect() as conn:
            if conn.execute(select(_K.c.code).where(_K.c.code == code)).first():
                raise Conflict(f"expected a new contract code, found {code!r} already registered")
        previous_id = None
        if previous_code is not None:
            self._row(previous_code)
            previous_id = contract_id_bytes(previous_code)

        contract_id = contract_id_bytes(code)
        tx = self._witness.register_contract(
            contract_id, bytes.fromhex(document_sha256), addresses, amount_fen, chain_date,
            bytes.fromhex(terms_sha256), previous_id,
        )  # fmt: skip
        payload = {
            "contract_id": "0x" + contract_id.hex(),
            "document": document_name,
            "document_sha256": document_sha256,
            "terms_sha256": terms_sha256,
            "amount_fen": amount_fen,
            "date": date,
            "parties": [{"name": n, "address": a} for n, a in named],
            "previous": previous_code,
            "witness": self.witness_address,
            "tx_hash": tx.tx_hash,
            "block_time": tx.block_time,
        }
        index = self._record(code, "registered", payload, digests={"sha256": document_sha256})
        with self._engine.begin() as conn:
            conn.execute(
                insert(_K).values(
                    code=code, chain_id_hex="0x" + contract_id.hex(), document_name=document_name,
                    document_sha256=document_sha256, terms_sha256=terms_sha256,
                    amount_fen=amount_fen, date=date, previous_code=previous_code,
                    tx_hash=tx.tx_hash, block_time=tx.block_time, record_index=index,
                )
            )  # fmt: skip
            for i, (name, address) in enumerate(named, start=1):
                conn.execute(insert(_P).values(contract_code=code, idx=i, name=name,
                                               address=address))  # fmt: skip
        if previous_code is not None:
            self._record(previous_code, "amended",
                         {"amended_by": code, "tx_hash": tx.tx_hash, "block_time": tx.block_time})  # fmt: skip
        return self.view(code)

    def sign(self, code: str, party_address: str, signature: bytes) -> dict[str, Any]:
        """Relay ``party_address``'s signature of the contract and record it; when it
        was the last one missing, record the completion too. Returns :meth:`view`.

        Raises:
            NotFound: no contract ``code``.
            MalformedInput: a malformed address or a signature that is not bytes.
            ContractReverted: the chain refused: ``ContractWitnessUnknownParty``,
                ``ContractWitnessAlreadySigned`` (a replay) or
                ``ContractWitnessBadSignature`` (forged, or signed for other terms,
                another witness contract or another chain).
        """
        self._row(code)
        party = _checksum(party_address)
        if not isinstance(signature, bytes):
            raise MalformedInput(
                f"expected the signature as bytes, found {type(signature).__name__}"
            )
        tx = self._witness.sign(contract_id_bytes(code), party, signature)
        row = next(p for p in self._parties(code) if p.address == party)  # the chain knew it
        payload = {"party": party, "name": row.name, "signature": "0x" + signature.hex(),
                   "tx_hash": tx.tx_hash, "block_time": tx.block_time}  # fmt: skip
        index = self._record(code, "signed", payload, actor=f"party:{party}")
        with self._engine.begin() as conn:
            conn.execute(
                update(_P).where(_P.c.contract_code == code, _P.c.idx == row.idx).values(
                    signature="0x" + signature.hex(), tx_hash=tx.tx_hash,
                    signed_at=tx.block_time, record_index=index,
                )
            )  # fmt: skip
        parties = self._parties(code)
        if all(p.signature is not None for p in parties):
            done = self._record(code, "completed", {
                "document_sha256": self._row(code).document_sha256,
                "signatures": [{"party": p.address, "tx_hash": p.tx_hash,
                                "record_index": p.record_index} for p in parties],
                "tx_hash": tx.tx_hash, "block_time": tx.block_time,
            })  # fmt: skip
            with self._engine.begin() as conn:
                conn.execute(update(_K).where(_K.c.code == code).values(
                    completed_at=tx.block_time, completed_record_index=done))  # fmt: skip
        return self.view(code)

    # -- reads ---------------------------------------------------------------

    def typed_data(self, code: str) -> dict[str, Any]:
        """The EIP-712 message every party of contract ``code`` signs (for a wallet's
        ``eth_signTypedData_v4`` or :func:`~ledger_service.chain.eip712.sign_typed`)."""
        row = self._row(code)
        return self._witness.typed_data(
            contract_id_bytes(code), bytes.fromhex(row.document_sha256),
            [p.address for p in self._parties(code)], row.amount_fen, contract_date(row.date),
            bytes.fromhex(row.terms_sha256),
            None if row.previous_code is None else contract_id_bytes(row.previous_code),
        )  # fmt: skip

    def amendment_chain(self, code: str) -> list[str]:
        """Codes from the original contract to the latest amendment, ``code`` among them."""
        self._row(code)
        chain = [code]
        with self._engine.connect() as conn:
            while (prev := conn.execute(
                select(_K.c.previous_code).where(_K.c.code == chain[0])
            ).scalar_one()) is not None:  # fmt: skip
                chain.insert(0, prev)
            while (nxt := conn.execute(
                select(_K.c.code).where(_K.c.previous_code == chain[-1])
            ).scalar_one_or_none()) is not None:  # fmt: skip
                chain.append(nxt)
        return chain

    def view(self, code: str) -> dict[str, Any]:
        """The contract, every party's signature with its tx hash and evidence record,
        completion, the amendment chain, and what the chain itself says."""
        row = self._row(code)
        parties = self._parties(code)
        chain = self.amendment_chain(code)
        position = chain.index(code)
        on_chain = self._witness.get_contract(contract_id_bytes(code))
        records = [r.index for r in self._log.records_for_subject(f"contract:{code}")]
        return {
            "code": code,
            "contract_id": row.chain_id_hex,
            "witness": self.witness_address,
            "chain_id": self._witness.client.chain_id,
            "document": {"name": row.document_name, "sha256": row.document_sha256},
            "terms_sha256": row.terms_sha256,
            "amount_fen": row.amount_fen,
            "date": row.date,
            "registration": {
                "tx_hash": row.tx_hash,
                "block_time": row.block_time,
                "record_index": row.record_index,
            },  # fmt: skip
            "parties": [
                {
                    "name": p.name,
                    "address": p.address,
                    "signed": p.signature is not None,
                    "signature": p.signature,
                    "tx_hash": p.tx_hash,
                    "signed_at": p.signed_at,
                    "record_index": p.record_index,
                }
                for p in parties
            ],  # fmt: skip
            "complete": row.completed_record_index is not None,
            "completed_at": row.completed_at,
            "completed_record_index": row.completed_record_index,
            "previous": row.previous_code,
            "amended_by": chain[position + 1] if position + 1 < len(chain) else None,
            "amendment_chain": chain,
            "records": records,
            "on_chain": {
                "complete": on_chain.complete,
                "signature_count": on_chain.signature_count,
            },  # fmt: skip
        }
