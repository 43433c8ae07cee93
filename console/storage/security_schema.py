"""Security scope tables (migration 0013), on the same ``Base`` as ``console.storage.schema``.

* ``security_scope``: the scopes of the site ("Default" always exists); ``name_key`` (lower case)
  is unique.
* ``administrator`` / ``administrator_scope``: the administrators of a PostgreSQL site and the
  scopes each may see ("All": every object). Their security roles are PostgreSQL role
  memberships (``console.storage.security_sql``), not rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from console.storage.schema import Base


class SecurityScopeRow(Base):
    __tablename__ = "security_scope"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    name_key: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(255), default="", server_default="")


class AdministratorRow(Base):
    __tablename__ = "administrator"

    login: Mapped[str] = mapped_column(String(128), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    added_by: Mapped[str] = mapped_column(String(255), default="", server_default="")


class AdministratorScopeRow(Base):
    __tablename__ = "administrator_scope"

    login: Mapped[str] = mapped_column(String(128), ForeignKey("administrator.login", ondelete="CASCADE"),
                                       primary_key=True)
    scope_name: Mapped[str] = mapped_column(String(255), primary_key=True)
