"""Image build jobs (ContextID) as the Monitoring › Jobs node lists them."""

from __future__ import annotations

from console.core.ports import JobRecord
from console.core.services.context import ServiceContext


class Jobs:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def all(self, *, package_id: str | None = None) -> list[JobRecord]:
        with self._ctx.uow() as uow:
            return uow.jobs.list(package_id=package_id)
