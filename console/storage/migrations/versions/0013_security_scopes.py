"""Security scopes (issue 13): the scopes of the site (``security_scope``, "Default" exists), the
administrators of a PostgreSQL site with their scopes (``administrator``, ``administrator_scope``;
their roles are PostgreSQL role memberships), and ``SecuredScopeNames`` on drivers and
distribution points. Packages with no scope get "Default".

Roles, grants and row-level security policies are not part of the schema history: they name
the site code and cluster-wide roles, and are re-applied on PostgreSQL after every migration
(``console.storage.security_sql.apply_site_security``).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

DEFAULT_SCOPES = '["Default"]'
SCOPED_TABLES = ("boot_image_package", "driver", "distribution_point")


def upgrade() -> None:
    op.create_table(
        "security_scope",
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("name_key", sa.String(255), nullable=False, unique=True),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False, server_default=""),
    )
    scope = sa.table("security_scope", sa.column("name", sa.String), sa.column("name_key", sa.String),
                     sa.column("description", sa.Text), sa.column("created_at", sa.DateTime(timezone=True)),
                     sa.column("created_by", sa.String))
    op.bulk_insert(scope, [{"name": "Default", "name_key": "default", "created_at": datetime.now(UTC), "created_by": "",
                            "description": "Every object is in this scope until an administrator sets other scopes"}])
    op.create_table(
        "administrator",
        sa.Column("login", sa.String(128), primary_key=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(255), nullable=False, server_default=""),
    )
    op.create_table(
        "administrator_scope",
        sa.Column("login", sa.String(128), sa.ForeignKey("administrator.login", ondelete="CASCADE"), primary_key=True),
        sa.Column("scope_name", sa.String(255), primary_key=True),
    )
    for table in ("driver", "distribution_point"):
        op.add_column(table, sa.Column("secured_scope_names", sa.JSON(), nullable=False,
                                       server_default=sa.text(f"'{DEFAULT_SCOPES}'")))
    op.execute(f"UPDATE boot_image_package SET secured_scope_names = '{DEFAULT_SCOPES}' "
               "WHERE CAST(secured_scope_names AS TEXT) IN ('[]', 'null')")
    if op.get_bind().dialect.name == "postgresql":  # the row-level security policies' condition
        for table in SCOPED_TABLES:
            op.execute(f"CREATE INDEX ix_{table}_scopes ON {table} USING gin ((secured_scope_names::jsonb))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in SCOPED_TABLES:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_scopes")
    for table in ("distribution_point", "driver"):
        op.drop_column(table, "secured_scope_names")
    op.drop_table("administrator_scope")
    op.drop_table("administrator")
    op.drop_table("security_scope")
