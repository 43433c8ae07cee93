"""Status messages carry structured details (old -> new values); the package search text
also covers the OS version and language (both are list columns).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SEARCH_COLUMNS = ("name", "package_id", "version", "description", "image_os_version", "language")


def _refill_search_text(columns: tuple[str, ...]) -> None:
    # Python casefold, not SQL lower(), so non-ASCII text matches the way new rows do.
    conn = op.get_bind()
    table = sa.table("boot_image_package", *(sa.column(c) for c in (*columns, "search_text")))
    for row in conn.execute(sa.select(*(table.c[c] for c in columns))).all():
        text = "\n".join(str(v or "") for v in row).casefold()
        conn.execute(table.update().where(table.c.package_id == row.package_id).values(search_text=text))


def upgrade() -> None:
    with op.batch_alter_table("status_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("details", sa.JSON(), nullable=True))
    _refill_search_text(SEARCH_COLUMNS)


def downgrade() -> None:
    _refill_search_text(SEARCH_COLUMNS[:4])
    with op.batch_alter_table("status_message", schema=None) as batch_op:
        batch_op.drop_column("details")
