"""The boot image Properties dialog: tabs from the layout file plus All Properties.

Everything that touches the database or a file runs through ``TaskRunner``: reading the
package (with its lazy properties), saving (``put`` with the SedoObjectVersion that was
read) and ReloadImageProperties. Service problems appear next to their fields; a save
conflict offers to reload.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from console.core.changes import Changes
from console.core.console_services import ConsoleServices
from console.core.errors import ConflictError, ConsoleError, Problem, ValidationError, error_text
from console.core.instance import Instance
from console.core.sheet_layout import PanelKind
from console.core.wim_errors import WimError
from console.ui.dialogs.conflict_dialog import ConflictDialog
from console.ui.dialogs.error_dialog import show_error
from console.ui.object_locks import ConsoleLocks
from console.ui.propertysheet.editor_base import EditorContext
from console.ui.propertysheet.instance_dialog import InstanceDialog
from console.ui.propertysheet.package_loader import LoadedPackage, read_package, reload_images
from console.ui.propertysheet.panels.content_locations_panel import ContentLocationsPanel
from console.ui.propertysheet.panels.drivers_panel import DriversPanel
from console.ui.propertysheet.panels.images_panel import ImagesPanel
from console.ui.propertysheet.panels.optional_components_panel import OptionalComponentsPanel
from console.ui.propertysheet.panels.revisions_panel import RevisionsPanel
from console.ui.propertysheet.property_sheet import PropertySheet
from console.ui.propertysheet.sheet_lock import SheetLock, set_sheet_read_only
from console.ui.propertysheet.sheet_values import SheetValues
from console.ui.tasks import TaskRunner

INFO_STYLE = "QLabel { background: palette(alternate-base); border: 1px solid palette(mid); padding: 6px; }"
ERROR_STYLE = "QLabel { background: #fde7e9; color: #6e0811; border: 1px solid #e6a3a9; padding: 6px; }"


class PropertiesDialog(QDialog):
    """``saved`` carries the service's ``Changes`` after every successful save or reload."""

    saved = Signal(object)
    loaded = Signal()
    edit_optional_components_requested = Signal(str)
    add_drivers_requested = Signal(str)

    def __init__(self, console: ConsoleServices, package_id: str, tasks: TaskRunner, parent: QWidget | None = None,
                 locks: ConsoleLocks | None = None) -> None:
        super().__init__(parent)
        self.console = console
        self.package_id = package_id
        self.tasks = tasks
        locales = getattr(console.context, "input_locales", None) or ()
        self.ctx = EditorContext(console.registry, console.context.validator.coercer, tasks,
                                 suggestions={"InputLocale": [(loc.tag, loc.label) for loc in locales]},
                                 field_buttons={"ImageIndex": ("&Choose…", self._choose_image)},
                                 open_instance=InstanceDialog.ask)
        self.sheet: PropertySheet | None = None
        self.images_panel: ImagesPanel | None = None
        self.drivers_panel: DriversPanel | None = None
        self.components_panel: OptionalComponentsPanel | None = None
        self.revisions_panel: RevisionsPanel | None = None
        self.content_panel: ContentLocationsPanel | None = None
        self._version: str | None = None
        self._busy = False
        self._own_save = False
        self.locked_by: Any = None  # another console's ObjectLock while this sheet is read-only
        self.setWindowTitle(f"{package_id} Properties")
        self.setObjectName("propertiesDialog")

        self.banner = QLabel(self)
        self.banner.setWordWrap(True)
        self.banner.setAccessibleName("Message")
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        self.banner.hide()
        self.loading = QWidget(self)
        self.loading_text = QLabel(f"Loading {package_id}…", self.loading)
        self.loading_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.loading_text.setWordWrap(True)
        self.loading_bar = QProgressBar(self.loading)
        self.loading_bar.setRange(0, 0)
        self.loading_bar.setMaximumWidth(240)
        loading_layout = QVBoxLayout(self.loading)
        loading_layout.addStretch(1)
        loading_layout.addWidget(self.loading_text)
        loading_layout.addWidget(self.loading_bar, 0, Qt.AlignmentFlag.AlignHCenter)
        loading_layout.addStretch(2)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.loading)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.Apply, self,
        )
        self.ok_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.cancel_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.apply_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.apply_button.setText("&Apply")
        self.ok_button.clicked.connect(lambda: self.save(close=True))
        self.apply_button.clicked.connect(lambda: self.save(close=False))
        self.cancel_button.clicked.connect(self.reject)
        self.status = QLabel(self)
        self.status.setAccessibleName("Status")
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.buttons)
        # the package's lock (SEDO): taken now, released when the dialog closes
        self.lock = SheetLock(self, locks or ConsoleLocks(console, tasks, self), package_id)
        self.lock.state_changed.connect(self._lock_state)
        self.finished.connect(self.lock.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.lock.bar)
        layout.addWidget(self.banner)
        layout.addWidget(self.stack, 1)
        layout.addLayout(bottom)
        self.ok_button.setEnabled(False)
        self.apply_button.setEnabled(False)
        self.resize(640, 640)
        self.lock.start()
        self.reload()

    # -- loading ---------------------------------------------------------------------------

    def reload(self, *, keep_edits: bool = False, note: str = "") -> None:
        """Read the package (again) in the background. Pending edits are dropped, or kept on
        top of the fresh values with ``keep_edits`` (after a wizard opened from this dialog
        changed the package, so that the next save is not refused as a conflict)."""
        self._set_busy(True, f"Loading {self.package_id}…")
        self.tasks.run(
            lambda _task: read_package(self.console, self.package_id),
            on_success=lambda loaded: self._loaded(loaded, note, keep_edits) if self._alive() else None,
            on_error=lambda exc: self._load_failed(exc) if self._alive() else None,
            description=f"Reading {self.package_id}",
        )

    def _loaded(self, loaded: LoadedPackage, note: str, keep_edits: bool = False) -> None:
        if self.sheet is None:
            self._build(loaded)
        assert self.sheet is not None
        if keep_edits:
            replaced = self.sheet.rebase(loaded.instance)
            if replaced:
                note = (note + " " if note else "") + html.escape(
                    f"Your edits of {', '.join(replaced)} were replaced by the value just saved elsewhere in this console.")
        else:
            self.sheet.set_instance(loaded.instance)
        self._version = loaded.instance.get("SedoObjectVersion")
        self.setWindowTitle(loaded.layout.window_title(loaded.instance.values))
        self._show_related(loaded)
        self.stack.setCurrentWidget(self.sheet)
        self._set_busy(False)
        self._show_banner(note, INFO_STYLE) if note else self._show_banner("")
        self.loaded.emit()

    def _show_related(self, loaded: LoadedPackage) -> None:
        """What the package's values point to: its images and its drivers' catalog entries."""
        if self.images_panel is not None:
            self.images_panel.set_source_problem(loaded.source_problem, loaded.boot_index)
            self.images_panel.set_images(loaded.images)
            if loaded.image_error:
                self.images_panel.set_done(f"The recorded image metadata cannot be read: {loaded.image_error}")
        if self.drivers_panel is not None:
            self.drivers_panel.set_catalog(loaded.drivers)
        for panel in (self.revisions_panel, self.content_panel):
            if panel is not None:
                panel.refresh()

    def _build(self, loaded: LoadedPackage) -> None:
        cls = self.console.registry[loaded.instance.class_name]
        self.sheet = PropertySheet(cls, self.ctx, loaded.layout, self._panel, self)
        self.sheet.changed.connect(self._update_buttons)
        self.stack.addWidget(self.sheet)
        self.stack.setCurrentWidget(self.sheet)
        set_sheet_read_only(self.sheet, self.locked_by is not None)
        try:
            first = self.sheet.editor("Name")
        except KeyError:
            first = self.sheet
        first.setFocus(Qt.FocusReason.OtherFocusReason)

    def _panel(self, kind: PanelKind, values: SheetValues) -> QWidget:
        if kind is PanelKind.IMAGES:
            self.images_panel = ImagesPanel(values)
            self.images_panel.reload_requested.connect(self.reload_image_properties)
            return self.images_panel
        if kind is PanelKind.DRIVERS:
            self.drivers_panel = DriversPanel(values)
            self.drivers_panel.add_requested.connect(lambda: self.add_drivers_requested.emit(self.package_id))
            return self.drivers_panel
        if kind is PanelKind.REVISIONS:
            return self._revisions_panel()
        if kind is PanelKind.CONTENT_LOCATIONS:
            self.content_panel = ContentLocationsPanel(self.console, self.tasks, self.package_id)
            self.content_panel.changed.connect(self._emit_saved)
            return self.content_panel
        self.components_panel = OptionalComponentsPanel(values, self.console.context.catalog)
        self.components_panel.edit_requested.connect(
            lambda: self.edit_optional_components_requested.emit(self.package_id)
        )
        return self.components_panel

    def _revisions_panel(self) -> RevisionsPanel:
        panel = RevisionsPanel(self.console, self.tasks, self.package_id, lambda: self._version)
        panel.busy.connect(lambda busy, text: self._set_busy(busy, text))
        panel.rolled_back.connect(self._rolled_back)
        self.revisions_panel = panel
        return panel

    def _rolled_back(self, result: Any) -> None:
        """A roll back changed SourceVersion (and the SedoObjectVersion): tell the console and
        read the package again, keeping pending edits."""
        self._emit_saved(result.changes)
        self.reload(keep_edits=True)

    def _load_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        message = error_text(exc)
        if self.sheet is None:
            self.loading_bar.hide()
            self.loading_text.setText(f"{self.package_id} cannot be shown.\n\n{message}")
            self.ok_button.setEnabled(False)
        if not isinstance(exc, ConsoleError):
            show_error(self, exc)
        else:
            self._show_banner(html.escape(message), ERROR_STYLE)

    def package_changed(self, changes: Changes) -> None:
        """This console saved a change (a wizard opened from here, Reload Image Properties in
        the main window, …): read the package again, keeping the user's pending edits, so
        the next save carries the new SedoObjectVersion. Changes by other consoles are not
        reported here; their saves still end in the conflict dialog."""
        if self._own_save or self.sheet is None:
            return
        if self.package_id in changes.removed:
            self._show_banner(html.escape(f"{self.package_id} was deleted; it can no longer be saved."), ERROR_STYLE)
            self.ok_button.setEnabled(False)
            self.apply_button.setEnabled(False)
            return
        if self.package_id not in changes.updated:
            return
        if self._busy:  # a save or reload of this dialog is under way: look again when it ends
            def again() -> None:
                if self._alive():
                    self.package_changed(changes)

            QTimer.singleShot(100, again)
            return
        self.reload(keep_edits=True)

    # -- saving ----------------------------------------------------------------------------

    def _lock_state(self, other: Any, reload: bool) -> None:
        """Another console's lock (read-only) or None (editable); ``reload`` after Refresh took it."""
        self.locked_by = other
        self.cancel_button.setText("&Close" if other is not None else "Cancel")
        if self.sheet is not None:
            set_sheet_read_only(self.sheet, other is not None)
        self._update_buttons()
        if reload:
            self.reload()

    def save(self, *, close: bool) -> None:
        """OK (``close``) or Apply: save the changes in the background."""
        if self._busy or self.sheet is None or self.locked_by is not None:
            return
        problems = self.sheet.local_problems()
        if problems:
            self._show_problems(problems)
            return
        changes = self.sheet.changes()
        if not changes:
            if close:
                self.accept()
            return
        version = self._version
        self._set_busy(True, "Saving…")
        self.tasks.run(
            lambda _task: self.console.packages.put(self.package_id, changes, expected_version=version),
            on_success=lambda result: self._saved(result, close) if self._alive() else None,
            on_error=lambda exc: self._save_failed(exc) if self._alive() else None,
            description=f"Saving {self.package_id}",
        )

    def _saved(self, result: Any, close: bool) -> None:
        assert self.sheet is not None
        instance: Instance = result.value
        self._version = instance.get("SedoObjectVersion")
        self.sheet.set_instance(instance)
        self._set_busy(False, "Saved.")
        self._show_banner("")
        self._emit_saved(result.changes)
        if close:
            self.accept()

    def _save_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, ValidationError):
            self._show_problems(exc.problems)
        elif isinstance(exc, WimError):  # a new Image path that cannot be read
            self._show_problems([Problem("ImagePath", exc.message)])
        elif isinstance(exc, ConflictError):
            self._show_banner(html.escape(exc.message), ERROR_STYLE)
            # ask once the task's result has been delivered, not from inside its delivery
            QTimer.singleShot(0, lambda: self._ask_conflict(exc) if self._alive() else None)
        else:
            show_error(self, exc)

    def _ask_conflict(self, exc: ConflictError) -> None:
        if ConflictDialog.ask(self, exc):
            self._reload_after_conflict(exc)

    def _reload_after_conflict(self, exc: ConflictError) -> None:
        assert self.sheet is not None
        discarded = ", ".join(self.sheet.changes()) or "none"
        self.reload(note=html.escape(
            f"Showing the values saved by {exc.changed_by} at {exc.changed_at}. "
            f"Your changes were discarded ({discarded}); make them again if they still apply."
        ))

    def _show_problems(self, problems: Sequence[Problem]) -> None:
        assert self.sheet is not None
        focus = self.sheet.show_problems(problems)
        count = len(problems)
        items = "".join(f"<li>{html.escape(p.message)}</li>" for p in problems[:5])
        more = f"<li>… and {count - 5} more</li>" if count > 5 else ""
        self._show_banner(f"Nothing was saved: {'a value needs' if count == 1 else f'{count} values need'} "
                          f"correcting.<ul style='margin:0'>{items}{more}</ul>", ERROR_STYLE)
        if focus is not None:
            focus.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- image reload ----------------------------------------------------------------------

    def reload_image_properties(self) -> None:
        """ReloadImageProperties in the background; pending edits are kept."""
        if self.images_panel is None or self._busy:
            return
        path = self.sheet.values.get("ImagePath") if self.sheet else ""
        self.images_panel.set_busy(f"Reading {path or 'the image file'}…")
        self._set_busy(True, "Reloading image properties…")
        version = self._version
        self.tasks.run(
            lambda _task: reload_images(self.console, self.package_id, version),
            on_success=lambda loaded: self._images_reloaded(loaded) if self._alive() else None,
            on_error=lambda exc: self._images_reload_failed(exc) if self._alive() else None,
            description=f"Reloading image properties of {self.package_id}",
        )

    def _images_reloaded(self, loaded: LoadedPackage) -> None:
        assert self.sheet is not None and self.images_panel is not None
        self.sheet.rebase(loaded.instance)
        self._version = loaded.instance.get("SedoObjectVersion")
        self._show_related(loaded)
        notes = "; ".join(loaded.notes)
        self.images_panel.set_done("Image properties reloaded: " + (notes or "no changes") + ".")
        self._set_busy(False)
        self._emit_saved(loaded.changes)

    def _images_reload_failed(self, exc: BaseException) -> None:
        assert self.images_panel is not None
        self._set_busy(False)
        message = error_text(exc)
        self.images_panel.set_done(f"Reload failed: {message}")
        if isinstance(exc, ConflictError):
            QTimer.singleShot(0, lambda: self._ask_conflict(exc) if self._alive() else None)
        elif not isinstance(exc, ConsoleError):
            show_error(self, exc)

    # -- drivers / components (for the wizards the main window opens) -------------------

    def add_referenced_drivers(self, drivers: Sequence[Instance], details: Mapping[int, Any] | None = None) -> None:
        """Reference more drivers (for the Add Drivers dialog the main window opens); saved
        with OK/Apply. ``details``: their catalog entries by CI_ID, for the table."""
        if self.drivers_panel is not None:
            self.drivers_panel.add_drivers(drivers, details)

    # -- state -----------------------------------------------------------------------------

    def reject(self) -> None:
        if self._busy and self.sheet is not None:
            return  # a save is on its way; its outcome decides
        super().reject()

    def _choose_image(self, editor: Any) -> None:
        """Choose… beside Image index: the images of the WIM at Image path (read in the background)."""
        from console.core.sizes import size_units
        from console.ui.propertysheet.image_chooser import choose_image_index

        assert self.sheet is not None
        path = str(self.sheet.editor("ImagePath").value() or "")

        def chosen(index: int) -> None:
            editor.set_value(index)
            editor.changed.emit()

        choose_image_index(self, self.console, self.tasks, path, int(editor.value() or 1),
                           size_units(self.console.packages.cls), chosen,
                           lambda message: self._show_banner(html.escape(message), ERROR_STYLE))
    def _emit_saved(self, changes: Changes) -> None:
        """Tell the console about this dialog's own save (which ``package_changed`` ignores)."""
        self._own_save = True
        try:
            self.saved.emit(changes)
        finally:
            self._own_save = False

    def _alive(self) -> bool:
        return isValid(self)

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self._busy = busy
        self.status.setText(text)
        self.cancel_button.setEnabled(not busy or self.sheet is None)
        self._update_buttons()

    def _update_buttons(self) -> None:
        ready = self.sheet is not None and not self._busy and self.locked_by is None
        self.ok_button.setEnabled(ready)
        self.apply_button.setEnabled(ready and self.sheet is not None and self.sheet.has_changes())

    def _show_banner(self, text: str, style: str = INFO_STYLE) -> None:
        self.banner.setStyleSheet(style)
        self.banner.setText(text)
        self.banner.setVisible(bool(text))
