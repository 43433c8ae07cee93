"""Driver references, refresh schedules, status messages, jobs; search text for the package list.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SEARCH_COLUMNS = ("name", "package_id", "version", "description")


def upgrade() -> None:
    op.create_table('status_message',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('package_id', sa.String(length=8), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('user', sa.String(length=255), nullable=False),
    sa.Column('site_code', sa.String(length=3), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_message'))
    )
    with op.batch_alter_table('status_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_message_package_id'), ['package_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_status_message_time'), ['time'], unique=False)

    op.create_table('job',
    sa.Column('context_id', sa.String(length=64), nullable=False),
    sa.Column('package_id', sa.String(length=8), nullable=True),
    sa.Column('operation', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('max_progress', sa.Integer(), nullable=False),
    sa.Column('progress_text', sa.Text(), nullable=False),
    sa.Column('error_code', sa.Integer(), nullable=False),
    sa.Column('extended_error_info', sa.Text(), nullable=False),
    sa.Column('cancel_requested', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('context_id', name=op.f('pk_job'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_package_id'), ['package_id'], unique=False)

    op.create_table('package_driver',
    sa.Column('package_id', sa.String(length=8), nullable=False),
    sa.Column('ci_id', sa.BigInteger(), nullable=False),
    sa.Column('source_path', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['package_id'], ['boot_image_package.package_id'], name=op.f('fk_package_driver_package_id_boot_image_package'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('package_id', 'ci_id', name=op.f('pk_package_driver'))
    )

    op.create_table('package_refresh_schedule',
    sa.Column('package_id', sa.String(length=8), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('token_class', sa.String(length=64), nullable=False),
    sa.Column('start_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('is_gmt', sa.Boolean(), nullable=False),
    sa.Column('day_duration', sa.Integer(), nullable=False),
    sa.Column('hour_duration', sa.Integer(), nullable=False),
    sa.Column('minute_duration', sa.Integer(), nullable=False),
    sa.Column('day_span', sa.Integer(), nullable=True),
    sa.Column('hour_span', sa.Integer(), nullable=True),
    sa.Column('minute_span', sa.Integer(), nullable=True),
    sa.Column('day', sa.Integer(), nullable=True),
    sa.Column('for_number_of_weeks', sa.Integer(), nullable=True),
    sa.Column('for_number_of_months', sa.Integer(), nullable=True),
    sa.Column('month_day', sa.Integer(), nullable=True),
    sa.Column('week_order', sa.Integer(), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['package_id'], ['boot_image_package.package_id'], name=op.f('fk_package_refresh_schedule_package_id_boot_image_package'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('package_id', 'position', name=op.f('pk_package_refresh_schedule'))
    )

    with op.batch_alter_table("boot_image_package", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    # Fill the search text of existing packages (Python casefold, not SQL lower(), so
    # that non-ASCII names match the same way new ones do).
    conn = op.get_bind()
    table = sa.table("boot_image_package", *(sa.column(c) for c in (*SEARCH_COLUMNS, "search_text")))
    rows = conn.execute(sa.select(*(table.c[c] for c in SEARCH_COLUMNS))).all()
    for row in rows:
        text = "\n".join(str(v or "") for v in row).casefold()
        conn.execute(table.update().where(table.c.package_id == row.package_id).values(search_text=text))


def downgrade() -> None:
    with op.batch_alter_table("boot_image_package", schema=None) as batch_op:
        batch_op.drop_column("search_text")
    op.drop_table("package_refresh_schedule")
    op.drop_table("package_driver")
    op.drop_table("job")
    op.drop_table("status_message")
