"""The audit table and what is audited (migration 0015).

``AUDITED`` names, per table, the object type an audit record gives its rows, the columns that
make the object id, name and package, and the audited columns with the property name a record
uses for each (the WMI name where the column stores a class property: ``prop(...)`` in
``schema.py``). Columns left out are bookkeeping or churn that is not an administrator's change:
``SedoObjectVersion``, last-modified stamps, search text, source-file fingerprints, a DP's
version / free space / last contact, the counters of ``site``, and a package's state on a DP.
Tables left out entirely: jobs and workers (heartbeats, leases, progress: status messages cover
job events), status messages, content summary counters and the content change counter, driver
models (derived from the INF with the driver), id sequences.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from console.storage.schema import Base, PackageRow

#: Package columns that are not audited although they store a property or a setting
PACKAGE_NOT_AUDITED = {"sedo_object_version", "search_text", "last_modified_by", "last_modified_at",
                       "source_file_size", "source_file_mtime_ns", "source_wim_guid"}


class AuditRecordRow(Base):
    """One audited change or refusal. Written only by the database's own triggers and functions
    (PostgreSQL: no role but the owner may insert, change or delete a row)."""

    __tablename__ = "audit_record"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    login: Mapped[str] = mapped_column(String(255))
    on_behalf_of: Mapped[str] = mapped_column(String(255), default="")
    client: Mapped[str] = mapped_column(String(255), default="")
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(128))
    object_name: Mapped[str] = mapped_column(String(255), default="")
    package_id: Mapped[str | None] = mapped_column(String(8), nullable=True)
    action: Mapped[str] = mapped_column(String(16))
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")
    attempted: Mapped[str] = mapped_column(String(64), default="")
    transaction_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (
        Index("ix_audit_record_object_id", "object_id", "id"),
        Index("ix_audit_record_package_id", "package_id", "id"),
        Index("ix_audit_record_login", "login", "id"),
        Index("ix_audit_record_on_behalf_of", "on_behalf_of", "id"),
        Index("ix_audit_record_action", "action", "id"),
        Index("ix_audit_record_transaction_id", "transaction_id"),
    )


@dataclass(frozen=True)
class AuditedTable:
    table: str
    object_type: str
    id_columns: tuple[str, ...]
    properties: dict[str, str]  # column -> property name in the record
    name_column: str | None = None
    package_column: str | None = None


def _package_properties() -> dict[str, str]:
    props = {c.name: str(c.info["cim"]) for c in PackageRow.__table__.columns
             if "cim" in c.info and c.name not in PACKAGE_NOT_AUDITED}
    props["folder_id"] = "ContainerNodeID"
    props["extra_properties"] = "OtherProperties"
    return props


AUDITED: tuple[AuditedTable, ...] = (
    AuditedTable("boot_image_package", "SMS_BootImagePackage", ("package_id",), _package_properties(),
                 name_column="name", package_column="package_id"),
    AuditedTable("package_optional_component", "OptionalComponent", ("package_id", "component_id"),
                 {"component_id": "ComponentID"}, package_column="package_id"),
    AuditedTable("package_driver", "SMS_Driver_Details", ("package_id", "ci_id"),
                 {"ci_id": "ID", "source_path": "SourcePath"}, package_column="package_id"),
    AuditedTable("package_refresh_schedule", "SMS_ScheduleToken", ("package_id", "position"),
                 {"token_class": "TokenClass", "start_time": "StartTime", "is_gmt": "IsGMT",
                  "day_duration": "DayDuration", "hour_duration": "HourDuration", "minute_duration": "MinuteDuration",
                  "day_span": "DaySpan", "hour_span": "HourSpan", "minute_span": "MinuteSpan", "day": "Day",
                  "for_number_of_weeks": "ForNumberOfWeeks", "for_number_of_months": "ForNumberOfMonths",
                  "month_day": "MonthDay", "week_order": "WeekOrder", "extra": "OtherProperties"},
                 package_column="package_id"),
    AuditedTable("driver", "SMS_Driver", ("ci_id",),
                 {"ci_unique_id": "CI_UniqueID", "name": "LocalizedDisplayName", "driver_class": "DriverClass",
                  "class_guid": "DriverClassGuid", "provider": "DriverProvider", "driver_version": "DriverVersion",
                  "driver_date": "DriverDate", "inf_file": "DriverINFFile", "content_source_path": "ContentSourcePath",
                  "catalog_file": "DriverCatalogFile", "signed": "DriverSigned", "enabled": "IsEnabled",
                  "architectures": "Architectures", "size_bytes": "Size", "source_site": "SourceSite",
                  "secured_scope_names": "SecuredScopeNames"},
                 name_column="name"),
    AuditedTable("driver_category", "SMS_CategoryInstance", ("ci_id", "name"), {"name": "LocalizedCategoryInstanceName"}),
    AuditedTable("distribution_point", "SMS_DistributionPointInfo", ("id",),
                 {"name": "Name", "transport": "Transport", "address": "Address", "site_code": "SiteCode",
                  "description": "Description", "credential": "Credential", "username": "UserName", "pxe": "IsPXE",
                  "maintenance": "MaintenanceMode", "rate_limit_kbps": "RateLimitKbps", "schedule": "Schedule",
                  "concurrency": "Concurrency", "library_root": "LibraryRoot",
                  "secured_scope_names": "SecuredScopeNames"},
                 name_column="name"),
    AuditedTable("dp_group", "SMS_DistributionPointGroup", ("id",), {"name": "Name", "description": "Description"},
                 name_column="name"),
    AuditedTable("dp_group_member", "SMS_DPGroupMembers", ("group_id", "dp_id"), {"group_id": "GroupID", "dp_id": "DPID"}),
    AuditedTable("dp_group_package", "SMS_DPGroupPackages", ("group_id", "package_id"),
                 {"group_id": "GroupID", "package_id": "PkgID"}, package_column="package_id"),
    AuditedTable("package_dp", "SMS_DistributionPoint", ("package_id", "dp_id"),
                 {"package_id": "PackageID", "dp_id": "DPID", "direct": "Direct"}, package_column="package_id"),
    AuditedTable("site_setting", "SiteSetting", ("key",), {"value": "Value"}, name_column="key"),
    AuditedTable("console_folder", "SMS_ObjectContainerNode", ("container_node_id",),
                 {"name": "Name", "parent_id": "ParentContainerNodeID", "object_type": "ObjectType",
                  "folder_guid": "FolderGuid", "source_site": "SourceSite"}, name_column="name"),
    AuditedTable("site", "SMS_Site", ("site_code",), {"site_name": "SiteName", "is_local": "IsLocal"},
                 name_column="site_name"),
    # the tables of the other team features (issue 13 §2, §3): audited once their migrations ran
    # (triggers are made for the tables and columns a database has; see audit_sql._present).
    # A lock's heartbeat is churn: only taking, taking over and releasing are records.
    AuditedTable("object_lock", "SEDO_Lock", ("object_type", "object_id"),
                 {"holder_login": "AssignedUser", "console_host": "AssignedMachine", "console_pid": "AssignedProcess",
                  "purpose": "Purpose", "acquired_at": "AssignedTime"}, name_column="object_id"),
    AuditedTable("security_scope", "SMS_SecuredCategory", ("name",), {"name": "CategoryName", "description": "CategoryDescription"},
                 name_column="name"),
    AuditedTable("administrator", "SMS_Admin", ("login",), {"login": "LogonName"}, name_column="login"),
    AuditedTable("administrator_scope", "SMS_Admin_Scope", ("login", "scope_name"),
                 {"login": "LogonName", "scope_name": "CategoryName"}, name_column="login"),
)


class AuditContextRow(Base):
    """SQLite only: who the transaction that holds the write lock acts as (one row, written at the
    start of each write transaction and removed before its commit; see ``audit_sql``). The
    audit triggers read it; a write from outside the console (plain ``sqlite3``) finds none."""

    __tablename__ = "audit_context"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    login: Mapped[str] = mapped_column(String(255))
    on_behalf_of: Mapped[str] = mapped_column(String(255), default="")
    client: Mapped[str] = mapped_column(String(255), default="")
    transaction_id: Mapped[int] = mapped_column(BigInteger)
