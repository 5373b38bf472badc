"""SQLAlchemy 2 models. The schema is owned by the Alembic migrations next to this file."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: On SQLite only "INTEGER PRIMARY KEY" is the rowid itself (no second index).
ROWID = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_name)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class LogState(Base):
    """A single row (id = 1): the log's size and root. Locking it serializes appends."""

    __tablename__ = "log_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)


class TreeNode(Base):
    """Hash of a perfect subtree; level 0 holds the leaf hashes.

    ``key`` encodes (level, idx) as ``(last_leaf << 6) | level`` where ``last_leaf``
    is the last leaf the subtree covers: keys grow in the order nodes are completed,
    so appends always insert at the end of the index, and one ``IN`` list over an
    integer key fetches a whole proof (see ``ledger_service.store.log.node_key``).
    """

    __tablename__ = "tree_nodes"
    key: Mapped[int] = mapped_column(ROWID, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)


class Record(Base):
    """One evidence record: its leaf index and canonical bytes (what the leaf hash covers)."""

    __tablename__ = "records"
    idx: Mapped[int] = mapped_column(ROWID, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    subject: Mapped[str] = mapped_column(String(256), nullable=False)
    actor: Mapped[str] = mapped_column(String(256), nullable=False)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: first 8 bytes of ``sha256`` as a signed integer: the index for lookups by digest
    #: is four times smaller than one on the hex text, which keeps bulk appends fast
    sha256_key: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    submitted_at: Mapped[str] = mapped_column(String(32), nullable=False)
    canonical: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)

    __table_args__ = (
        Index("ix_records_sha256_key", "sha256_key"),
        Index("ix_records_subject", "subject"),
    )


class AnchorRow(Base):
    """A tree head anchored on chain (a cache of EvidenceLog's HeadAnchored events)."""

    __tablename__ = "anchors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    chain_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    contract: Mapped[str] = mapped_column(String(42), nullable=False)
    tx_hash: Mapped[str] = mapped_column(String(66), nullable=False, unique=True)
    block_number: Mapped[int] = mapped_column(BigInteger, nullable=False)
    block_hash: Mapped[str] = mapped_column(String(66), nullable=False)
    block_time: Mapped[int] = mapped_column(BigInteger, nullable=False)
    head_index: Mapped[int] = mapped_column(BigInteger, nullable=False)
    #: pending (mined, not yet deep enough), confirmed, or dropped (reorged away)
    status: Mapped[str] = mapped_column(String(16), nullable=False)

    __table_args__ = (Index("ix_anchors_tree_size", "tree_size"),)


class ApiToken(Base):
    """An API token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    token_sha256: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[str] = mapped_column(String(32), nullable=False)
    revoked_at: Mapped[str | None] = mapped_column(Text, nullable=True)


class TenderRow(Base):
    __tablename__ = "tenders"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    chain_id_hex: Mapped[str] = mapped_column(String(66), nullable=False, unique=True)
    title: Mapped[str] = mapped_column(String(256), nullable=False)
    state: Mapped[str] = mapped_column(String(32), nullable=False)
    bid_deadline: Mapped[int] = mapped_column(BigInteger, nullable=False)
    opening_time: Mapped[int] = mapped_column(BigInteger, nullable=False)
    threshold: Mapped[int] = mapped_column(Integer, nullable=False)
    group_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    opening_record: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[str] = mapped_column(String(32), nullable=False)


class TenderCustodianRow(Base):
    __tablename__ = "tender_custodians"
    tender_code: Mapped[str] = mapped_column(ForeignKey("tenders.code"), primary_key=True)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    address: Mapped[str] = mapped_column(String(42), nullable=False)
    public_key: Mapped[str] = mapped_column(String(66), nullable=False)


class TenderDealingRow(Base):
    __tablename__ = "tender_dealings"
    tender_code: Mapped[str] = mapped_column(ForeignKey("tenders.code"), primary_key=True)
    dealer: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealing: Mapped[str] = mapped_column(Text, nullable=False)


class TenderBidderRow(Base):
    __tablename__ = "tender_bidders"
    tender_code: Mapped[str] = mapped_column(ForeignKey("tenders.code"), primary_key=True)
    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    public_key: Mapped[str] = mapped_column(String(66), nullable=False)


class TenderBidRow(Base):
    __tablename__ = "tender_bids"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tender_code: Mapped[str] = mapped_column(ForeignKey("tenders.code"), nullable=False)
    bidder: Mapped[str] = mapped_column(String(42), nullable=False)
    nonce: Mapped[int] = mapped_column(BigInteger, nullable=False)
    ciphertext_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    plaintext_commitment: Mapped[str] = mapped_column(String(64), nullable=False)
    envelope_digest: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    tx_hash: Mapped[str] = mapped_column(String(66), nullable=False)
    block_time: Mapped[int] = mapped_column(BigInteger, nullable=False)
    record_index: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (
        UniqueConstraint("tender_code", "bidder", "nonce", name="uq_tender_bids_nonce"),
    )


class TenderEventRow(Base):
    __tablename__ = "tender_events"
    tender_code: Mapped[str] = mapped_column(ForeignKey("tenders.code"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    event: Mapped[str] = mapped_column(String(32), nullable=False)
    state_after: Mapped[str] = mapped_column(String(32), nullable=False)
    chain_time: Mapped[int] = mapped_column(BigInteger, nullable=False)
    record_index: Mapped[int] = mapped_column(BigInteger, nullable=False)


class WitnessContractRow(Base):
    """An electronic contract witnessed on chain (ledger_service.econtracts)."""

    __tablename__ = "witness_contracts"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    chain_id_hex: Mapped[str] = mapped_column(String(66), nullable=False, unique=True)
    document_name: Mapped[str] = mapped_column(String(256), nullable=False)
    document_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    terms_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    date: Mapped[str] = mapped_column(String(10), nullable=False)
    # an amendment names the contract it amends; several may be pending (migration 0005)
    previous_code: Mapped[str | None] = mapped_column(
        ForeignKey("witness_contracts.code"), nullable=True
    )
    tx_hash: Mapped[str] = mapped_column(String(66), nullable=False)
    block_time: Mapped[int] = mapped_column(BigInteger, nullable=False)
    record_index: Mapped[int] = mapped_column(BigInteger, nullable=False)
    completed_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    completed_record_index: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class WitnessContractPartyRow(Base):
    """A party of a witnessed contract and, once it signed, its relayed signature."""

    __tablename__ = "witness_contract_parties"
    contract_code: Mapped[str] = mapped_column(
        ForeignKey("witness_contracts.code"), primary_key=True
    )
    idx: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    address: Mapped[str] = mapped_column(String(42), nullable=False)
    signature: Mapped[str | None] = mapped_column(String(132), nullable=True)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    signed_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    record_index: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (
        UniqueConstraint("contract_code", "address", name="uq_witness_contract_parties_address"),
    )


class NotaryRequestRow(Base):
    """A notarization request and, once issued, its certificate (the ``notary`` package)."""

    __tablename__ = "notary_requests"
    id: Mapped[int] = mapped_column(ROWID, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(256), nullable=False)
    requester: Mapped[str] = mapped_column(String(128), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False)
    package_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[str] = mapped_column(String(32), nullable=False)
    reviewer: Mapped[str | None] = mapped_column(String(42), nullable=True)
    review: Mapped[str | None] = mapped_column(Text, nullable=True)
    notary: Mapped[str | None] = mapped_column(String(42), nullable=True)
    reject_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    serial: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True)
    cert_digest: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    jws: Mapped[str | None] = mapped_column(Text, nullable=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    revoked_reason_code: Mapped[int | None] = mapped_column(Integer, nullable=True)


class CheckpointRow(Base):
    """The log's signed checkpoint at an anchored size, with the cosignatures collected.

    ``note`` is the whole C2SP signed note (log signature and cosignature lines);
    ``cosigned`` counts the witness cosignatures in it that verified on collection.
    One row per tree size: a re-collection replaces the note (same size, same root).
    """

    __tablename__ = "checkpoints"
    tree_size: Mapped[int] = mapped_column(ROWID, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False)
    cosigned: Mapped[int] = mapped_column(Integer, nullable=False)
    signed_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    #: the TSA's DER TimeStampResp over the checkpoint's signed text (RFC 3161), if any
    timestamp: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
