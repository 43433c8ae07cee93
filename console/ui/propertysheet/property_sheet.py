"""A property sheet for any class: the layout's tabs (or a generated General tab) plus
All Properties, all editing one shared set of values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import QFrame, QScrollArea, QStyle, QTabWidget, QVBoxLayout, QWidget

from console.core.classdef import ClassDef
from console.core.errors import Problem
from console.core.instance import Instance
from console.core.sheet_layout import SheetLayout, default_layout
from console.ui.propertysheet.all_properties_tab import AllPropertiesTab
from console.ui.propertysheet.bindings import SheetBinding
from console.ui.propertysheet.editor_base import EditorContext
from console.ui.propertysheet.form_builder import FormBuilder, PanelFactory
from console.ui.propertysheet.sheet_values import SheetValues
from console.ui.propertysheet.tab_rows import TabRows

ALL_PROPERTIES = "all-properties"
#: A framed page under the tab rows, as on a Windows property sheet.
PANE_STYLE = "QTabWidget::pane { border: 1px solid palette(mid); top: -1px; }"


class PropertySheet(QWidget):
    """Tabs over one object's values. ``changed`` fires on every edit; ``changes()`` is
    what to save. The titles wrap into rows (``TabRows``) instead of scrolling."""

    changed = Signal()

    def __init__(self, cls: ClassDef, ctx: EditorContext, layout: SheetLayout | None = None,
                 panel_factory: PanelFactory | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("propertySheet")
        self.tabs = QTabWidget(self)
        self.tabs.setStyleSheet(PANE_STYLE)
        self.tab_rows = TabRows(self.tabs, self)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.tab_rows)
        box.addWidget(self.tabs, 1)
        self.cls = cls
        self.layout_def = layout or default_layout(cls)
        self.values = SheetValues(cls, self)
        self.values.changed.connect(self.changed)
        self._keys: list[str] = []
        self._help: list[str] = []
        self._tab_bindings: list[list[SheetBinding]] = []
        self._bindings: list[SheetBinding] = []
        for tab in self.layout_def.tabs:
            builder = FormBuilder(cls, ctx, self.values, panel_factory)
            page = builder.build_tab(tab)
            self._add_page(self._scrolling(page) if not tab.panels else page, tab.title, tab.key, tab.help)
            self._tab_bindings.append(builder.bindings)
            self._bindings.extend(builder.bindings)
        self.all_properties = AllPropertiesTab(self.values, ctx, self)
        self._add_page(self.all_properties, "All Properties", ALL_PROPERTIES, "Every property of " + cls.name)
        self._tab_bindings.append([])
        self.tab_rows.refresh()

    # -- values ----------------------------------------------------------------------------

    def set_instance(self, instance: Instance | Mapping[str, Any]) -> None:
        """Show freshly read values; pending edits and problems are dropped."""
        self.clear_problems()
        self.values.load(instance.values if isinstance(instance, Instance) else instance)

    def rebase(self, instance: Instance) -> list[str]:
        """Fresh values underneath, the user's pending edits kept on top (except on properties
        the fresh values changed: returned)."""
        return self.values.rebase(instance.values)

    def changes(self) -> dict[str, Any]:
        return self.values.changes()

    def has_changes(self) -> bool:
        return self.values.has_changes()

    # -- tabs ------------------------------------------------------------------------------

    @property
    def tab_keys(self) -> tuple[str, ...]:
        return tuple(self._keys)

    @property
    def current_key(self) -> str:
        return self._keys[self.tabs.currentIndex()]

    def tab_index(self, key: str) -> int:
        return self._keys.index(key)

    def select_tab(self, key: str) -> None:
        self.tabs.setCurrentIndex(self.tab_index(key))

    def editor(self, name: str, tab: str | None = None) -> Any:
        """The control bound to property ``name`` (on ``tab``, else the first one)."""
        for index, bindings in enumerate(self._tab_bindings):
            if tab is not None and self._keys[index] != tab:
                continue
            for binding in bindings:
                if name in binding.properties:
                    return binding.focus
        raise KeyError(f"no control for {name} on {tab or 'any tab'}")

    # -- problems --------------------------------------------------------------------------

    def local_problems(self) -> list[Problem]:
        """Input the sheet can refuse before asking the service (half-typed numbers...)."""
        return [problem for binding in self._bindings for problem in binding.local_problems()]

    def show_problems(self, problems: Iterable[Problem]) -> QWidget | None:
        """Show each message next to every control of its property, mark the tabs, and
        return the first control to fix (its tab is made current)."""
        problems = list(problems)
        self.clear_problems()
        by_name: dict[str, list[str]] = {}
        for problem in problems:
            name = self._canonical(problem.property)
            by_name.setdefault(name, []).append(problem.message)
        first: QWidget | None = None
        first_tab: int | None = None
        for index, bindings in enumerate(self._tab_bindings):
            messages: list[str] = []
            for binding in bindings:
                shown = [m for name in binding.properties for m in by_name.get(name, [])]
                binding.show_problems(shown)
                if shown:
                    messages.extend(m for m in shown if m not in messages)
                    if first is None:
                        first, first_tab = binding.focus, index
            if messages:
                self._mark(index, messages)
        unplaced = {n: m for n, m in by_name.items() if not any(n in b.properties for b in self._bindings)}
        self.all_properties.model.set_problems(by_name)
        if unplaced:
            all_index = self.tab_index(ALL_PROPERTIES)
            self._mark(all_index, [m for messages in unplaced.values() for m in messages])
            if first is None:
                first_tab = all_index
                self.all_properties.select_property(next(iter(unplaced)))
                first = self.all_properties.table
        if first_tab is not None:
            self.tabs.setCurrentIndex(first_tab)
        return first

    def clear_problems(self) -> None:
        for binding in self._bindings:
            binding.show_problems([])
        self.all_properties.model.set_problems({})
        for index in range(self.tabs.count()):
            self.tab_rows.set_mark(index, QIcon(), QColor(), self._help[index])

    def _mark(self, index: int, messages: list[str]) -> None:
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.tab_rows.set_mark(index, icon, QColor(Qt.GlobalColor.red), "\n".join(messages))

    def _canonical(self, name: str) -> str:
        prop = self.cls.property(name)
        return prop.name if prop is not None else name

    def _add_page(self, page: QWidget, title: str, key: str, help_text: str) -> None:
        index = self.tabs.addTab(page, title)
        self._keys.append(key)
        self._help.append(help_text)
        self.tabs.setTabToolTip(index, help_text)

    @staticmethod
    def _scrolling(page: QWidget) -> QScrollArea:
        scroll = QScrollArea()
        scroll.setObjectName(page.objectName() + "_scroll")
        scroll.setWidget(page)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        return scroll
