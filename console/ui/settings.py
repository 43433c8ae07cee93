"""Typed access to the console's persisted UI state (QSettings)."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings


class UiSettings:
    def __init__(self, settings: QSettings | None = None) -> None:
        self._s = settings or QSettings()

    def _bytes(self, key: str) -> QByteArray | None:
        value = self._s.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def window_geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    def window_state(self) -> QByteArray | None:
        return self._bytes("window/state")

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self._s.setValue("window/geometry", geometry)
        self._s.setValue("window/state", state)

    def splitter(self, name: str) -> QByteArray | None:
        return self._bytes(f"splitters/{name}")

    def save_splitter(self, name: str, state: QByteArray) -> None:
        self._s.setValue(f"splitters/{name}", state)

    def header(self, name: str) -> QByteArray | None:
        return self._bytes(f"headers/{name}")

    def save_header(self, name: str, state: QByteArray) -> None:
        self._s.setValue(f"headers/{name}", state)

    def include_subfolders(self) -> bool:
        return str(self._s.value("packages/includeSubfolders", "false")).lower() == "true"

    def set_include_subfolders(self, value: bool) -> None:
        self._s.setValue("packages/includeSubfolders", "true" if value else "false")

    def sync(self) -> None:
        self._s.sync()
