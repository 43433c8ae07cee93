"""Reading the audit (Monitoring › Audit, ``bootimage audit``) and a status message's changes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from console.core.audit import ACTIONS, AuditQuery, AuditRecord
from console.core.classdef import PropertyDef
from console.core.errors import ConsoleError, ValidationError
from console.core.ports import StatusMessage
from console.core.services.context import ServiceContext
from console.core.services.status_messages import display_value
from console.core.values import ValueCoercer

PACKAGE_CLASS = "SMS_BootImagePackage"

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
        return self.for_messages([message]).get(message.id, [])

    def for_messages(self, messages: Sequence[StatusMessage]) -> dict[int, list[AuditRecord]]:
        """Per message id, the audit records of its transaction (one query for them all)."""
        wanted = {m.id: t for m in messages if isinstance(t := (m.details or {}).get("audit_transaction"), int)}
        if not wanted:
            return {}
        with self._ctx.uow() as uow:
            records = uow.audit.of_transactions(list(wanted.values()))
        found: dict[int, list[AuditRecord]] = {}
        for message in messages:
            transaction = wanted.get(message.id)
            found[message.id] = [r for r in records if r.transaction_id == transaction and transaction is not None
                                 and (not message.package_id or r.package_id in (None, message.package_id))]
        return found

    def message_changes(self, message: StatusMessage) -> list[dict[str, str]]:
        """The values a change replaced, ``[{"property", "old", "new"}]`` in readable forms, from
        the audit records of the message's transaction (a message written before the audit
        existed carries them itself)."""
        return self.messages_changes([message])[message.id]

    def messages_changes(self, messages: Sequence[StatusMessage]) -> dict[int, list[dict[str, str]]]:
        """``message_changes`` of many messages (``bootimage status``) with one query."""
        records = self.for_messages(messages)
        changes: dict[int, list[dict[str, str]]] = {}
        for message in messages:
            own = records.get(message.id)
            if not own:
                changes[message.id] = [dict(c) for c in (message.details or {}).get("changes", ())]
                continue
            rows = [row for record in own for row in self.display_changes(record, prefixed=True)]
            changes[message.id] = sorted(rows, key=lambda row: row["property"])
        return changes

    def display_changes(self, record: AuditRecord, *, prefixed: bool = False) -> list[dict[str, str]]:
        """A record's changes in readable forms (``512 MB``, ``1 (HIGH)``); ``prefixed``: a
        child row's property is named with its object (``OptionalComponent 52 (created): …``)."""
        own = record.object_type == PACKAGE_CLASS
        prefix = "" if own or not prefixed else f"{record.object_type} {record.object_id.rsplit('/', 1)[-1]} ({record.action}): "
        cls = self._ctx.registry[PACKAGE_CLASS]
        rows = []
        for name, pair in record.changes.items():
            old, new = [*pair, None, None][:2]
            prop = cls.properties.get(name) if own else None
            rows.append({"property": prefix + name, "old": self._display(prop, old), "new": self._display(prop, new)})
        return rows

    def _display(self, prop: PropertyDef | None, value: Any) -> str:
        if prop is not None and value is not None:
            try:
                value = ValueCoercer(self._ctx.registry).coerce(prop, value)
            except (ConsoleError, ValueError, TypeError):
                prop = None  # shown as stored (e.g. the length of a binary value)
        return display_value(prop, value)
