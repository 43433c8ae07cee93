"""Status messages: the audit trail and change notifications of the site."""

from __future__ import annotations

from console.core.ports import StatusMessage
from console.core.services.context import ServiceContext


class StatusMessages:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def query(
        self, *, package_id: str | None = None, kind: str | None = None, limit: int = 200
    ) -> list[StatusMessage]:
        with self._ctx.uow() as uow:
            return uow.status.query(package_id=package_id, kind=kind, limit=limit)
