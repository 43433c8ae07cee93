"""Distribution point tables (``console.core.distribution``), on the same ``Base`` as
``console.storage.schema``.

* ``distribution_point``: one row per DP; ``name_key`` (the lower-case name) is unique, so two
  consoles cannot add ``DP01`` and ``dp01``. No password column: passwords live in the site
  secrets file, ``credential`` only names the entry.
* ``dp_group`` / ``dp_group_member`` / ``dp_group_package``: groups, their members and the
  packages assigned to the group (a DP added to a group later gets these).
* ``package_dp``: one row per (package, DP), ConfigMgr's ``SMS_PackageStatusDistPointsSummarizer``;
  ``direct`` says the package was assigned to the DP itself (not only through a group).
* ``package_content_summary`` / ``dp_content_summary``: the Content Status counters, changed in
  the same transaction as every ``package_dp`` row change (never recounted on read).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from console.storage.schema import Base


class DistributionPointRow(Base):
    __tablename__ = "distribution_point"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255))
    name_key: Mapped[str] = mapped_column(String(255), unique=True)
    transport: Mapped[str] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(Text)
    site_code: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(Text, default="")
    credential: Mapped[str] = mapped_column(String(255), default="")
    username: Mapped[str] = mapped_column(String(255), default="")
    pxe: Mapped[bool] = mapped_column(Boolean, default=False)
    maintenance: Mapped[bool] = mapped_column(Boolean, default=False)
    rate_limit_kbps: Mapped[int] = mapped_column(Integer, default=0)
    schedule: Mapped[str] = mapped_column(String(24))
    concurrency: Mapped[int] = mapped_column(Integer, default=2)
    library_root: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer, default=1)
    free_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_contact: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    modified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    modified_by: Mapped[str] = mapped_column(String(255), default="")
    #: SecuredScopeNames (0013): row-level security on PostgreSQL (console.storage.security_sql)
    secured_scope_names: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["Default"],
                                                           server_default=text("'[\"Default\"]'"))


class DpGroupRow(Base):
    __tablename__ = "dp_group"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255))
    name_key: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    modified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    modified_by: Mapped[str] = mapped_column(String(255), default="")


class DpGroupMemberRow(Base):
    __tablename__ = "dp_group_member"

    group_id: Mapped[int] = mapped_column(Integer, ForeignKey("dp_group.id", ondelete="CASCADE"), primary_key=True)
    dp_id: Mapped[int] = mapped_column(Integer, ForeignKey("distribution_point.id", ondelete="CASCADE"),
                                       primary_key=True, index=True)


class DpGroupPackageRow(Base):
    """A package assigned to a group: every member (also one added later) gets it."""

    __tablename__ = "dp_group_package"

    group_id: Mapped[int] = mapped_column(Integer, ForeignKey("dp_group.id", ondelete="CASCADE"), primary_key=True)
    package_id: Mapped[str] = mapped_column(String(8), primary_key=True, index=True)


class PackageDpRow(Base):
    __tablename__ = "package_dp"

    package_id: Mapped[str] = mapped_column(String(8), primary_key=True)
    dp_id: Mapped[int] = mapped_column(Integer, ForeignKey("distribution_point.id"), primary_key=True)
    state: Mapped[int] = mapped_column(SmallInteger)
    direct: Mapped[bool] = mapped_column(Boolean, default=True)
    source_version: Mapped[int] = mapped_column(Integer, default=0)
    target_version: Mapped[int] = mapped_column(Integer, default=0)
    last_copied: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    bytes_done: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_total: Mapped[int] = mapped_column(BigInteger, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    error_cause: Mapped[str] = mapped_column(String(32), default="")
    next_retry: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        # Content Status: a package's DPs in one state; a DP's packages.
        Index("ix_package_dp_package_state", "package_id", "state", "dp_id"),
        Index("ix_package_dp_dp", "dp_id", "package_id"),
        Index("ix_package_dp_dp_state", "dp_id", "state", "package_id"),
    )


def _partial(name: str, where: str) -> Index:
    """An index of the PackageIDs whose counters pass ``where`` (a Content Status "Show" filter)."""
    return Index(name, "package_id", sqlite_where=text(where), postgresql_where=text(where))


class PackageContentSummaryRow(Base):
    """Per package (``SMS_ObjectContentExtraInfo``)."""

    __tablename__ = "package_content_summary"

    package_id: Mapped[str] = mapped_column(String(8), primary_key=True)
    targeted: Mapped[int] = mapped_column(Integer, default=0)
    success: Mapped[int] = mapped_column(Integer, default=0)
    in_progress: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    unknown: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        _partial("ix_package_content_summary_targeted", "targeted > 0"),
        _partial("ix_package_content_summary_errors", "errors > 0"),
        _partial("ix_package_content_summary_in_progress", "in_progress > 0"),
        _partial("ix_package_content_summary_incomplete", "success < targeted"),
    )


class DpContentSummaryRow(Base):
    """Per DP (``SMS_DPStatusInfo``)."""

    __tablename__ = "dp_content_summary"

    dp_id: Mapped[int] = mapped_column(Integer, ForeignKey("distribution_point.id", ondelete="CASCADE"),
                                       primary_key=True)
    targeted: Mapped[int] = mapped_column(Integer, default=0)
    success: Mapped[int] = mapped_column(Integer, default=0)
    in_progress: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    unknown: Mapped[int] = mapped_column(Integer, default=0)


#: DpState.bucket -> counter column
BUCKET_COLUMNS = {"success": "success", "in_progress": "in_progress", "error": "errors", "unknown": "unknown"}


class ContentChangeRow(Base):
    """One row (``id`` 1): ``counter`` goes up after every committed change of (package, DP)
    rows, counters or DPs; the live pages' change token."""

    __tablename__ = "content_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    counter: Mapped[int] = mapped_column(BigInteger, default=0)
