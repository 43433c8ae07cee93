"""Indexes for the other long lists (issue 11): every sortable column of the driver catalog
(with ``ci_id`` as the tie-break, so a keyset page is one index range), the Content Status
"Show" filters (partial indexes on the per-package counters), the (package, DP) rows of a DP
in one state, status messages by severity and kind, and jobs in queue order; the driver search
box's text index (``DRIVER_SEARCH``: ``driver.search_text`` now also holds each model's
hardware ID and description, which the search used to find with a scan of ``driver_model``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from console.storage.text_search import TextSearch

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

#: (index, table, columns, partial-index condition or None)
INDEXES: tuple[tuple[str, str, tuple[object, ...], str | None], ...] = (
    ("ix_driver_sort_name", "driver", (sa.text("lower(name)"), "ci_id"), None),
    ("ix_driver_sort_class", "driver", (sa.text("lower(driver_class)"), "ci_id"), None),
    ("ix_driver_sort_provider", "driver", (sa.text("lower(provider)"), "ci_id"), None),
    ("ix_driver_sort_version", "driver", (sa.text("lower(driver_version)"), "ci_id"), None),
    ("ix_driver_sort_date", "driver", ("driver_date", "ci_id"), None),
    ("ix_driver_sort_size", "driver", ("size_bytes", "ci_id"), None),
    ("ix_driver_sort_inf_file", "driver", (sa.text("lower(inf_file)"), "ci_id"), None),
    ("ix_package_content_summary_targeted", "package_content_summary", ("package_id",), "targeted > 0"),
    ("ix_package_content_summary_errors", "package_content_summary", ("package_id",), "errors > 0"),
    ("ix_package_content_summary_in_progress", "package_content_summary", ("package_id",), "in_progress > 0"),
    ("ix_package_content_summary_incomplete", "package_content_summary", ("package_id",), "success < targeted"),
    ("ix_package_dp_dp_state", "package_dp", ("dp_id", "state", "package_id"), None),
    ("ix_status_message_severity", "status_message", ("severity", "id"), None),
    ("ix_status_message_kind", "status_message", ("kind", "id"), None),
    ("ix_job_queued_at", "job", ("queued_at", "context_id"), None),
)


SEARCH = TextSearch("driver", "search_text")


def upgrade() -> None:
    for name, table, columns, where in INDEXES:
        extra = {"sqlite_where": sa.text(where), "postgresql_where": sa.text(where)} if where else {}
        op.create_index(name, table, list(columns), **extra)  # type: ignore[arg-type]
    bind = op.get_bind()
    models = ("(SELECT string_agg(lower(hardware_id || chr(10) || description), chr(10)) FROM driver_model m "
              "WHERE m.ci_id = driver.ci_id)" if bind.dialect.name == "postgresql" else
              "(SELECT group_concat(lower(hardware_id || char(10) || description), char(10)) FROM driver_model m "
              "WHERE m.ci_id = driver.ci_id)")
    op.execute(f"UPDATE driver SET search_text = search_text || coalesce(char_nl || {models}, '')".replace(
        "char_nl", "chr(10)" if bind.dialect.name == "postgresql" else "char(10)"))
    SEARCH.create(bind)


def downgrade() -> None:
    SEARCH.drop(op.get_bind())
    for name, table, _columns, _where in reversed(INDEXES):
        op.drop_index(name, table_name=table)
