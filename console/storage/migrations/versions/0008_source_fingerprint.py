"""Boot image packages record their source WIM's fingerprint (file size, modification time,
WIM GUID) when the image facts are read, for the build's pre-flight check "source changed
since import". Existing packages have none (all NULL): the pre-flight says it is not known
until the image is imported or reloaded again.

Plain ALTER TABLE ADD/DROP COLUMN on both databases (never a batch copy of the package
table, which would drop its expression indexes). Numbered 0008 (a 0007 migration comes from another branch; whoever merges both chains
0008 after 0007).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLUMNS = ("source_file_size", "source_file_mtime_ns", "source_wim_guid")


def upgrade() -> None:
    op.add_column("boot_image_package", sa.Column("source_file_size", sa.BigInteger(), nullable=True))
    op.add_column("boot_image_package", sa.Column("source_file_mtime_ns", sa.BigInteger(), nullable=True))
    op.add_column("boot_image_package", sa.Column("source_wim_guid", sa.String(length=32), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+ and PostgreSQL), not batch mode: a batch
    # copy of the table would lose the two list indexes on lower(name), which SQLAlchemy
    # cannot reflect.
    for name in reversed(COLUMNS):
        op.drop_column("boot_image_package", name)
