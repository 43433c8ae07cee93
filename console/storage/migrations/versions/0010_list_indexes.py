"""The package list at 1M packages: an index for every sortable column and a text-search
index for the search box.

Every sortable column of the Boot Images list gets an index in the list's order (strings as
``lower(column)``, as the repository sorts them case-insensitively), ending with
``package_id`` (the tie-break) and carrying ``folder_id`` (so "packages at the top of the
node" is answered from the index too) and, for strings, the column itself (so SQLite reads a
page's keys from the index alone). The search box's
text index is SQLite FTS5 (trigram) or PostgreSQL ``pg_trgm``
(``console.storage.text_search``); it is filled from the existing rows here.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from console.storage.text_search import TextSearch

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLE = "boot_image_package"
#: index name suffix -> sort expression (strings lower-cased, as the repository sorts them)
SORT_INDEXES = {
    "name": "lower(name)",
    "package_id": "lower(package_id)",
    "version": "lower(version)",
    "architecture": "lower(architecture)",
    "image_os_version": "lower(image_os_version)",
    "language": "lower(language)",
    "package_size": "package_size",
    "scratch_space": "scratch_space",
    "source_version": "source_version",
    "source_date": "source_date",
    "description": "lower(description)",
    "default_image": "default_image",
}
SEARCH = TextSearch(TABLE, "search_text")


def _expression(expr: str) -> sa.TextClause | str:
    return sa.text(expr) if "(" in expr else expr


def upgrade() -> None:
    for suffix, expr in SORT_INDEXES.items():
        # a string column is carried beside lower(column): SQLite then reads the keys of a page
        # from the index alone (a covering index)
        carried = [suffix] if "(" in expr and suffix != "package_id" else []
        op.create_index(f"ix_{TABLE}_sort_{suffix}", TABLE, [_expression(expr), "package_id", "folder_id", *carried])
    SEARCH.create(op.get_bind())


def downgrade() -> None:
    SEARCH.drop(op.get_bind())
    for suffix in SORT_INDEXES:
        op.drop_index(f"ix_{TABLE}_sort_{suffix}", table_name=TABLE)
