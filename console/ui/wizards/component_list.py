"""Check list of optional components with prerequisite handling (used by the wizard page)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Property, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from console.core.optional_components import SITE_REQUIRED, ComponentChoice, OptionalComponentCatalog
from console.core.sizes import size_header, size_in
from console.ui.icons import icon

LOCKED_NOTE = f"{SITE_REQUIRED} (always included)"


#: One unit for the whole Size column (KB, as image and package sizes; console/core/sizes.py).
SIZE_UNITS = "KiloBytes"


def _size_text(size: int | None) -> str:
    return "" if size is None else size_in(SIZE_UNITS, size)


class ComponentList(QTreeWidget):
    """Components of one architecture. Ticking a component ticks its prerequisites (and says so);
    unticking a prerequisite that ticked components need asks ``confirm_remove`` first."""

    chosen_changed = Signal()
    note = Signal(str)

    def __init__(
        self,
        catalog: OptionalComponentCatalog,
        architecture: str,
        selected: list[int],
        adk: Mapping[str, Any] | None,
        confirm_remove: Callable[[str, list[str]], bool],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._catalog = catalog
        self._arch = architecture
        self._confirm_remove = confirm_remove
        self._locked = set(catalog.required_by_config_mgr(architecture))
        self._items: dict[int, QTreeWidgetItem] = {}
        self._updating = False
        self.setAccessibleName("Optional components")
        self.setRootIsDecorated(False)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        headers = ["Component", "Purpose", "Prerequisites"] + ([size_header(SIZE_UNITS), "In ADK"] if adk is not None else [])
        self.setHeaderLabels(headers)
        for choice in catalog.choices(architecture):
            self._add(choice, choice.id in selected or choice.id in self._locked, adk)
        header = self.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.itemChanged.connect(self._changed)

    def _add(self, choice: ComponentChoice, checked: bool, adk: Mapping[str, Any] | None) -> None:
        comp = choice.component
        item = QTreeWidgetItem([comp.name, comp.purpose, ", ".join(comp.requires)])
        item.setIcon(0, icon("optional-component"))
        item.setData(0, Qt.ItemDataRole.UserRole, choice.id)
        item.setCheckState(0, Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if choice.id in self._locked:
            item.setIcon(0, icon("lock"))
            item.setToolTip(0, LOCKED_NOTE)
            item.setText(1, f"{comp.purpose} ({LOCKED_NOTE.lower()})")
        else:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        if adk is not None:
            found = adk.get(comp.name.lower())
            item.setText(3, _size_text(found.size) if found else "")
            item.setText(4, "Yes" if found else "Missing")
            if not found:
                item.setIcon(4, icon("warning"))
                item.setToolTip(4, f"{comp.cab} is not in the configured Windows ADK: the image cannot get this component")
        item.setFlags(flags)
        self.addTopLevelItem(item)
        self._items[choice.id] = item

    # -- selection as a Qt property (registered as a wizard field) -----------------------------

    def checked_ids(self) -> list[int]:
        return [cid for cid, item in self._items.items() if item.checkState(0) == Qt.CheckState.Checked]

    def chosen_ids(self) -> list[int]:
        """What is stored: checked components except the always-included ones, unless they are
        a prerequisite of a checked component (then the resolver keeps them)."""
        picked = [cid for cid in self.checked_ids() if cid not in self._locked]
        return list(self._catalog.resolve(picked, self._arch).component_ids) if picked else []

    def _get_selection(self) -> list[int]:
        return self.chosen_ids()

    selection = Property(list, _get_selection, notify=chosen_changed)

    # -- reactions ---------------------------------------------------------------------------

    def _set(self, cid: int, checked: bool) -> None:
        self._items[cid].setCheckState(0, Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def _changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._updating or column != 0:
            return
        cid = int(item.data(0, Qt.ItemDataRole.UserRole))
        name = self._catalog.by_id(cid).name
        self._updating = True
        try:
            if item.checkState(0) == Qt.CheckState.Checked:
                resolution = self._catalog.resolve([cid], self._arch)
                added = [(i, why) for i, why in resolution.added if self._items[i].checkState(0) != Qt.CheckState.Checked]
                for i, _ in added:
                    self._set(i, True)
                if added:
                    self.note.emit("Added as prerequisite: " + "; ".join(f"{self._catalog.by_id(i).name}, {why}" for i, why in added))
            else:
                dependents = [d for d in self._catalog.dependents(cid, self.checked_ids()) if d not in self._locked]
                if dependents:
                    names = [self._catalog.by_id(d).name for d in dependents]
                    if self._confirm_remove(name, names):
                        for d in dependents:
                            self._set(d, False)
                        self.note.emit(f"Removed {name} and the components that need it: {', '.join(names)}")
                    else:
                        self._set(cid, True)
                        self.note.emit(f"Kept {name}: {', '.join(names)} {'needs' if len(names) == 1 else 'need'} it")
        finally:
            self._updating = False
        self.chosen_changed.emit()
