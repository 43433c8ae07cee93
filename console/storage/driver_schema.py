"""Driver catalog tables (SMS_Driver), on the same ``Base`` as ``console.storage.schema``.

``architectures`` holds the normalized INF architectures space-separated with a space at
both ends (`` amd64 x86 ``) so that one ``LIKE '% amd64 %'`` finds them on every database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from console.storage.schema import Base
from console.storage.text_search import TextSearch

#: The driver search box's index (``search_text``: name, provider, class, version, INF, folder,
#: CI_ID and every model's hardware ID and description, case-folded; migration 0011)
DRIVER_SEARCH = TextSearch("driver", "search_text")

#: ConfigMgr CI_IDs of a site start here (16777216 + 1); ids are never reused.
FIRST_CI_ID = 16777217


class CiIdSequenceRow(Base):
    """The next CI_ID of a site."""

    __tablename__ = "ci_id_sequence"

    site_code: Mapped[str] = mapped_column(String(3), primary_key=True)
    next_ci_id: Mapped[int] = mapped_column(BigInteger)


class DriverRow(Base):
    __tablename__ = "driver"

    ci_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    ci_unique_id: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    driver_class: Mapped[str] = mapped_column(String(64), index=True)
    class_guid: Mapped[str] = mapped_column(String(38), default="")
    provider: Mapped[str] = mapped_column(String(255), default="")
    driver_version: Mapped[str] = mapped_column(String(64), default="")
    #: ``version_sort_key(driver_version)``: the Version column sorts "1.9" before "1.10"
    driver_version_key: Mapped[str] = mapped_column(String(160), default="", server_default="")
    driver_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    inf_file: Mapped[str] = mapped_column(String(255))
    content_source_path: Mapped[str] = mapped_column(Text)
    catalog_file: Mapped[str] = mapped_column(String(255), default="")
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    architectures: Mapped[str] = mapped_column(String(255), default=" ")
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    inf_warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    source_site: Mapped[str] = mapped_column(String(3))
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(255), default="")
    modified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    modified_by: Mapped[str] = mapped_column(String(255), default="")
    #: SecuredScopeNames (0013): row-level security on PostgreSQL shows a driver only to
    #: administrators with one of these scopes
    secured_scope_names: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["Default"],
                                                           server_default=text("'[\"Default\"]'"))

    #: one index per sortable column, ``ci_id`` the tie-break: a keyset page is one index range
    __table_args__ = (
        Index("ix_driver_sort_name", func.lower(name), "ci_id"),
        Index("ix_driver_sort_class", func.lower(driver_class), "ci_id"),
        Index("ix_driver_sort_provider", func.lower(provider), "ci_id"),
        Index("ix_driver_sort_version", func.lower(driver_version_key), "ci_id"),
        Index("ix_driver_sort_date", "driver_date", "ci_id"),
        Index("ix_driver_sort_size", "size_bytes", "ci_id"),
        Index("ix_driver_sort_inf_file", func.lower(inf_file), "ci_id"),
    )


class DriverModelRow(Base):
    """A device the driver installs on (one models-section line)."""

    __tablename__ = "driver_model"

    ci_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("driver.ci_id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    manufacturer: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    install_section: Mapped[str] = mapped_column(String(255), default="")
    hardware_id: Mapped[str] = mapped_column(String(512), default="", index=True)
    compatible_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)


class DriverCategoryRow(Base):
    __tablename__ = "driver_category"

    ci_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("driver.ci_id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
