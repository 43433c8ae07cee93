"""Site database tables (SQLAlchemy 2.x typed declarative mapping).

Package columns carry ``info={"cim": "<PropertyName>"}``: the repository maps class
properties to columns through it. Lazy and large properties are deferred columns,
loaded only when a caller asks for them (as WMI lazy properties are). Properties the
metadata gains later without a column are kept in ``extra_properties``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from console.storage.text_search import TextSearch

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

UInt32 = BigInteger  # CIM UInt32 does not fit a signed 32-bit INTEGER on PostgreSQL


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def prop(column_type: Any, name: str, *, lazy: bool = False, **kwargs: Any) -> Any:
    """A column that stores the class property ``name``."""
    return mapped_column(column_type, info={"cim": name}, deferred=lazy, **kwargs)


class SiteRow(Base):
    __tablename__ = "site"

    site_code: Mapped[str] = mapped_column(String(3), primary_key=True)
    site_name: Mapped[str] = mapped_column(String(255))
    is_local: Mapped[bool] = mapped_column(Boolean, default=False)
    next_package_number: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


#: The unique index on (object_type, parent_id, lower(name)) of folders.
FOLDER_NAME_INDEX = "ux_console_folder_name"


class FolderRow(Base):
    __tablename__ = "console_folder"

    container_node_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255))
    parent_id: Mapped[int] = mapped_column(Integer, default=0, index=True)
    object_type: Mapped[int] = mapped_column(Integer, default=19)
    folder_guid: Mapped[str] = mapped_column(String(36))
    source_site: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    # sub-folders of one folder have different names without regard to case (0016)
    __table_args__ = (Index(FOLDER_NAME_INDEX, "object_type", "parent_id", func.lower(name), unique=True),)


#: the search box's index over ``boot_image_package.search_text`` (migration 0010)
PACKAGE_SEARCH = TextSearch("boot_image_package", "search_text", short_scan_on_table=True)  # see 0004's indexes
#: Sortable list columns with an index of their own (0010): (column, sorted as lower(column))
SORTED_COLUMNS = (
    ("name", True), ("package_id", True), ("version", True), ("architecture", True), ("image_os_version", True),
    ("language", True), ("package_size", False), ("scratch_space", False), ("source_version", False),
    ("source_date", False), ("description", True), ("default_image", False),
)


#: The unique index on lower(name) of boot image packages (package_repository maps its violation
#: to DuplicateNameError).
PACKAGE_NAME_INDEX = "ux_boot_image_package_name"


class PackageRow(Base):
    __tablename__ = "boot_image_package"

    package_id: Mapped[str] = prop(String(8), "PackageID", primary_key=True)
    name: Mapped[str] = prop(String(50), "Name")
    version: Mapped[str] = prop(String(32), "Version", default="")
    description: Mapped[str] = prop(String(127), "Description", default="")
    language: Mapped[str] = prop(String(32), "Language", default="")
    manufacturer: Mapped[str] = prop(String(32), "Manufacturer", default="")
    mif_filename: Mapped[str] = prop(String(50), "MIFFilename", default="")
    mif_name: Mapped[str] = prop(String(50), "MIFName", default="")
    mif_publisher: Mapped[str] = prop(String(32), "MIFPublisher", default="")
    mif_version: Mapped[str] = prop(String(32), "MIFVersion", default="")
    architecture: Mapped[str] = prop(String(8), "Architecture", default="")
    default_image: Mapped[bool] = prop(Boolean, "DefaultImage", default=False)
    deploy_from_pxe: Mapped[bool] = prop(Boolean, "DeployFromPxeDistributionPoint", default=False)
    image_os_version: Mapped[str] = prop(String(64), "ImageOSVersion", default="")
    image_path: Mapped[str] = prop(Text, "ImagePath", default="")
    input_locale: Mapped[str] = prop(String(85), "InputLocale", default="")
    num_of_programs: Mapped[int] = prop(UInt32, "NumOfPrograms", default=0)
    package_size: Mapped[int] = prop(UInt32, "PackageSize", default=0)
    package_type: Mapped[int] = prop(UInt32, "PackageType", default=258)
    pkg_flags: Mapped[int] = prop(UInt32, "PkgFlags", default=0)
    pkg_source_flag: Mapped[int] = prop(UInt32, "PkgSourceFlag", default=2)
    pkg_source_path: Mapped[str] = prop(Text, "PkgSourcePath", default="")
    pre_exec_source_directory: Mapped[str] = prop(Text, "PreExecSourceDirectory", default="")
    preferred_address_type: Mapped[str] = prop(String(32), "PreferredAddressType", default="")
    priority: Mapped[int] = prop(UInt32, "Priority", default=2)
    sedo_object_version: Mapped[str] = prop(String(36), "SedoObjectVersion")
    share_name: Mapped[str] = prop(String(127), "ShareName", default="")
    share_type: Mapped[int] = prop(UInt32, "ShareType", default=1)
    source_date: Mapped[datetime | None] = prop(DateTime(timezone=True), "SourceDate", nullable=True)
    source_site: Mapped[str] = prop(String(3), "SourceSite")
    source_version: Mapped[int] = prop(UInt32, "SourceVersion", default=0)
    stored_pkg_path: Mapped[str] = prop(Text, "StoredPkgPath", default="")
    stored_pkg_version: Mapped[int] = prop(UInt32, "StoredPkgVersion", default=0)
    action_in_progress: Mapped[int] = prop(UInt32, "ActionInProgress", default=0)
    forced_disconnect_delay: Mapped[int] = prop(UInt32, "ForcedDisconnectDelay", default=5)
    forced_disconnect_enabled: Mapped[bool] = prop(Boolean, "ForcedDisconnectEnabled", default=False)
    forced_disconnect_num_retries: Mapped[int] = prop(UInt32, "ForcedDisconnectNumRetries", default=2)
    ignore_address_schedule: Mapped[bool] = prop(Boolean, "IgnoreAddressSchedule", default=False)
    last_refresh_time: Mapped[datetime | None] = prop(DateTime(timezone=True), "LastRefreshTime", nullable=True)
    localized_category_instance_names: Mapped[list[str]] = prop(JSON, "LocalizedCategoryInstanceNames", default=list)
    secured_scope_names: Mapped[list[str]] = prop(JSON, "SecuredScopeNames", default=list)
    # large: fetched on demand
    icon: Mapped[bytes | None] = prop(LargeBinary, "Icon", lazy=True, nullable=True)
    # lazy properties
    alternate_content_providers: Mapped[str] = prop(Text, "AlternateContentProviders", lazy=True, default="")
    background_bitmap_path: Mapped[str] = prop(Text, "BackgroundBitmapPath", lazy=True, default="")
    context_id: Mapped[str] = prop(String(64), "ContextID", lazy=True, default="")
    enable_lab_shell: Mapped[bool] = prop(Boolean, "EnableLabShell", lazy=True, default=False)
    extended_data: Mapped[bytes | None] = prop(LargeBinary, "ExtendedData", lazy=True, nullable=True)
    extended_data_size: Mapped[int] = prop(UInt32, "ExtendedDataSize", lazy=True, default=0)
    icon_size: Mapped[int] = prop(UInt32, "IconSize", lazy=True, default=0)
    image_disk_layout: Mapped[str] = prop(Text, "ImageDiskLayout", lazy=True, default="")
    image_index: Mapped[int] = prop(UInt32, "ImageIndex", lazy=True, default=1)
    image_property: Mapped[str] = prop(Text, "ImageProperty", lazy=True, default="")
    isv_data: Mapped[bytes | None] = prop(LargeBinary, "ISVData", lazy=True, nullable=True)
    isv_data_size: Mapped[int] = prop(UInt32, "ISVDataSize", lazy=True, default=0)
    pre_exec_command_line: Mapped[str] = prop(Text, "PreExecCommandLine", lazy=True, default="")
    refresh_pkg_source_flag: Mapped[bool] = prop(Boolean, "RefreshPkgSourceFlag", lazy=True, default=False)
    scratch_space: Mapped[int] = prop(UInt32, "ScratchSpace", lazy=True, default=512)
    # bookkeeping (not class properties)
    extra_properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    folder_id: Mapped[int | None] = mapped_column(
        ForeignKey("console_folder.container_node_id"), nullable=True, index=True
    )
    search_text: Mapped[str] = mapped_column(Text, default="")
    last_modified_by: Mapped[str] = mapped_column(String(255), default="")
    last_modified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # the source WIM when its image facts were read (size, modification time, WIM GUID): the
    # build's pre-flight compares it with the file; all NULL when never recorded (0008)
    source_file_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True, deferred=True)
    source_file_mtime_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True, deferred=True)
    source_wim_guid: Mapped[str | None] = mapped_column(String(32), nullable=True, deferred=True)

    __table_args__ = (
        # The package list sorts by lower(name) and filters on search_text; these covering
        # indexes let a site with 100,000 packages answer a page in milliseconds.
        Index("ix_boot_image_package_folder_list", "folder_id", func.lower(name), "package_id", "search_text"),
        Index("ix_boot_image_package_list", func.lower(name), "package_id", "search_text"),
        # Names are unique in the site without regard to case (0016): the database holds the
        # rule when two consoles create or rename at the same moment.
        Index(PACKAGE_NAME_INDEX, func.lower(name), unique=True),
        # Every other sortable column (0010): the list's order, package_id as tie-break,
        # folder_id (and the column itself beside lower(column)) carried so that a page's
        # keys are read from the index alone.
        *(Index(f"ix_boot_image_package_sort_{key}", text(f"lower({key})") if lower else key, "package_id", "folder_id",
                *([key] if lower and key != "package_id" else []))
          for key, lower in SORTED_COLUMNS),
    )


class OptionalComponentRow(Base):
    __tablename__ = "package_optional_component"

    package_id: Mapped[str] = mapped_column(
        ForeignKey("boot_image_package.package_id", ondelete="CASCADE"), primary_key=True
    )
    component_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class DriverReferenceRow(Base):
    __tablename__ = "package_driver"

    package_id: Mapped[str] = mapped_column(
        ForeignKey("boot_image_package.package_id", ondelete="CASCADE"), primary_key=True
    )
    ci_id: Mapped[int] = mapped_column(UInt32, primary_key=True)
    source_path: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)


class ScheduleTokenRow(Base):
    """One SMS_ScheduleToken of a package's RefreshSchedule (union of the subclasses' columns)."""

    __tablename__ = "package_refresh_schedule"

    package_id: Mapped[str] = mapped_column(
        ForeignKey("boot_image_package.package_id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_class: Mapped[str] = mapped_column(String(64))
    start_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, info={"cim": "StartTime"})
    is_gmt: Mapped[bool] = mapped_column(Boolean, default=False, info={"cim": "IsGMT"})
    day_duration: Mapped[int] = mapped_column(Integer, default=0, info={"cim": "DayDuration"})
    hour_duration: Mapped[int] = mapped_column(Integer, default=0, info={"cim": "HourDuration"})
    minute_duration: Mapped[int] = mapped_column(Integer, default=0, info={"cim": "MinuteDuration"})
    day_span: Mapped[int | None] = mapped_column(Integer, nullable=True, info={"cim": "DaySpan"})
    hour_span: Mapped[int | None] = mapped_column(Integer, nullable=True, info={"cim": "HourSpan"})
    minute_span: Mapped[int | None] = mapped_column(Integer, nullable=True, info={"cim": "MinuteSpan"})
    day: Mapped[int | None] = mapped_column(Integer, nullable=True, info={"cim": "Day"})
    for_number_of_weeks: Mapped[int | None] = mapped_column(Integer, nullable=True, info={"cim": "ForNumberOfWeeks"})
    for_number_of_months: Mapped[int | None] = mapped_column(Integer, nullable=True, info={"cim": "ForNumberOfMonths"})
    month_day: Mapped[int | None] = mapped_column(Integer, nullable=True, info={"cim": "MonthDay"})
    week_order: Mapped[int | None] = mapped_column(Integer, nullable=True, info={"cim": "WeekOrder"})
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class StatusMessageRow(Base):
    __tablename__ = "status_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    package_id: Mapped[str | None] = mapped_column(String(8), nullable=True, index=True)
    text: Mapped[str] = mapped_column(Text)
    user: Mapped[str] = mapped_column(String(255))
    site_code: Mapped[str] = mapped_column(String(3))
    #: Structured facts behind the text, e.g. {"changes": [{"property": P, "old": O, "new": N}]}.
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    __table_args__ = (Index("ix_status_message_severity", "severity", "id"), Index("ix_status_message_kind", "kind", "id"))


class JobRow(Base):
    """A job of the job engine (``console.core.jobs``); ``context_id`` is the WMI ContextID."""

    __tablename__ = "job"

    context_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    package_id: Mapped[str | None] = mapped_column(String(8), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    step: Mapped[str] = mapped_column(String(64), default="")
    #: [{"step", "worker", "finished_at", "result"}] in the order the steps completed
    completed_steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    checkpoint: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    progress: Mapped[int] = mapped_column(BigInteger, default=0)
    max_progress: Mapped[int] = mapped_column(BigInteger, default=0)
    progress_text: Mapped[str] = mapped_column(Text, default="")
    error_code: Mapped[int] = mapped_column(UInt32, default=0)
    extended_error_info: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    queued_by: Mapped[str] = mapped_column(String(255), default="")
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    # the lease: which worker holds the job, until when
    worker_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_job_state_queued_at", "state", "queued_at"), Index("ix_job_queued_at", "queued_at", "context_id"))


class WorkerRow(Base):
    """A running ``bootimage worker``; a recent ``heartbeat_at`` means it is alive."""

    __tablename__ = "worker"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    user: Mapped[str] = mapped_column(String(255))
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class SiteSettingRow(Base):
    """Site-wide settings shared by every console of the site (e.g. the Windows ADK folder)."""

    __tablename__ = "site_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    modified_by: Mapped[str] = mapped_column(String(255), default="")
    modified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
