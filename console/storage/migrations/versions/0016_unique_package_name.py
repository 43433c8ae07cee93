"""Boot image names are unique in the site without regard to case, held by the database: a
unique index on ``lower(name)`` (the console's read-then-write check let two consoles that
created or renamed at the same moment on PostgreSQL both win).

A site that already holds names differing only in case is not upgraded: the migration refuses
with one line naming them (nothing is renamed behind the administrators' backs); rename all but
one of each group and open the site again.

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from console.storage.db_errors import DatabaseError

revision = "0016"
down_revision = "0012"
branch_labels = None
depends_on = None

INDEX = "ux_boot_image_package_name"
SHOWN = 10  # groups named in the message


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT lower(name), package_id, name FROM boot_image_package WHERE lower(name) IN "
        "(SELECT lower(name) FROM boot_image_package GROUP BY lower(name) HAVING count(*) > 1) "
        "ORDER BY lower(name), package_id")).all()
    if rows:
        groups: dict[str, list[str]] = {}
        for key, package_id, name in rows:
            groups.setdefault(key, []).append(f"{package_id} {name!r}")
        listed = "; ".join(", ".join(group) for group in list(groups.values())[:SHOWN])
        more = f" and {len(groups) - SHOWN} more groups" if len(groups) > SHOWN else ""
        raise DatabaseError(
            f"cannot upgrade the site database: boot image names must be unique without regard to case, "
            f"and these differ only in case: {listed}{more}; nothing was changed. Rename all but one of each "
            "(with the console version that last opened the site, or in SQL), then open the site again")
    op.create_index(INDEX, "boot_image_package", [sa.text("lower(name)")], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="boot_image_package")
