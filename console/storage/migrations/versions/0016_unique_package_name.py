"""Boot image names are unique in the site without regard to case, held by the database: a
unique index on ``lower(name)`` (the console's read-then-write check let two consoles that
created or renamed at the same moment on PostgreSQL both win); so are the names of the
sub-folders of one folder (``object_type, parent_id, lower(name)``).

A site that already holds names differing only in case is not upgraded: the migration refuses
with one line naming them (nothing is renamed behind the administrators' backs); rename all but
one of each group and open the site again.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from console.storage.db_errors import DatabaseError

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

INDEX = "ux_boot_image_package_name"
FOLDER_INDEX = "ux_console_folder_name"
SHOWN = 10  # groups named in the message


def upgrade() -> None:
    conn = op.get_bind()
    packages = conn.execute(sa.text(
        "SELECT lower(name), package_id, name FROM boot_image_package WHERE lower(name) IN "
        "(SELECT lower(name) FROM boot_image_package GROUP BY lower(name) HAVING count(*) > 1) "
        "ORDER BY lower(name), package_id")).all()
    folders = conn.execute(sa.text(
        "SELECT f.object_type, f.parent_id, lower(f.name), f.container_node_id, f.name FROM console_folder f "
        "WHERE EXISTS (SELECT 1 FROM console_folder g WHERE g.object_type = f.object_type AND "
        "g.parent_id = f.parent_id AND lower(g.name) = lower(f.name) AND g.container_node_id <> f.container_node_id) "
        "ORDER BY f.object_type, f.parent_id, lower(f.name), f.container_node_id")).all()
    groups: dict[object, list[str]] = {}
    for key, package_id, name in packages:
        groups.setdefault(("package", key), []).append(f"{package_id} {name!r}")
    for object_type, parent_id, key, folder_id, name in folders:
        groups.setdefault(("folder", object_type, parent_id, key), []).append(f"folder {folder_id} {name!r}")
    if groups:
        listed = "; ".join(", ".join(group) for group in list(groups.values())[:SHOWN])
        more = f" and {len(groups) - SHOWN} more groups" if len(groups) > SHOWN else ""
        raise DatabaseError(
            f"cannot upgrade the site database: boot image names (and folder names within a folder) must be unique "
            f"without regard to case, and these differ only in case: {listed}{more}; nothing was changed. Rename all "
            "but one of each (with the console version that last opened the site, or in SQL), then open the site again")
    op.create_index(INDEX, "boot_image_package", [sa.text("lower(name)")], unique=True)
    op.create_index(FOLDER_INDEX, "console_folder", ["object_type", "parent_id", sa.text("lower(name)")], unique=True)


def downgrade() -> None:
    op.drop_index(FOLDER_INDEX, table_name="console_folder")
    op.drop_index(INDEX, table_name="boot_image_package")
