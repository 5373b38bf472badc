"""Initial schema: log state, tree nodes, records, anchors, API tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# On SQLite only "INTEGER PRIMARY KEY" is the rowid itself (no second index).
_ROWID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "log_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
    )
    op.bulk_insert(
        sa.table("log_state", sa.column("id"), sa.column("size"), sa.column("root")),
        [{"id": 1, "size": 0, "root": hashlib.sha256(b"").digest()}],
    )
    op.create_table(
        "tree_nodes",
        sa.Column("key", _ROWID, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "records",
        sa.Column("idx", _ROWID, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(256), nullable=False),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        # first 8 bytes of sha256 as a signed integer: a small index for lookups by digest
        sa.Column("sha256_key", sa.BigInteger(), nullable=True),
        sa.Column("submitted_at", sa.String(32), nullable=False),
        sa.Column("canonical", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_records_sha256_key", "records", ["sha256_key"])
    op.create_index("ix_records_subject", "records", ["subject"])
    op.create_table(
        "anchors",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(42), nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False, unique=True),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(66), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("head_index", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
    )
    op.create_index("ix_anchors_tree_size", "anchors", ["tree_size"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("revoked_at", sa.Text(), nullable=True),
    )


def downgrade() -> None:
    for table in ("api_tokens", "anchors", "records", "tree_nodes", "log_state"):
        op.drop_table(table)
