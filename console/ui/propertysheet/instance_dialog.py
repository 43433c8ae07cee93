"""Edit one embedded instance (a schedule token, a driver reference) in a form generated
from its class metadata, with a type chooser when the class has subclasses."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from console.core.classdef import ClassDef
from console.core.errors import Problem, ValidationError
from console.core.instance import Instance
from console.core.sheet_layout import class_title, default_layout
from console.core.validation import Validator
from console.ui.propertysheet.editor_base import EditorContext
from console.ui.propertysheet.form_builder import FormBuilder, caption
from console.ui.propertysheet.instance_text import describe_instance
from console.ui.propertysheet.sheet_values import SheetValues


class InstanceDialog(QDialog):
    def __init__(self, ctx: EditorContext, base_class: str, instance: Instance | None = None,
                 parent: QWidget | None = None, *, title: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(title or f"{class_title(base_class)}")
        self._ctx = ctx
        self._validator = Validator(ctx.registry)
        base = ctx.registry[base_class]
        self._classes: list[ClassDef] = ([] if base.is_abstract else [base]) + list(ctx.registry.subclasses(base_class))
        self._builder: FormBuilder | None = None
        self._values: SheetValues | None = None
        self._form: QWidget | None = None

        self.type_combo = QComboBox(self)
        for cls in self._classes:
            self.type_combo.addItem(class_title(cls.name), cls.name)
        self.type_combo.setAccessibleName("Type")
        self.type_description = caption("", self)
        header = QFormLayout()
        type_label = QLabel("&Type:", self)
        type_label.setBuddy(self.type_combo)
        header.addRow(type_label, self.type_combo)
        header.addRow("", self.type_description)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Summary")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._layout = QVBoxLayout(self)
        self._layout.addLayout(header)
        self._layout.addWidget(self.summary)
        self._layout.addWidget(self.buttons)
        type_label.setVisible(len(self._classes) > 1)
        self.type_combo.setVisible(len(self._classes) > 1)

        start = instance.class_name if instance is not None else self._classes[0].name
        self.type_combo.setCurrentIndex(max(self.type_combo.findData(start), 0))
        self._show_class(self.type_combo.currentData(), dict(instance.values) if instance else {})
        self.type_combo.currentIndexChanged.connect(lambda _i: self._show_class(self.type_combo.currentData()))
        self.resize(460, self.sizeHint().height())

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: EditorContext, base_class: str, instance: Instance | None = None,
            *, title: str = "") -> Instance | None:
        """The edited (or new) instance, or ``None`` when the user cancels."""
        dialog = cls(ctx, base_class, instance, parent, title=title)
        try:
            return dialog.instance() if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()

    @property
    def current_class(self) -> ClassDef:
        return self._ctx.registry[self.type_combo.currentData()]

    @property
    def values(self) -> SheetValues:
        assert self._values is not None
        return self._values

    def instance(self) -> Instance:
        cls = self.current_class
        return self._ctx.coercer.instance(cls, {k: v for k, v in self.values.snapshot().items() if k in cls.properties})

    def editor(self, name: str) -> Any:
        """The editor of property ``name`` in the form (for keyboard focus and tests)."""
        assert self._builder is not None
        for binding in self._builder.bindings:
            if name in binding.properties:
                return binding.focus
        raise KeyError(name)

    def accept(self) -> None:
        problems = self.problems()
        assert self._builder is not None
        for binding in self._builder.bindings:
            binding.show_problems([p.message for p in problems if p.property in binding.properties])
        if problems:
            return
        super().accept()

    def problems(self) -> list[Problem]:
        assert self._builder is not None
        problems = [p for binding in self._builder.bindings for p in binding.local_problems()]
        if problems:
            return problems
        cls = self.current_class
        try:
            instance = self.instance()
        except ValidationError as exc:
            return list(exc.problems)
        for name, prop in cls.properties.items():
            try:
                self._validator.check_value(prop, instance.get(name))
            except ValidationError as exc:
                problems.extend(Problem(name, p.message) for p in exc.problems)
        return problems

    def _show_class(self, class_name: str, carry: dict[str, Any] | None = None) -> None:
        cls = self._ctx.registry[class_name]
        previous = self._values.snapshot() if self._values is not None else {}
        start = {**cls.defaults(), **{k: v for k, v in {**previous, **(carry or {})}.items() if k in cls.properties}}
        self._values = SheetValues(cls, self)
        self._builder = FormBuilder(cls, self._ctx, self._values)
        layout = default_layout(cls)
        form = self._builder.build_tab(layout.tabs[0]) if layout.tabs else caption(f"{cls.name} has no editable properties.", self)
        if self._form is not None:
            self._layout.replaceWidget(self._form, form)
            self._form.deleteLater()
        else:
            self._layout.insertWidget(1, form)
        self._form = form
        self._values.load(start)
        self._values.changed.connect(self._update_summary)
        self.type_description.setText(cls.description)
        self._update_summary()

    def _update_summary(self) -> None:
        try:
            text = describe_instance(self.instance(), self._ctx.registry)
        except ValidationError:
            text = "(incomplete)"
        self.summary.setText(f"<b>Summary:</b> {html.escape(text)}")
