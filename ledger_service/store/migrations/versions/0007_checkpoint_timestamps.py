"""An RFC 3161 timestamp token beside each signed checkpoint (when a TSA is configured).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("checkpoints") as batch:
        # the TSA's DER TimeStampResp over the checkpoint's signed text
        batch.add_column(sa.Column("timestamp", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("checkpoints") as batch:
        batch.drop_column("timestamp")
