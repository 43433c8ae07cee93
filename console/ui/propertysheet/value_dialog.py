"""Edit one value that does not fit a table cell (arrays, bits, long text, icons)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from console.core.classdef import PropertyDef
from console.core.errors import ValidationError
from console.core.validation import Validator
from console.ui.propertysheet.bindings import ErrorLabel
from console.ui.propertysheet.editor_base import EditorContext
from console.ui.propertysheet.editor_factory import create_editor
from console.ui.propertysheet.form_builder import caption


@dataclass(frozen=True)
class EditedValue:
    """What the user chose (``value`` may itself be ``None``: a cleared icon)."""

    value: Any


class ValueDialog(QDialog):
    def __init__(self, prop: PropertyDef, ctx: EditorContext, value: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{prop.name} — {prop.display_type}")
        self._prop = prop
        self._ctx = ctx
        header = QLabel(f"<b>{html.escape(prop.name)}</b> &nbsp; {html.escape(prop.display_type)}"
                        f" &nbsp; <span style='color:gray'>{html.escape(prop.qualifier_summary())}</span>", self)
        self.editor = create_editor(prop, ctx, self, label=prop.name)
        self.editor.set_value(value)
        self.error = ErrorLabel(self)
        read_only = prop.is_read_only
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Close if read_only
            else QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
            self,
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(header)
        if prop.description:
            layout.addWidget(caption(prop.description, self))
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.editor.setFocus()
        self.resize(520, 380)

    @classmethod
    def ask(cls, parent: QWidget | None, prop: PropertyDef, ctx: EditorContext, value: Any) -> EditedValue | None:
        dialog = cls(prop, ctx, value, parent)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            return EditedValue(dialog.editor.value())
        finally:
            dialog.deleteLater()

    def accept(self) -> None:
        problem = self.editor.problem()
        if problem is None:
            try:
                value = self._ctx.coercer.coerce(self._prop, self.editor.value())
                Validator(self._ctx.registry).check_value(self._prop, value)
            except ValidationError as exc:
                problem = exc.message
        if problem:
            self.error.show_messages([problem])
            return
        super().accept()
