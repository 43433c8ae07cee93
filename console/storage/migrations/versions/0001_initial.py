"""Initial site database: sites, console folders, boot image packages, optional components.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('site',
    sa.Column('site_code', sa.String(length=3), nullable=False),
    sa.Column('site_name', sa.String(length=255), nullable=False),
    sa.Column('is_local', sa.Boolean(), nullable=False),
    sa.Column('next_package_number', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('site_code', name=op.f('pk_site'))
    )

    op.create_table('console_folder',
    sa.Column('container_node_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=False),
    sa.Column('object_type', sa.Integer(), nullable=False),
    sa.Column('folder_guid', sa.String(length=36), nullable=False),
    sa.Column('source_site', sa.String(length=3), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('container_node_id', name=op.f('pk_console_folder'))
    )
    with op.batch_alter_table('console_folder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_folder_parent_id'), ['parent_id'], unique=False)

    op.create_table('boot_image_package',
    sa.Column('package_id', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('description', sa.String(length=127), nullable=False),
    sa.Column('language', sa.String(length=32), nullable=False),
    sa.Column('manufacturer', sa.String(length=32), nullable=False),
    sa.Column('mif_filename', sa.String(length=50), nullable=False),
    sa.Column('mif_name', sa.String(length=50), nullable=False),
    sa.Column('mif_publisher', sa.String(length=32), nullable=False),
    sa.Column('mif_version', sa.String(length=32), nullable=False),
    sa.Column('architecture', sa.String(length=8), nullable=False),
    sa.Column('default_image', sa.Boolean(), nullable=False),
    sa.Column('deploy_from_pxe', sa.Boolean(), nullable=False),
    sa.Column('image_os_version', sa.String(length=64), nullable=False),
    sa.Column('image_path', sa.Text(), nullable=False),
    sa.Column('input_locale', sa.String(length=85), nullable=False),
    sa.Column('num_of_programs', sa.BigInteger(), nullable=False),
    sa.Column('package_size', sa.BigInteger(), nullable=False),
    sa.Column('package_type', sa.BigInteger(), nullable=False),
    sa.Column('pkg_flags', sa.BigInteger(), nullable=False),
    sa.Column('pkg_source_flag', sa.BigInteger(), nullable=False),
    sa.Column('pkg_source_path', sa.Text(), nullable=False),
    sa.Column('pre_exec_source_directory', sa.Text(), nullable=False),
    sa.Column('preferred_address_type', sa.String(length=32), nullable=False),
    sa.Column('priority', sa.BigInteger(), nullable=False),
    sa.Column('sedo_object_version', sa.String(length=36), nullable=False),
    sa.Column('share_name', sa.String(length=127), nullable=False),
    sa.Column('share_type', sa.BigInteger(), nullable=False),
    sa.Column('source_date', sa.DateTime(timezone=True), nullable=True),
    sa.Column('source_site', sa.String(length=3), nullable=False),
    sa.Column('source_version', sa.BigInteger(), nullable=False),
    sa.Column('stored_pkg_path', sa.Text(), nullable=False),
    sa.Column('stored_pkg_version', sa.BigInteger(), nullable=False),
    sa.Column('action_in_progress', sa.BigInteger(), nullable=False),
    sa.Column('forced_disconnect_delay', sa.BigInteger(), nullable=False),
    sa.Column('forced_disconnect_enabled', sa.Boolean(), nullable=False),
    sa.Column('forced_disconnect_num_retries', sa.BigInteger(), nullable=False),
    sa.Column('ignore_address_schedule', sa.Boolean(), nullable=False),
    sa.Column('last_refresh_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('localized_category_instance_names', sa.JSON(), nullable=False),
    sa.Column('secured_scope_names', sa.JSON(), nullable=False),
    sa.Column('icon', sa.LargeBinary(), nullable=True),
    sa.Column('alternate_content_providers', sa.Text(), nullable=False),
    sa.Column('background_bitmap_path', sa.Text(), nullable=False),
    sa.Column('context_id', sa.String(length=64), nullable=False),
    sa.Column('enable_lab_shell', sa.Boolean(), nullable=False),
    sa.Column('extended_data', sa.LargeBinary(), nullable=True),
    sa.Column('extended_data_size', sa.BigInteger(), nullable=False),
    sa.Column('icon_size', sa.BigInteger(), nullable=False),
    sa.Column('image_disk_layout', sa.Text(), nullable=False),
    sa.Column('image_index', sa.BigInteger(), nullable=False),
    sa.Column('image_property', sa.Text(), nullable=False),
    sa.Column('isv_data', sa.LargeBinary(), nullable=True),
    sa.Column('isv_data_size', sa.BigInteger(), nullable=False),
    sa.Column('pre_exec_command_line', sa.Text(), nullable=False),
    sa.Column('refresh_pkg_source_flag', sa.Boolean(), nullable=False),
    sa.Column('scratch_space', sa.BigInteger(), nullable=False),
    sa.Column('extra_properties', sa.JSON(), nullable=False),
    sa.Column('folder_id', sa.Integer(), nullable=True),
    sa.Column('last_modified_by', sa.String(length=255), nullable=False),
    sa.Column('last_modified_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['folder_id'], ['console_folder.container_node_id'], name=op.f('fk_boot_image_package_folder_id_console_folder')),
    sa.PrimaryKeyConstraint('package_id', name=op.f('pk_boot_image_package'))
    )
    with op.batch_alter_table('boot_image_package', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_boot_image_package_folder_id'), ['folder_id'], unique=False)
        batch_op.create_index('ix_boot_image_package_name', ['name'], unique=False)

    op.create_table('package_optional_component',
    sa.Column('package_id', sa.String(length=8), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['package_id'], ['boot_image_package.package_id'], name=op.f('fk_package_optional_component_package_id_boot_image_package'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('package_id', 'component_id', name=op.f('pk_package_optional_component'))
    )


def downgrade() -> None:
    op.drop_table("package_optional_component")
    op.drop_table("boot_image_package")
    op.drop_table("console_folder")
    op.drop_table("site")
