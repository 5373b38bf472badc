"""Tenders: custodians, DKG dealings, bidders, bids, lifecycle events, openings.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenders",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("chain_id_hex", sa.String(66), nullable=False, unique=True),
        sa.Column("title", sa.String(256), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("bid_deadline", sa.BigInteger(), nullable=False),
        sa.Column("opening_time", sa.BigInteger(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("group_key", sa.Text(), nullable=True),  # GroupKey JSON once the DKG is done
        sa.Column("opening_record", sa.Text(), nullable=True),  # opening record JSON
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "tender_custodians",
        sa.Column("tender_code", sa.String(64), sa.ForeignKey("tenders.code"), primary_key=True),
        sa.Column("idx", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("address", sa.String(42), nullable=False),
        sa.Column("public_key", sa.String(66), nullable=False),
    )
    op.create_table(
        "tender_dealings",
        sa.Column("tender_code", sa.String(64), sa.ForeignKey("tenders.code"), primary_key=True),
        sa.Column("dealer", sa.Integer(), primary_key=True),
        sa.Column("dealing", sa.Text(), nullable=False),
    )
    op.create_table(
        "tender_bidders",
        sa.Column("tender_code", sa.String(64), sa.ForeignKey("tenders.code"), primary_key=True),
        sa.Column("address", sa.String(42), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("public_key", sa.String(66), nullable=False),
    )
    op.create_table(
        "tender_bids",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("tender_code", sa.String(64), sa.ForeignKey("tenders.code"), nullable=False),
        sa.Column("bidder", sa.String(42), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("ciphertext_sha256", sa.String(64), nullable=False),
        sa.Column("plaintext_commitment", sa.String(64), nullable=False),
        sa.Column("envelope_digest", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("record_index", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("tender_code", "bidder", "nonce", name="uq_tender_bids_nonce"),
    )
    op.create_table(
        "tender_events",
        sa.Column("tender_code", sa.String(64), sa.ForeignKey("tenders.code"), primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("state_after", sa.String(32), nullable=False),
        sa.Column("chain_time", sa.BigInteger(), nullable=False),
        sa.Column("record_index", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "tender_events",
        "tender_bids",
        "tender_bidders",
        "tender_dealings",
        "tender_custodians",
        "tenders",
    ):
        op.drop_table(table)
