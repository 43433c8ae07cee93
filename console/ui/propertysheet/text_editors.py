"""Editors for strings, date-times and read-only values."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QDate, QDateTime, QModelIndex, Qt, QTime, QTimer, QTimeZone
from PySide6.QtGui import QFontMetrics, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QCompleter, QDateTimeEdit, QLineEdit, QPlainTextEdit, QWidget

from console.core.classdef import PropertyDef
from console.core.values import format_value
from console.ui.propertysheet.editor_base import EditorMixin, read_only_reason


class TextEditor(EditorMixin, QLineEdit):
    """A single-line string. Longer text than ``SizeLimit`` is refused with a message (never cut
    silently); surrounding spaces are not counted, the service trims them."""

    def __init__(self, prop: PropertyDef, parent: QWidget | None = None, *, label: str = "",
                 read_only: str = "", placeholder: str = "", suggestions: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(parent)
        self._limit = prop.size_limit[1] if prop.size_limit else None
        if placeholder:
            self.setPlaceholderText(placeholder)
        self.textEdited.connect(self.emit_changed)
        if suggestions:
            self._offer(suggestions)
        self.init_editor(prop, label, read_only)

    def value(self) -> Any:
        return self.text()

    def set_value(self, value: Any) -> None:
        with self.updating():
            self.setText("" if value is None else str(value))
            self.setCursorPosition(0)

    def set_read_only(self, read_only: bool) -> None:
        self.setReadOnly(read_only)

    def _offer(self, suggestions: Sequence[tuple[str, str]]) -> None:
        """A completer over the known values (matched anywhere in value or label); choosing
        one enters its value."""
        model = QStandardItemModel(self)
        for value, text in suggestions:
            item = QStandardItem(text)
            item.setData(value, Qt.ItemDataRole.UserRole)
            model.appendRow(item)
        completer = QCompleter(model, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionRole(Qt.ItemDataRole.DisplayRole)
        completer.activated[QModelIndex].connect(self._chosen)  # type: ignore[index]
        self.setCompleter(completer)
        self.suggestions = completer

    def _chosen(self, index: QModelIndex) -> None:
        value = str(index.data(Qt.ItemDataRole.UserRole))

        def enter() -> None:  # after QCompleter has written the label into the line edit
            self.setText(value)
            self.emit_changed()

        QTimer.singleShot(0, enter)

    def problem(self) -> str | None:
        length = len(self.text().strip())
        if self._limit is not None and length > self._limit:
            return f"{self.prop.name} is limited to {self._limit} characters; it has {length}"
        return None


class MultiLineEditor(EditorMixin, QPlainTextEdit):
    """Long text (Description, XML blobs): several lines, Tab moves focus on."""

    def __init__(self, prop: PropertyDef, parent: QWidget | None = None, *, label: str = "",
                 read_only: str = "", lines: int = 4, placeholder: str = "") -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self._limit = prop.size_limit[1] if prop.size_limit else None
        if placeholder:
            self.setPlaceholderText(placeholder)
        metrics = QFontMetrics(self.font())
        self.setMinimumHeight(metrics.lineSpacing() * max(lines, 2) + 12)
        self.setMaximumHeight(metrics.lineSpacing() * max(lines, 2) * 3 + 12)
        self.textChanged.connect(self.emit_changed)
        self.init_editor(prop, label, read_only)

    def value(self) -> Any:
        return self.toPlainText()

    def set_value(self, value: Any) -> None:
        with self.updating():
            self.setPlainText("" if value is None else str(value))

    def problem(self) -> str | None:
        if self._limit is not None and len(self.toPlainText()) > self._limit:
            return f"{self.prop.name} is limited to {self._limit} characters; it has {len(self.toPlainText())}"
        return None

    def set_read_only(self, read_only: bool) -> None:
        self.setReadOnly(read_only)


class ReadOnlyEditor(EditorMixin, QLineEdit):
    """Any scalar the user may not change, formatted for reading (dates, enumerations)."""

    def __init__(self, prop: PropertyDef, parent: QWidget | None = None, *, label: str = "",
                 read_only: str = "") -> None:
        super().__init__(parent)
        self._value: Any = None
        self.setPlaceholderText("(not set)")
        self.init_editor(prop, label, read_only or read_only_reason(prop))

    def value(self) -> Any:
        return self._value

    def set_value(self, value: Any) -> None:
        self._value = value
        with self.updating():
            self.setText(format_value(self.prop, value))
            self.setCursorPosition(0)

    def set_read_only(self, read_only: bool) -> None:
        self.setReadOnly(True)
        palette = self.palette()  # read-only boxes look read-only, as on Windows property pages
        palette.setColor(QPalette.ColorRole.Base, palette.color(QPalette.ColorRole.Window))
        self.setPalette(palette)


def _to_qdatetime(value: datetime) -> QDateTime:
    value = value.astimezone(UTC)
    return QDateTime(
        QDate(value.year, value.month, value.day),
        QTime(value.hour, value.minute, value.second),
        QTimeZone(QTimeZone.Initialization.UTC),
    )


class DateTimeEditor(EditorMixin, QDateTimeEdit):
    """A writable CIM datetime (schedule start), shown and kept in UTC."""

    def __init__(self, prop: PropertyDef, parent: QWidget | None = None, *, label: str = "",
                 read_only: str = "") -> None:
        super().__init__(parent)
        self.setTimeZone(QTimeZone(QTimeZone.Initialization.UTC))
        self.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.setCalendarPopup(True)
        self.dateTimeChanged.connect(self.emit_changed)
        self.init_editor(prop, label, read_only)

    def value(self) -> Any:
        current = self.dateTime().toUTC()
        date, time = current.date(), current.time()
        return datetime(date.year(), date.month(), date.day(), time.hour(), time.minute(), time.second(), tzinfo=UTC)

    def set_value(self, value: Any) -> None:
        with self.updating():
            if isinstance(value, datetime):
                self.setDateTime(_to_qdatetime(value))

    def set_read_only(self, read_only: bool) -> None:
        self.setReadOnly(read_only)
