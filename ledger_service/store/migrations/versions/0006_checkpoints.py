"""Signed checkpoints (C2SP tlog-checkpoint) of anchored heads, with their cosignatures.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkpoints",
        sa.Column(
            "tree_size",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        # the whole signed note: log signature and the witnesses' cosignature lines
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("cosigned", sa.Integer(), nullable=False),
        sa.Column("signed_at", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("checkpoints")
