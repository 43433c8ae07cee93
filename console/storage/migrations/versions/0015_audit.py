"""Audit records (issue 13): ``audit_record`` written by the database in the changing transaction
(row triggers on every audited table, ``console/storage/audit_sql.py``), immutable for every
role but the owner; SQLite's ``audit_context`` (who the writing transaction acts as).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from console.storage import audit_sql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_record",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("login", sa.String(255), nullable=False),
        sa.Column("on_behalf_of", sa.String(255), nullable=False),
        sa.Column("client", sa.String(255), nullable=False),
        sa.Column("object_type", sa.String(64), nullable=False),
        sa.Column("object_id", sa.String(128), nullable=False),
        sa.Column("object_name", sa.String(255), nullable=False),
        sa.Column("package_id", sa.String(8), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("attempted", sa.String(64), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_record")),
    )
    for name, columns in (("object_id", ["object_id", "id"]), ("package_id", ["package_id", "id"]),
                          ("login", ["login", "id"]), ("on_behalf_of", ["on_behalf_of", "id"]),
                          ("action", ["action", "id"]), ("transaction_id", ["transaction_id"])):
        op.create_index(f"ix_audit_record_{name}", "audit_record", columns)
    op.create_table(
        "audit_context",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("login", sa.String(255), nullable=False),
        sa.Column("on_behalf_of", sa.String(255), nullable=False),
        sa.Column("client", sa.String(255), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_context")),
    )
    audit_sql.install(op.get_bind())


def downgrade() -> None:
    audit_sql.uninstall(op.get_bind())
    op.drop_table("audit_context")
    op.drop_table("audit_record")
