"""Covering indexes for the package list (100k-package sites) and site-wide settings.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_boot_image_package_name", table_name="boot_image_package")
    op.create_index(
        "ix_boot_image_package_folder_list", "boot_image_package",
        ["folder_id", sa.text("lower(name)"), "package_id", "search_text"],
    )
    op.create_index(
        "ix_boot_image_package_list", "boot_image_package",
        [sa.text("lower(name)"), "package_id", "search_text"],
    )
    op.create_table(
        "site_setting",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("modified_by", sa.String(length=255), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_site_setting")),
    )


def downgrade() -> None:
    op.drop_table("site_setting")
    op.drop_index("ix_boot_image_package_list", table_name="boot_image_package")
    op.drop_index("ix_boot_image_package_folder_list", table_name="boot_image_package")
    op.create_index("ix_boot_image_package_name", "boot_image_package", ["name"])
