"""Several pending amendments per contract (ContractWitness 2).

An amendment amends its contract only once every party signed it, and several may be
pending at once (the first completed wins on chain), so ``previous_code`` is no longer
unique.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: the models' naming convention; SQLite keeps the constraint unnamed, so the batch
#: (a table copy there, a plain ALTER on PostgreSQL) names it by the same convention
_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
_UNIQUE = "uq_witness_contracts_previous_code"


def upgrade() -> None:
    with op.batch_alter_table("witness_contracts", naming_convention=_NAMES) as batch:
        batch.drop_constraint(_UNIQUE, type_="unique")


def downgrade() -> None:
    with op.batch_alter_table("witness_contracts", naming_convention=_NAMES) as batch:
        batch.create_unique_constraint(_UNIQUE, ["previous_code"])
