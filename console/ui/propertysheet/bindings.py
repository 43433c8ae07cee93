"""Bindings between form controls and the sheet's values, and inline error labels.

A field binding connects an editor to one property. Check boxes and radio options bind
to a Boolean, one bit, a value or the presence of a value (``console.core.sheet_layout.
Binding``); the controls nested under them are enabled only while they are selected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QButtonGroup, QCheckBox, QLabel, QRadioButton, QWidget

from console.core.errors import Problem
from console.core.sheet_layout import Binding, RadioGroupItem, humanize
from console.ui.propertysheet.sheet_values import SheetValues


class ErrorLabel(QLabel):
    """A problem reported for the control above it; hidden while there is none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setObjectName("fieldError")
        self.setTextFormat(Qt.TextFormat.PlainText)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.WindowText, Qt.GlobalColor.red)
        self.setPalette(palette)
        self.setAccessibleName("Error")
        self.hide()

    def show_messages(self, messages: Sequence[str]) -> None:
        self.setText("\n".join(messages))
        self.setVisible(bool(messages))


class SheetBinding(QObject):
    """What the sheet asks of every binding."""

    properties: tuple[str, ...] = ()

    def __init__(self, values: SheetValues, error: ErrorLabel, focus: QWidget) -> None:
        super().__init__(focus)
        self.values = values
        self.error = error
        self.focus = focus
        values.value_changed.connect(self._value_changed)
        values.reset.connect(self.sync)

    def _value_changed(self, name: str) -> None:
        if name in self.properties:
            self.on_value_changed(name)

    def on_value_changed(self, name: str) -> None:
        self.sync()

    def sync(self) -> None:
        raise NotImplementedError

    def local_problems(self) -> list[Problem]:
        return []

    def show_problems(self, messages: Sequence[str]) -> None:
        self.error.show_messages(messages)


class FieldBinding(SheetBinding):
    def __init__(self, editor: Any, values: SheetValues, name: str, error: ErrorLabel) -> None:
        super().__init__(values, error, editor)
        self.editor = editor
        self.properties = (name,)
        editor.changed.connect(self._edited)

    @property
    def name(self) -> str:
        return self.properties[0]

    def _edited(self) -> None:
        self.values.set(self.name, self.editor.value())

    def sync(self) -> None:
        loaded = self.values.is_loaded(self.name)
        value = self.values.get(self.name)
        if self.editor.value() != value or not loaded:
            self.editor.set_value(value)
        if not loaded:
            self.editor.setEnabled(False)
            self.editor.setToolTip(f"{self.name} was not loaded")

    def local_problems(self) -> list[Problem]:
        problem = self.editor.problem()
        return [Problem(self.name, problem)] if problem else []


def _presence_problem(binding: Binding, label: str) -> Problem:
    shown = label.replace("&", "").rstrip(":")
    return Problem(
        binding.property,
        f"“{shown}” is selected, but {humanize(binding.property).lower()} is empty: fill it in or change the selection.",
    )


class CheckBinding(SheetBinding):
    def __init__(self, check: QCheckBox, values: SheetValues, binding: Binding, error: ErrorLabel,
                 children: QWidget | None, read_only: str = "") -> None:
        super().__init__(values, error, check)
        self.check = check
        self.binding = binding
        self.dependents = children
        self.properties = (binding.property,)
        if read_only:
            check.setEnabled(False)
        check.clicked.connect(self._clicked)

    def _clicked(self, checked: bool) -> None:
        name = self.binding.property
        self.values.set(name, self.binding.apply(self.values.get(name), checked))
        self._sync_children()

    def on_value_changed(self, name: str) -> None:
        on = self.binding.is_on(self.values.get(name))
        if self.binding.presence and not on and self.check.isChecked():
            return  # the user is still typing the value this box asks for
        self.check.setChecked(on)
        self._sync_children()

    def sync(self) -> None:
        self.check.setChecked(self.binding.is_on(self.values.get(self.binding.property)))
        self._sync_children()

    def _sync_children(self) -> None:
        if self.dependents is not None:
            self.dependents.setEnabled(self.check.isChecked())

    def local_problems(self) -> list[Problem]:
        value = self.values.get(self.binding.property)
        if self.binding.presence and not self.binding.invert and self.check.isChecked() and not value:
            return [_presence_problem(self.binding, self.check.text())]
        return []


class RadioBinding(SheetBinding):
    """A radio group: the first option whose binding holds is the selected one."""

    def __init__(self, item: RadioGroupItem, buttons: Sequence[QRadioButton], children: Sequence[QWidget | None],
                 values: SheetValues, error: ErrorLabel, read_only: str = "") -> None:
        super().__init__(values, error, buttons[0])
        self.item = item
        self.buttons = list(buttons)
        self.dependents = list(children)
        self.properties = tuple(dict.fromkeys(o.binding.property for o in item.options if o.binding))
        self.group = QButtonGroup(self)
        for index, button in enumerate(self.buttons):
            self.group.addButton(button, index)
            if item.options[index].binding is None or read_only:
                button.setEnabled(False)
        self.group.idClicked.connect(self._clicked)

    def _clicked(self, index: int) -> None:
        binding = self.item.options[index].binding
        if binding is not None:
            self.values.set(binding.property, binding.apply(self.values.get(binding.property), True))
        self._sync_children()

    def _holding(self) -> int | None:
        for index, option in enumerate(self.item.options):
            if option.binding is not None and option.binding.is_on(self.values.get(option.binding.property)):
                return index
        return None

    def on_value_changed(self, name: str) -> None:
        selected = self.group.checkedId()
        if selected >= 0:
            binding = self.item.options[selected].binding
            if binding is not None:
                holds = binding.is_on(self.values.get(binding.property))
                typing = binding.presence and not binding.invert
                if holds or typing:
                    return
        self.sync()

    def sync(self) -> None:
        index = self._holding()
        if index is None:
            self.group.setExclusive(False)
            for button in self.buttons:
                button.setChecked(False)
            self.group.setExclusive(True)
        else:
            self.buttons[index].setChecked(True)
        self._sync_children()

    def _sync_children(self) -> None:
        selected = self.group.checkedId()
        for index, child in enumerate(self.dependents):
            if child is not None:
                child.setEnabled(index == selected)

    def local_problems(self) -> list[Problem]:
        selected = self.group.checkedId()
        if selected < 0:
            return []
        binding = self.item.options[selected].binding
        if binding is not None and binding.presence and not binding.invert and not self.values.get(binding.property):
            return [_presence_problem(binding, self.buttons[selected].text())]
        return []
