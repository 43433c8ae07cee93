"""Optional Components wizard: choose the Windows PE optional components of a boot image."""

from __future__ import annotations

from enum import IntEnum
from html import escape
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QMessageBox, QVBoxLayout, QWidget, QWizardPage

from console.core.changes import Changes
from console.core.console_services import ConsoleServices
from console.core.optional_components import CHOSEN, PREREQUISITE, SITE_REQUIRED, component_groups
from console.ui.tasks import TaskRunner
from console.ui.wizards.component_list import ComponentList
from console.ui.wizards.pages import NOT_BUILT_YET, CompletionPage, ProgressPage, SummaryPage, WizardBase


class PageId(IntEnum):
    COMPONENTS = 0
    SUMMARY = 1
    PROGRESS = 2
    DONE = 3


class RemoveDependentsPrompt:
    @classmethod
    def ask(cls, parent: QWidget | None, component: str, dependents: list[str]) -> bool:
        answer = QMessageBox.question(
            parent, "Remove Optional Component",
            f"{', '.join(dependents)} {'needs' if len(dependents) == 1 else 'need'} {component}.\n\n"
            f"Remove {', '.join(dependents)} as well?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes


class ComponentsPage(QWizardPage):
    def __init__(self, console: ConsoleServices, package: Any, adk: dict[str, Any] | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        arch = package.get("Architecture") or ""
        self.setTitle("Optional Components")
        self.setSubTitle(f"Windows PE components for {escape(package['Name'])} ({arch}). Prerequisites are "
                         "added for you; locked components are always part of a Configuration Manager boot image.")
        self.list = ComponentList(
            console.context.catalog, arch, list(package.get("OptionalComponents") or ()), adk,
            lambda name, dependents: RemoveDependentsPrompt.ask(self, name, dependents),
        )
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setAccessibleName("What changed")
        self.list.note.connect(self.notes.setText)
        adk_note = QLabel(
            "Sizes and availability come from the configured Windows ADK." if adk is not None else
            "Configure the Windows ADK folder (File › Settings › Windows ADK) to see component sizes and "
            "which components your ADK provides.")
        adk_note.setWordWrap(True)
        adk_note.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.notes)
        layout.addWidget(adk_note)
        self.registerField("components", self.list, "selection", self.list.chosen_changed)


class OptionalComponentsWizard(WizardBase):
    applied = Signal(object)  # Changes

    def __init__(self, console: ConsoleServices, package: Any, tasks: TaskRunner, parent: QWidget | None = None,
                 adk: dict[str, Any] | None = None) -> None:
        super().__init__("Optional Components", parent)
        self.console = console
        self.package = package
        self.package_id = package["PackageID"]
        self.version = package["SedoObjectVersion"]
        self.before = list(package.get("OptionalComponents") or ())
        self.components = ComponentsPage(console, package, adk)
        self.progress = ProgressPage(tasks, self._apply, "Saving the optional components")
        self.setPage(PageId.COMPONENTS, self.components)
        self.setPage(PageId.SUMMARY, SummaryPage(self._summary))
        self.setPage(PageId.PROGRESS, self.progress)
        self.setPage(PageId.DONE, CompletionPage(self._completion, self.progress))
        self.progress.succeeded.connect(lambda result: self.applied.emit(result.changes if result else Changes()))
        self.resize(860, 600)

    def chosen(self) -> list[int]:
        return list(self.field("components") or [])

    def _names(self, ids: list[int]) -> str:
        catalog = self.console.context.catalog
        return ", ".join(escape(catalog.by_id(i).name) for i in ids) or "(none)"

    def _groups_html(self, ids: list[int]) -> str:
        """The components after the change in the three groups every view uses."""
        catalog = self.console.context.catalog
        groups = component_groups(catalog, ids, self.package.get("Architecture") or "")
        prereqs = ", ".join(f"{escape(catalog.by_id(i).name)} (for {escape(', '.join(dict(groups.needed_by)[i]))})"
                            for i in groups.prerequisites)
        return (f"<p><b>{CHOSEN}:</b> {self._names(list(groups.chosen))}</p>"
                f"<p><b>{PREREQUISITE}s:</b> {prereqs or '(none)'}</p>"
                f"<p><b>{SITE_REQUIRED}:</b> {self._names(list(groups.site_required))}</p>")

    def _summary(self) -> str:
        after = self.chosen()
        locked = set(self.console.context.catalog.required_by_config_mgr(self.package.get("Architecture") or ""))
        added = [i for i in after if i not in self.before and i not in locked]
        removed = [i for i in self.before if i not in after and i not in locked]
        if not added and not removed:
            return "<p>The optional components stay as they are; nothing will change.</p>"
        return (f"<p>Boot image: <b>{escape(self.package['Name'])}</b> ({self.package_id})</p>"
                f"<p><b>Will be added:</b> {self._names(added)}</p><p><b>Will be removed:</b> {self._names(removed)}</p>"
                f"<p>After the change:</p>{self._groups_html(after)}"
                "<p>The components are added to the image the next time it is built.</p>")

    def _apply(self, ctx: Any) -> Any:
        return self.console.packages.update_optional_components(self.package_id, self.chosen(), expected_version=self.version)

    def _completion(self, result: Any) -> str:
        ids = list(result.value.component_ids) if result is not None else self.chosen()
        return (f"<p>{escape(self.package['Name'])} now has these optional components:</p>{self._groups_html(ids)}"
                f"{NOT_BUILT_YET}")
