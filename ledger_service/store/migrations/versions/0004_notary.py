"""Digital notarization (数字公证): notarization requests and the certificates issued.

The ``notary`` package (outside ``ledger_service``) owns the workflow; the table
lives with the other migrations so one Alembic history describes the database.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notary_requests",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),  # fmt: skip
        sa.Column("subject", sa.String(256), nullable=False),
        sa.Column("requester", sa.String(128), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("package_sha256", sa.String(64), nullable=False),
        # requested -> reviewed | review_failed -> issued | rejected; issued -> revoked
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("reviewer", sa.String(42), nullable=True),
        sa.Column("review", sa.Text(), nullable=True),  # the verifier's verdict lines
        sa.Column("notary", sa.String(42), nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("serial", sa.String(32), nullable=True, unique=True),
        sa.Column("cert_digest", sa.String(64), nullable=True, unique=True),
        sa.Column("jws", sa.Text(), nullable=True),
        sa.Column("pdf_sha256", sa.String(64), nullable=True),
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.Column("revoked_reason_code", sa.Integer(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("notary_requests")
