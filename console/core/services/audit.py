"""Reading the audit (Monitoring › Audit, ``bootimage audit``) and a status message's changes."""

from __future__ import annotations

from collections.abc import Iterator

from console.core.audit import ACTIONS, AuditQuery, AuditRecord
from console.core.errors import ValidationError
from console.core.ports import StatusMessage
from console.core.services.context import ServiceContext

#: records read per query when streaming (``records``)
BATCH = 500


class Audit:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def query(self, query: AuditQuery) -> list[AuditRecord]:
        """Newest first; ``query.before`` pages on (the id of the last record of a page)."""
        if query.action and query.action not in ACTIONS:
            raise ValidationError.single("Action", f"action must be one of {', '.join(ACTIONS)}; got {query.action!r}")
        if not 1 <= query.limit <= 100_000:
            raise ValidationError.single("Limit", f"limit must be between 1 and 100000; got {query.limit}")
        with self._ctx.uow() as uow:
            return uow.audit.query(query)

    def records(self, query: AuditQuery, limit: int | None = None) -> Iterator[AuditRecord]:
        """Every matching record, newest first, read in batches (``bootimage audit --json``)."""
        left = limit
        before = query.before
        while left is None or left > 0:  # bounded: each batch moves ``before`` down
            size = BATCH if left is None else min(BATCH, left)
            page = self.query(AuditQuery(query.object_id, query.user, query.since, query.action, before, size,
                                         query.transaction_id))
            yield from page
            if len(page) < size:
                return
            before = page[-1].id
            if left is not None:
                left -= len(page)

    def for_message(self, message: StatusMessage) -> list[AuditRecord]:
        """The audit records of the change a status message reports (the same transaction)."""
        transaction = (message.details or {}).get("audit_transaction")
        if not isinstance(transaction, int):
            return []
        with self._ctx.uow() as uow:
            records = uow.audit.query(AuditQuery(transaction_id=transaction, limit=1000))
        return [r for r in records if not message.package_id or r.package_id in (None, message.package_id)]
