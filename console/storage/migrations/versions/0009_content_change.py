"""The content change counter: one row, ``counter`` goes up (in its own short transaction,
right after the commit) whenever a transaction changed (package, DP) rows, their counters or
distribution points. The live Content Status and Distribution Points pages poll it (a read of
one row by its key) and read their pages again only when it moved; it does not depend on the
clocks of the hosts that write (a worker's clock may be behind), and it is never held locked
by a long transaction.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "content_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("counter", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(table, [{"id": 1, "counter": 0}])


def downgrade() -> None:
    op.drop_table("content_change")
