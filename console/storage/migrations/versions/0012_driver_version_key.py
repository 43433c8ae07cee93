"""The driver catalog's Version column sorts in version order: ``driver.driver_version_key``
(each numeric part zero-padded, ``console.core.drivers.version_sort_key``) with the sort index
on it instead of on the version text ("1.10" sorted before "1.9").

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from console.core.drivers import version_sort_key

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    op.add_column("driver", sa.Column("driver_version_key", sa.String(160), nullable=False, server_default=""))
    conn = op.get_bind()
    driver = sa.table("driver", sa.column("ci_id", sa.BigInteger), sa.column("driver_version", sa.String),
                      sa.column("driver_version_key", sa.String))
    last = None
    while True:  # bounded: each batch moves past the last CI_ID read
        stmt = sa.select(driver.c.ci_id, driver.c.driver_version).order_by(driver.c.ci_id).limit(BATCH)
        if last is not None:
            stmt = stmt.where(driver.c.ci_id > last)
        rows = conn.execute(stmt).all()
        if not rows:
            break
        conn.execute(driver.update().where(driver.c.ci_id == sa.bindparam("id"))
                     .values(driver_version_key=sa.bindparam("key")),
                     [{"id": ci_id, "key": version_sort_key(version or "")} for ci_id, version in rows])
        last = rows[-1][0]
    op.drop_index("ix_driver_sort_version", table_name="driver")
    op.create_index("ix_driver_sort_version", "driver", [sa.text("lower(driver_version_key)"), "ci_id"])


def downgrade() -> None:
    op.drop_index("ix_driver_sort_version", table_name="driver")
    op.create_index("ix_driver_sort_version", "driver", [sa.text("lower(driver_version)"), "ci_id"])
    op.drop_column("driver", "driver_version_key")  # SQLite 3.35+ drops a column in place
