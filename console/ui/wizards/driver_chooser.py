"""Check list of catalog drivers for a boot image, with the console's three filters and a search.

The drivers are read in the background whenever a filter or the search changes; the ticks are
kept apart from the rows, so a ticked driver that a filter hides stays ticked (and is counted
as hidden). The ticked CI_IDs are the ``selection`` Qt property (a wizard field).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Property, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.core.drivers import DriverPage
from console.core.errors import error_text
from console.ui.icons import icon
from console.ui.models.checkable_record_model import CheckableRecordModel
from console.ui.models.driver_columns import CHOICE_COLUMNS
from console.ui.record_views import DRIVER_SEARCH_HINT, record_view, search_field, size_columns
from console.ui.tasks import TaskRunner

SEARCH_DELAY_MS = 200


@dataclass(frozen=True)
class DriverFilter:
    text: str = ""
    hide_other_architectures: bool = True
    hide_not_storage_or_network: bool = True
    hide_unsigned: bool = False


class DriverChooser(QWidget):
    selectionChanged = Signal()
    loaded = Signal()
    import_requested = Signal()

    def __init__(
        self,
        load: Callable[[DriverFilter], DriverPage],
        tasks: TaskRunner,
        selected: Sequence[int],
        architecture: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._load = load
        self._tasks = tasks
        self._generation = 0
        self.loading = False
        self.search = search_field(DRIVER_SEARCH_HINT, "Search drivers")
        arch = f" ({architecture})" if architecture else " (not known yet: every driver matches)"
        self.hide_other_architectures = QCheckBox(f"Hide drivers that do not match the &architecture of the boot image{arch}")
        self.hide_not_storage_or_network = QCheckBox("Hide drivers that are not in a &storage or network class (for boot images)")
        self.hide_unsigned = QCheckBox("Hide drivers that are not &digitally signed")
        self.hide_other_architectures.setChecked(True)
        self.hide_other_architectures.setToolTip(
            "Shows only drivers whose INF installs on this architecture (x64 = NTamd64). Undecorated INFs install "
            "on x86 only (64-bit Windows needs a decorated models section); template INFs that were never stamped "
            "(NT$ARCH$) install on none")
        self.hide_not_storage_or_network.setChecked(True)
        self.hide_not_storage_or_network.setToolTip("Shows only the Net, SCSIAdapter, HDC, DiskDrive and SDHost classes; "
                                                    "also hides video, audio, modem and other drivers Windows PE does not need")
        self.hide_unsigned.setToolTip("Signed here means the catalog file the INF names is beside it; the signature is not verified")
        self.model = CheckableRecordModel(CHOICE_COLUMNS, self, key=lambda d: d.ci_id, muted=lambda d: not d.is_enabled)
        self.model.set_checked_keys(selected)
        self.view = record_view("Catalog drivers", extended_selection=True)
        self.view.setModel(self.model)
        self.view.setToolTip("Tick the drivers the boot image should contain. Space ticks or unticks the selected rows.")
        size_columns(self.view, CHOICE_COLUMNS, stretch_last=False)
        self.view.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.view.installEventFilter(self)
        self.status = QLabel()
        self.status.setAccessibleName("Selection")
        self.status.setWordWrap(True)
        self.import_button = QPushButton(icon("driver"), "&Import Driver…")
        self.import_button.setToolTip("Import more drivers into the catalog; the list is read again afterwards")
        self.import_button.clicked.connect(self.import_requested)
        filters = QVBoxLayout()
        filters.setSpacing(2)
        for box in (self.hide_other_architectures, self.hide_not_storage_or_network, self.hide_unsigned):
            filters.addWidget(box)
            box.toggled.connect(lambda _on: self.reload())
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.import_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addLayout(filters)
        layout.addWidget(self.view, 1)
        layout.addLayout(bottom)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DELAY_MS)
        self._debounce.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _text: self._debounce.start())
        self.model.checked_changed.connect(self._selection_changed)

    # -- loading ---------------------------------------------------------------------------

    def current_filter(self) -> DriverFilter:
        return DriverFilter(self.search.text().strip(), self.hide_other_architectures.isChecked(),
                            self.hide_not_storage_or_network.isChecked(), self.hide_unsigned.isChecked())

    def reload(self) -> None:
        self._debounce.stop()
        self._generation += 1
        generation = self._generation
        wanted = self.current_filter()
        self.loading = True
        self.status.setText("Reading the driver catalog…")
        self._tasks.run(lambda ctx: self._load(wanted), on_success=lambda page: self._loaded(generation, page),
                        on_error=lambda exc: self._failed(generation, exc), description="Loading catalog drivers")

    def _loaded(self, generation: int, page: DriverPage) -> None:
        if generation != self._generation:
            return
        self.loading = False
        self.model.set_rows(page.items)
        if page.items and not self.view.currentIndex().isValid():
            self.view.setCurrentIndex(self.model.index(0, 0))
        self._update_status()
        self.loaded.emit()

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self.loading = False
        text = error_text(exc)
        self.status.setText(f"The drivers cannot be read: {text}")
        self.status.setStyleSheet("color: #c0392b;")
        self.loaded.emit()

    # -- selection -------------------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        return [int(str(k)) for k in self.model.checked_keys()]

    selection = Property(list, selected_ids, notify=selectionChanged)

    def set_checked(self, ci_ids: Sequence[int]) -> None:
        self.model.set_checked_keys(ci_ids)

    def _selection_changed(self) -> None:
        self._update_status()
        self.selectionChanged.emit()

    def _update_status(self) -> None:
        if self.loading:
            return
        self.status.setStyleSheet("")
        shown = self.model.rowCount()
        ticked = len(self.model.checked_keys())
        hidden = ticked - self.model.visible_checked_count()
        if shown:
            text = f"{shown} driver(s) shown; {ticked} selected"
            text += f" ({hidden} hidden by the filters or the search)" if hidden else ""
        else:
            text = ("No catalog driver matches. Clear a filter or the search, or import the drivers first "
                    f"(Import Driver…). {ticked} selected.")
        self.status.setText(text)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Space ticks (or unticks) every selected row, not only the one with the focus."""
        if watched is self.view and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) \
                and event.key() == Qt.Key.Key_Space and not event.modifiers():
            rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()}) or (
                [self.view.currentIndex().row()] if self.view.currentIndex().isValid() else [])
            if rows:
                keys = set(self.model.checked_keys())
                tick = any(self.model.key_of(self.model.record(r)) not in keys for r in rows)
                self.model.set_rows_checked(rows, tick)
            return True
        return super().eventFilter(watched, event)
