"""Object locks (SEDO) and the live change feed.

* ``object_lock``: one row per locked object (who, which console, since when, heartbeat).
* Changes to packages, drivers, distribution points, (package, DP) states and jobs reach every
  open console: on PostgreSQL row triggers call ``pg_notify('bootimage_change', …)`` (delivered
  at commit); on SQLite row triggers append to ``change_log`` (pruned by a trigger to the newest
  ``KEEP`` rows, every ``PRUNE_EVERY`` rows), which consoles poll with one indexed read.

Revision ID: 0014
Revises: 0013 (0012 on the i13-lock branch before i13-sec was merged; the integrator re-chains)
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

#: (table, the columns that identify a row, joined with ":")
TRACKED = (
    ("boot_image_package", ("package_id",)),
    ("driver", ("ci_id",)),
    ("distribution_point", ("id",)),
    ("package_dp", ("package_id", "dp_id")),
    ("job", ("context_id",)),
)
KEEP = 5000  # change_log rows kept: a console further behind than that reads everything again
PRUNE_EVERY = 100
OPERATIONS = ("INSERT", "UPDATE", "DELETE")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION bootimage_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r jsonb;
    id text;
    i int;
BEGIN
    IF TG_OP = 'DELETE' THEN r := to_jsonb(OLD); ELSE r := to_jsonb(NEW); END IF;
    id := r ->> TG_ARGV[0];
    FOR i IN 1 .. TG_NARGS - 1 LOOP
        id := id || ':' || (r ->> TG_ARGV[i]);
    END LOOP;
    PERFORM pg_notify('bootimage_change', TG_TABLE_NAME || ' ' || TG_OP || ' ' || id);
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "object_lock",
        sa.Column("object_type", sa.String(64), nullable=False),
        sa.Column("object_id", sa.String(64), nullable=False),
        sa.Column("lock_id", sa.String(36), nullable=False),
        sa.Column("holder_login", sa.String(255), nullable=False),
        sa.Column("console_host", sa.String(255), nullable=False),
        sa.Column("console_pid", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("object_type", "object_id", name=op.f("pk_object_lock")),
        sa.UniqueConstraint("lock_id", name=op.f("uq_object_lock_lock_id")),
    )
    op.create_table(
        "change_log",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("table_name", sa.String(32), nullable=False),
        sa.Column("object_id", sa.String(64), nullable=False),
        sa.Column("operation", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_change_log")),
        sqlite_autoincrement=True,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table, columns in TRACKED:
            args = ", ".join(f"'{c}'" for c in columns)
            op.execute(f"CREATE TRIGGER {table}_notify_change AFTER INSERT OR UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION bootimage_notify_change({args})")
        return
    for table, columns in TRACKED:
        for operation in OPERATIONS:
            row = "OLD" if operation == "DELETE" else "NEW"
            key = " || ':' || ".join(f"{row}.{c}" for c in columns)
            op.execute(f"CREATE TRIGGER {table}_log_{operation.lower()} AFTER {operation} ON {table} BEGIN "
                       f"INSERT INTO change_log (table_name, object_id, operation) "
                       f"VALUES ('{table}', {key}, '{operation}'); END")
    # pruned every PRUNE_EVERY rows (not on every insert): between KEEP and KEEP + PRUNE_EVERY rows stay
    op.execute(f"CREATE TRIGGER change_log_prune AFTER INSERT ON change_log WHEN NEW.seq % {PRUNE_EVERY} = 0 BEGIN "
               f"DELETE FROM change_log WHERE seq <= NEW.seq - {KEEP}; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, _columns in TRACKED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_notify_change ON {table}")
        op.execute("DROP FUNCTION IF EXISTS bootimage_notify_change()")
    else:
        op.execute("DROP TRIGGER IF EXISTS change_log_prune")
        for table, _columns in TRACKED:
            for operation in OPERATIONS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_log_{operation.lower()}")
    op.drop_table("change_log")
    op.drop_table("object_lock")
