"""Electronic contract witness: contracts, their parties and relayed signatures.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "witness_contracts",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("chain_id_hex", sa.String(66), nullable=False, unique=True),
        sa.Column("document_name", sa.String(256), nullable=False),
        sa.Column("document_sha256", sa.String(64), nullable=False),
        sa.Column("terms_sha256", sa.String(64), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("date", sa.String(10), nullable=False),  # ISO 8601 calendar date
        # an amendment names the contract it amends; each is amended at most once
        sa.Column(
            "previous_code",
            sa.String(64),
            sa.ForeignKey("witness_contracts.code"),
            nullable=True,
            unique=True,
        ),
        sa.Column("tx_hash", sa.String(66), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("record_index", sa.BigInteger(), nullable=False),
        sa.Column("completed_at", sa.BigInteger(), nullable=True),
        sa.Column("completed_record_index", sa.BigInteger(), nullable=True),
    )
    op.create_table(
        "witness_contract_parties",
        sa.Column(
            "contract_code",
            sa.String(64),
            sa.ForeignKey("witness_contracts.code"),
            primary_key=True,
        ),
        sa.Column("idx", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("address", sa.String(42), nullable=False),
        sa.Column("signature", sa.String(132), nullable=True),  # 0x + 65 bytes hex
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.Column("signed_at", sa.BigInteger(), nullable=True),
        sa.Column("record_index", sa.BigInteger(), nullable=True),
        sa.UniqueConstraint("contract_code", "address", name="uq_witness_contract_parties_address"),
    )


def downgrade() -> None:
    op.drop_table("witness_contract_parties")
    op.drop_table("witness_contracts")
