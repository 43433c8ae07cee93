"""Distribution points: DPs, groups, group members and packages, one row per (package, DP)
with its state, and the Content Status counters per package and per DP.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _counters() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column(name, sa.Integer(), nullable=False)
            for name in ("targeted", "success", "in_progress", "errors", "unknown")]


def upgrade() -> None:
    op.create_table('distribution_point',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('name_key', sa.String(length=255), nullable=False),
    sa.Column('transport', sa.String(length=8), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('site_code', sa.String(length=3), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('credential', sa.String(length=255), nullable=False),
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.Column('pxe', sa.Boolean(), nullable=False),
    sa.Column('maintenance', sa.Boolean(), nullable=False),
    sa.Column('rate_limit_kbps', sa.Integer(), nullable=False),
    sa.Column('schedule', sa.String(length=24), nullable=False),
    sa.Column('concurrency', sa.Integer(), nullable=False),
    sa.Column('library_root', sa.String(length=255), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('free_bytes', sa.BigInteger(), nullable=True),
    sa.Column('last_contact', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_by', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_distribution_point')),
    sa.UniqueConstraint('name_key', name=op.f('uq_distribution_point_name_key'))
    )
    op.create_table('dp_group',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('name_key', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_by', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dp_group')),
    sa.UniqueConstraint('name_key', name=op.f('uq_dp_group_name_key'))
    )
    op.create_table('dp_group_member',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('dp_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dp_id'], ['distribution_point.id'],
                            name=op.f('fk_dp_group_member_dp_id_distribution_point'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['dp_group.id'], name=op.f('fk_dp_group_member_group_id_dp_group'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'dp_id', name=op.f('pk_dp_group_member'))
    )
    op.create_index(op.f('ix_dp_group_member_dp_id'), 'dp_group_member', ['dp_id'], unique=False)
    op.create_table('dp_group_package',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('package_id', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['dp_group.id'], name=op.f('fk_dp_group_package_group_id_dp_group'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'package_id', name=op.f('pk_dp_group_package'))
    )
    op.create_index(op.f('ix_dp_group_package_package_id'), 'dp_group_package', ['package_id'], unique=False)
    op.create_table('package_dp',
    sa.Column('package_id', sa.String(length=8), nullable=False),
    sa.Column('dp_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.SmallInteger(), nullable=False),
    sa.Column('direct', sa.Boolean(), nullable=False),
    sa.Column('source_version', sa.Integer(), nullable=False),
    sa.Column('target_version', sa.Integer(), nullable=False),
    sa.Column('last_copied', sa.DateTime(timezone=True), nullable=True),
    sa.Column('bytes_done', sa.BigInteger(), nullable=False),
    sa.Column('bytes_total', sa.BigInteger(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('error_cause', sa.String(length=32), nullable=False),
    sa.Column('next_retry', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dp_id'], ['distribution_point.id'], name=op.f('fk_package_dp_dp_id_distribution_point')),
    sa.PrimaryKeyConstraint('package_id', 'dp_id', name=op.f('pk_package_dp'))
    )
    op.create_index('ix_package_dp_package_state', 'package_dp', ['package_id', 'state', 'dp_id'], unique=False)
    op.create_index('ix_package_dp_dp', 'package_dp', ['dp_id', 'package_id'], unique=False)
    op.create_table('package_content_summary',
    sa.Column('package_id', sa.String(length=8), nullable=False),
    *_counters(),
    sa.PrimaryKeyConstraint('package_id', name=op.f('pk_package_content_summary'))
    )
    op.create_table('dp_content_summary',
    sa.Column('dp_id', sa.Integer(), nullable=False),
    *_counters(),
    sa.ForeignKeyConstraint(['dp_id'], ['distribution_point.id'],
                            name=op.f('fk_dp_content_summary_dp_id_distribution_point'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dp_id', name=op.f('pk_dp_content_summary'))
    )


def downgrade() -> None:
    op.drop_table('dp_content_summary')
    op.drop_table('package_content_summary')
    op.drop_index('ix_package_dp_dp', table_name='package_dp')
    op.drop_index('ix_package_dp_package_state', table_name='package_dp')
    op.drop_table('package_dp')
    op.drop_index(op.f('ix_dp_group_package_package_id'), table_name='dp_group_package')
    op.drop_table('dp_group_package')
    op.drop_index(op.f('ix_dp_group_member_dp_id'), table_name='dp_group_member')
    op.drop_table('dp_group_member')
    op.drop_table('dp_group')
    op.drop_table('distribution_point')
