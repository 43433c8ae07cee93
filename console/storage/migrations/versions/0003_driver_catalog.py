"""Driver catalog: drivers (SMS_Driver), their models and categories, the CI_ID sequence.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ci_id_sequence',
    sa.Column('site_code', sa.String(length=3), nullable=False),
    sa.Column('next_ci_id', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('site_code', name=op.f('pk_ci_id_sequence'))
    )

    op.create_table('driver',
    sa.Column('ci_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('ci_unique_id', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('driver_class', sa.String(length=64), nullable=False),
    sa.Column('class_guid', sa.String(length=38), nullable=False),
    sa.Column('provider', sa.String(length=255), nullable=False),
    sa.Column('driver_version', sa.String(length=64), nullable=False),
    sa.Column('driver_date', sa.DateTime(timezone=True), nullable=True),
    sa.Column('inf_file', sa.String(length=255), nullable=False),
    sa.Column('content_source_path', sa.Text(), nullable=False),
    sa.Column('catalog_file', sa.String(length=255), nullable=False),
    sa.Column('signed', sa.Boolean(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('architectures', sa.String(length=255), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('inf_warnings', sa.JSON(), nullable=False),
    sa.Column('source_site', sa.String(length=3), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_by', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('ci_id', name=op.f('pk_driver')),
    sa.UniqueConstraint('ci_unique_id', name=op.f('uq_driver_ci_unique_id')),
    sa.UniqueConstraint('content_hash', name=op.f('uq_driver_content_hash'))
    )
    with op.batch_alter_table('driver', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_driver_driver_class'), ['driver_class'], unique=False)
        batch_op.create_index(batch_op.f('ix_driver_name'), ['name'], unique=False)

    op.create_table('driver_model',
    sa.Column('ci_id', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('manufacturer', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('install_section', sa.String(length=255), nullable=False),
    sa.Column('hardware_id', sa.String(length=512), nullable=False),
    sa.Column('compatible_ids', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['ci_id'], ['driver.ci_id'], name=op.f('fk_driver_model_ci_id_driver'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ci_id', 'position', name=op.f('pk_driver_model'))
    )
    with op.batch_alter_table('driver_model', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_driver_model_hardware_id'), ['hardware_id'], unique=False)

    op.create_table('driver_category',
    sa.Column('ci_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['ci_id'], ['driver.ci_id'], name=op.f('fk_driver_category_ci_id_driver'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ci_id', 'name', name=op.f('pk_driver_category'))
    )


def downgrade() -> None:
    op.drop_table('driver_category')
    with op.batch_alter_table('driver_model', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_driver_model_hardware_id'))
    op.drop_table('driver_model')
    with op.batch_alter_table('driver', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_driver_name'))
        batch_op.drop_index(batch_op.f('ix_driver_driver_class'))
    op.drop_table('driver')
    op.drop_table('ci_id_sequence')
