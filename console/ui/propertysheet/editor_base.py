"""What every property editor shares: the uniform value interface, tooltips, read-only."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import Signal

from console.core.classdef import ClassRegistry, PropertyDef
from console.core.sheet_layout import humanize
from console.core.validation import UNIT_NAMES
from console.core.values import ValueCoercer

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from console.core.instance import Instance
    from console.ui.tasks import TaskRunner


class InstanceOpener(Protocol):
    """Opens the dialog that edits one embedded instance (``InstanceDialog.ask``): the edited
    or new instance, or ``None`` when the user cancels. Passed in through ``EditorContext`` so
    that the editors do not import the dialog that is built from them."""

    def __call__(self, parent: QWidget | None, ctx: EditorContext, base_class: str, instance: Instance | None = None,
                 *, title: str = "") -> Instance | None: ...


@dataclass(frozen=True)
class EditorContext:
    """Services editors may need: metadata (subclass choosers), coercion, background work."""

    registry: ClassRegistry
    coercer: ValueCoercer
    tasks: TaskRunner | None = None
    open_instance: InstanceOpener | None = None
    #: Known values a text property is offered (property name -> (value, label)), e.g. InputLocale.
    suggestions: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)
    #: A button beside a field (property name -> (button text, action given the editor)), e.g.
    #: Choose… beside Image index.
    field_buttons: Mapping[str, tuple[str, Callable[[Any], None]]] = field(default_factory=dict)

    @classmethod
    def for_registry(cls, registry: ClassRegistry, tasks: TaskRunner | None = None,
                     open_instance: InstanceOpener | None = None) -> EditorContext:
        return cls(registry, ValueCoercer(registry), tasks, open_instance)


def read_only_reason(prop: PropertyDef) -> str:
    if prop.is_key:
        return f"{prop.name} is the key of the object: it is assigned when the object is created and never changes."
    return f"{prop.name} is read-only: the site maintains it."


def unit_suffix(prop: PropertyDef) -> str:
    unit = UNIT_NAMES.get(prop.units, prop.units)
    return f" {unit}" if unit else ""


def tooltip_for(prop: PropertyDef, reason: str = "") -> str:
    """Rich-text tooltip (so Qt wraps it): the Description, why it is read-only, the type."""
    parts = []
    if prop.description:
        parts.append(f"<p>{html.escape(prop.description, quote=False)}</p>")
    if reason:
        parts.append(f"<p><i>{html.escape(reason, quote=False)}</i></p>")
    facts = " · ".join(p for p in (prop.name, prop.display_type, prop.qualifier_summary()) if p)
    parts.append(f"<p style='color:gray'>{html.escape(facts, quote=False)}</p>")
    return "".join(parts)


def accessible_label(text: str, prop: PropertyDef) -> str:
    """``&Name:`` → ``Name``; falls back to the humanized property name."""
    cleaned = text.replace("&&", "\0").replace("&", "").replace("\0", "&").strip().rstrip(":").strip()
    return cleaned or humanize(prop.name)


class EditorMixin:
    """The uniform editor interface, mixed into each Qt editor class.

    ``value()`` returns the canonical Python value (as ``ValueCoercer`` produces it),
    ``set_value()`` shows a value without emitting ``changed``, ``changed`` fires when
    the user edits. ``problem()`` names input that cannot become a value (half-typed
    numbers); ``set_read_only`` shows the value but refuses edits.
    """

    changed = Signal()
    prop: PropertyDef
    _updating: bool = False
    _read_only_reason: str = ""

    def init_editor(self, prop: PropertyDef, label: str = "", read_only: str = "") -> None:
        self.prop = prop
        widget: Any = self
        widget.setAccessibleName(accessible_label(label, prop))
        widget.setAccessibleDescription(prop.description)
        widget.setToolTip(tooltip_for(prop, read_only))
        widget.setObjectName(f"editor_{prop.name}")
        if read_only:
            self._read_only_reason = read_only
            self.set_read_only(True)

    @property
    def read_only(self) -> bool:
        return bool(self._read_only_reason)

    @contextmanager
    def updating(self) -> Iterator[None]:
        """Programmatic change: do not report it as a user edit."""
        previous, self._updating = self._updating, True
        try:
            yield
        finally:
            self._updating = previous

    def emit_changed(self, *_args: object) -> None:
        if not self._updating:
            widget: Any = self  # the Qt editor class this is mixed into holds the signal
            widget.changed.emit()

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def problem(self) -> str | None:
        return None

    def set_read_only(self, read_only: bool) -> None:
        raise NotImplementedError
