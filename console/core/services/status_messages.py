"""Status messages: the audit trail and change notifications of the site.

A "Properties changed" message carries ``details = {"changes": [{"property", "old", "new"}]}``
with each value in its readable display form (``change_details``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from console.core.classdef import ClassDef, PropertyDef
from console.core.instance import Instance
from console.core.ports import StatusMessage
from console.core.schedules import describe_schedule
from console.core.services.context import ServiceContext
from console.core.values import format_value

#: Longest value text kept in a status message; longer ones are cut with their length said.
MAX_VALUE_TEXT = 200
SEVERITIES = ("information", "warning", "error")


def display_value(prop: PropertyDef | None, value: Any) -> str:
    """The readable form of one value for a status message: schedules as sentences, binary
    values and long texts summarised."""
    if value is None or value == "" or value == ():
        return "(empty)"
    if isinstance(value, bytes):
        return f"{len(value):,} bytes of binary data"
    if isinstance(value, tuple) and value and all(isinstance(v, Instance) for v in value):
        texts = [describe_schedule(v) or v.class_name for v in value]
        text = "; ".join(texts)
    elif prop is not None:
        text = format_value(prop, value)
    else:
        text = str(value)
    if len(text) > MAX_VALUE_TEXT:
        return f"{text[:MAX_VALUE_TEXT]}… ({len(text):,} characters)"
    return text


def change_details(cls: ClassDef, old: Mapping[str, Any], changed: Mapping[str, Any]) -> dict[str, Any]:
    """``{"changes": [{"property", "old", "new"}, …]}`` in property-name order."""
    changes = []
    for name in sorted(changed):
        prop = cls.properties.get(name)
        changes.append({"property": name, "old": display_value(prop, old.get(name)),
                        "new": display_value(prop, changed[name])})
    return {"changes": changes}


def matches(message: StatusMessage, *, severity: str | None = None, text: str = "") -> bool:
    """Severity exact; ``text`` a case-insensitive part of the message, user, package or a change."""
    if severity and message.severity != severity:
        return False
    if not text:
        return True
    needle = text.lower()
    haystack = [message.text, message.user, message.package_id or "", message.kind]
    for change in (message.details or {}).get("changes", ()):
        haystack.extend(str(change.get(k, "")) for k in ("property", "old", "new"))
    return any(needle in part.lower() for part in haystack)


class StatusMessages:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def query(
        self, *, package_id: str | None = None, kind: str | None = None, limit: int = 200,
        severity: str | None = None, text: str = "", before: int | None = None,
    ) -> list[StatusMessage]:
        """Newest first. ``severity`` is a query (an index: every message of that severity, however
        old); ``text`` searches the newest 10,000 messages that pass the other filters. ``before``:
        only messages older than that id (the next page after a page's last message)."""
        if severity and severity not in SEVERITIES:
            from console.core.errors import ValidationError

            raise ValidationError.single("Severity", f"severity must be one of {', '.join(SEVERITIES)}; got {severity!r}")
        with self._ctx.uow() as uow:
            messages = uow.status.query(package_id=package_id, kind=kind, severity=severity or None, before=before,
                                        limit=max(limit, 10_000) if text else limit)
        if text:
            messages = [m for m in messages if matches(m, text=text)]
        return messages[:limit]
