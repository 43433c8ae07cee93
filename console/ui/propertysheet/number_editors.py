"""Integer editors with the property's range: ``Range`` qualifier, else the CIM type's."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QAbstractSpinBox, QDoubleSpinBox, QSpinBox, QWidget

from console.core.classdef import PropertyDef
from console.ui.propertysheet.editor_base import EditorMixin, unit_suffix

INT32_RANGE = (-(2**31), 2**31 - 1)


def integer_bounds(prop: PropertyDef) -> tuple[int, int]:
    return prop.value_range or prop.integer_range or INT32_RANGE


def fits_qspinbox(prop: PropertyDef) -> bool:
    low, high = integer_bounds(prop)
    return INT32_RANGE[0] <= low and high <= INT32_RANGE[1]


class IntegerEditor(EditorMixin, QSpinBox):
    """Integers whose range fits Qt's 32-bit spin box (``Range("0-31")``, UInt16...)."""

    def __init__(self, prop: PropertyDef, parent: QWidget | None = None, *, label: str = "",
                 read_only: str = "") -> None:
        super().__init__(parent)
        low, high = integer_bounds(prop)
        self.setRange(low, high)
        self.setSuffix(unit_suffix(prop))
        self.setAccelerated(True)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("0000000") + 24)
        self.valueChanged.connect(self.emit_changed)
        self.init_editor(prop, label, read_only)

    def value(self) -> Any:
        return QSpinBox.value(self)

    def set_value(self, value: Any) -> None:
        with self.updating():
            self.setValue(int(value or 0))

    def set_read_only(self, read_only: bool) -> None:
        self.setReadOnly(read_only)
        self.setButtonSymbols(
            QAbstractSpinBox.ButtonSymbols.NoButtons if read_only else QAbstractSpinBox.ButtonSymbols.UpDownArrows
        )


class WideIntegerEditor(EditorMixin, QAbstractSpinBox):
    """A spin box for ranges beyond 32 bits (UInt32, UInt64, SInt64) with Python integers."""

    def __init__(self, prop: PropertyDef, parent: QWidget | None = None, *, label: str = "",
                 read_only: str = "") -> None:
        super().__init__(parent)
        self._low, self._high = integer_bounds(prop)
        self._suffix = unit_suffix(prop)
        self._value = max(self._low, 0) if self._low <= 0 <= self._high else self._low
        self.setAccelerated(True)
        self.lineEdit().textEdited.connect(self._edited)
        self.init_editor(prop, label, read_only)
        self._show()

    # -- uniform interface -------------------------------------------------------------------

    def value(self) -> Any:
        return self._value

    def set_value(self, value: Any) -> None:
        with self.updating():
            self._value = int(value or 0)
            self._show()

    def problem(self) -> str | None:
        number = self._parse(self.lineEdit().text())
        if number is None or not self._low <= number <= self._high:
            return f"{self.prop.name} must be a whole number from {self._low} to {self._high}"
        return None

    def set_read_only(self, read_only: bool) -> None:
        self.setReadOnly(read_only)
        self.setButtonSymbols(
            QAbstractSpinBox.ButtonSymbols.NoButtons if read_only else QAbstractSpinBox.ButtonSymbols.UpDownArrows
        )

    # -- QAbstractSpinBox ----------------------------------------------------------------------

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        return self._text_state(text), text, pos

    def _text_state(self, text: str) -> QValidator.State:
        """Digits only; a number above the maximum cannot be typed, one below it can (for now)."""
        body = text.removesuffix(self._suffix).strip() if self._suffix else text.strip()
        if body in ("", "-") and (body == "" or self._low < 0):
            return QValidator.State.Intermediate
        number = self._parse(text)
        if number is None or number > self._high or (number < 0 and number < self._low):
            return QValidator.State.Invalid
        return QValidator.State.Acceptable if number >= self._low else QValidator.State.Intermediate

    def fixup(self, text: str) -> str:
        return self._format(self._value)

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        widest = max(self._format(self._low), self._format(self._high), key=len)
        width = self.fontMetrics().horizontalAdvance(widest + " ") + 40
        return QSize(max(hint.width(), width), hint.height())

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def stepBy(self, steps: int) -> None:
        self._value = min(max(self._value + steps, self._low), self._high)
        self._show()
        self.emit_changed()

    def stepEnabled(self) -> QAbstractSpinBox.StepEnabledFlag:
        if self.isReadOnly():
            return QAbstractSpinBox.StepEnabledFlag.StepNone
        flags = QAbstractSpinBox.StepEnabledFlag.StepNone
        if self._value < self._high:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
        if self._value > self._low:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        return flags

    # -- helpers ---------------------------------------------------------------------------------

    def _edited(self, text: str) -> None:
        number = self._parse(text)
        if number is not None and self._low <= number <= self._high:
            self._value = number
            self.emit_changed()

    def _parse(self, text: str) -> int | None:
        body = text.removesuffix(self._suffix).strip() if self._suffix else text.strip()
        try:
            return int(body)
        except ValueError:
            return None

    def _format(self, number: int) -> str:
        return f"{number}{self._suffix}"

    def _show(self) -> None:
        self.lineEdit().setText(self._format(self._value))


class RealEditor(EditorMixin, QDoubleSpinBox):
    """Real32/Real64 values."""

    def __init__(self, prop: PropertyDef, parent: QWidget | None = None, *, label: str = "",
                 read_only: str = "") -> None:
        super().__init__(parent)
        self.setDecimals(6)
        self.setRange(-1e308, 1e308)
        self.setSuffix(unit_suffix(prop))
        self.valueChanged.connect(self.emit_changed)
        self.init_editor(prop, label, read_only)

    def value(self) -> Any:
        return QDoubleSpinBox.value(self)

    def set_value(self, value: Any) -> None:
        with self.updating():
            self.setValue(float(value or 0.0))

    def set_read_only(self, read_only: bool) -> None:
        self.setReadOnly(read_only)
