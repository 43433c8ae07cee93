"""The one place that picks an editor for a property, from its metadata alone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtWidgets import QWidget

from console.core.classdef import PropertyDef
from console.ui.propertysheet.bytes_editor import BytesEditor
from console.ui.propertysheet.check_list_editors import BitsEditor, ValueListEditor
from console.ui.propertysheet.choice_editors import BoolEditor, ChoiceEditor
from console.ui.propertysheet.editor_base import EditorContext, EditorMixin, read_only_reason
from console.ui.propertysheet.instance_table_editor import InstanceTableEditor
from console.ui.propertysheet.list_editor import ListEditor
from console.ui.propertysheet.number_editors import IntegerEditor, RealEditor, WideIntegerEditor, fits_qspinbox
from console.ui.propertysheet.text_editors import DateTimeEditor, MultiLineEditor, ReadOnlyEditor, TextEditor

#: Longest string value still edited in a table cell; longer ones open a dialog.
INLINE_TEXT_LIMIT = 160


def is_multiline(prop: PropertyDef) -> bool:
    """Free text that deserves several lines: large strings and descriptions/comments."""
    return prop.cim_type == "string" and not prop.is_array and (
        prop.is_large or prop.name.endswith(("Description", "Comment"))
    )


def is_inline(prop: PropertyDef, value: Any = None) -> bool:
    """Can a table cell edit this property (a single short scalar)?"""
    if prop.is_array or prop.is_embedded or prop.is_bits or is_multiline(prop):
        return False
    return not (isinstance(value, str) and ("\n" in value or len(value) > INLINE_TEXT_LIMIT))


def create_editor(
    prop: PropertyDef,
    ctx: EditorContext,
    parent: QWidget | None = None,
    *,
    label: str = "",
    read_only: str = "",
    lines: int = 0,
    placeholder: str = "",
    choice_labels: Mapping[str, str] | None = None,
    inline: bool = False,
) -> Any:
    """An editor widget with the uniform ``value()``/``set_value()``/``changed`` interface.

    ``read_only`` gives a reason to show a writable property read-only; read-only
    properties always get one. ``inline`` asks for a compact editor for a table cell.
    """
    reason = read_only or (read_only_reason(prop) if prop.is_read_only else "")
    common: dict[str, Any] = {"label": label, "read_only": reason}
    editor: EditorMixin
    if prop.is_embedded:
        editor = InstanceTableEditor(prop, ctx, parent, **common)
    elif prop.is_array and prop.cim_type == "uint8":
        editor = BytesEditor(prop, ctx, parent, **common)
    elif prop.is_array and prop.choices:
        editor = ValueListEditor(prop, parent, **common)
    elif prop.is_array:
        editor = ListEditor(prop, ctx.coercer, parent, **common)
    elif reason:
        editor = ReadOnlyEditor(prop, parent, **common)
    elif prop.is_bits:
        editor = BitsEditor(prop, parent, **common)
    elif prop.choices:
        editor = ChoiceEditor(prop, parent, labels=choice_labels, full=inline, **common)
    elif prop.cim_type == "boolean":
        editor = BoolEditor(prop, parent, **common)
    elif prop.integer_range is not None:
        editor = (IntegerEditor if fits_qspinbox(prop) else WideIntegerEditor)(prop, parent, **common)
    elif prop.cim_type in ("real32", "real64"):
        editor = RealEditor(prop, parent, **common)
    elif prop.cim_type == "datetime":
        editor = DateTimeEditor(prop, parent, **common)
    elif not inline and (lines > 1 or is_multiline(prop)):
        editor = MultiLineEditor(prop, parent, lines=lines or 4, placeholder=placeholder, **common)
    else:
        editor = TextEditor(prop, parent, placeholder=placeholder, suggestions=ctx.suggestions.get(prop.name, ()),
                            **common)
    return editor
