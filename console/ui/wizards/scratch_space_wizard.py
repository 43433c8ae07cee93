"""Scratch Space wizard: choose the Windows PE scratch space of a boot image. The choices, their
labels and the default come from ScratchSpace's metadata (ValueMap, Values, default value)."""

from __future__ import annotations

from enum import IntEnum
from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QGroupBox,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from console.core.changes import Changes
from console.core.classdef import ClassDef
from console.core.console_services import ConsoleServices
from console.core.validation import UNIT_NAMES
from console.ui.tasks import TaskRunner
from console.ui.wizards.pages import NOT_BUILT_YET, CompletionPage, ProgressPage, SummaryPage, WizardBase

#: Advice shown beside a choice (choices the metadata adds later simply have none).
ADVICE = {
    32: "Smallest RAM footprint; enough for a task sequence that only applies an image. Tools that "
        "unpack to %TEMP% (driver packages, large scripts, WinPE-NetFx/PowerShell work) can fail with "
        "\"not enough space\".",
    64: "For simple task sequences on older devices with little memory.",
    128: "A middle ground for images with a few drivers and scripts.",
    256: "Comfortable for PowerShell-based steps and downloading content to X:\\ during deployment.",
    512: "The Configuration Manager default on devices with more than 1 GB of RAM: room for PowerShell, "
         "logs and temporary downloads. Needs the memory on the target: a device with 1 GB RAM or less "
         "may not start Windows PE with it.",
}

INTRO = """<b>Scratch space</b> is the writable part of the RAM disk (drive X:) that Windows PE runs
from, taken from the target computer's memory. Too small, and steps that unpack files or write
logs fail with out-of-space errors; too large, and computers with little RAM cannot start the
image. It is written into the image (DISM /Set-ScratchSpace) when the image is next built."""


class PageId(IntEnum):
    CHOOSE = 0
    SUMMARY = 1
    PROGRESS = 2
    DONE = 3


def scratch_choices(cls: ClassDef) -> tuple[list[tuple[int, str]], int]:
    """([(value, label)], default) from ScratchSpace's ValueMap/Values and default value."""
    prop = cls.properties["ScratchSpace"]
    return [(int(c.value), c.name) for c in prop.choices], int(prop.default or 0)


class ChoosePage(QWizardPage):
    def __init__(self, current: int, choices: list[tuple[int, str]], default: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Scratch Space")
        self.setSubTitle("Choose how much writable space Windows PE gets on its RAM disk.")
        self.current = current
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.group = QButtonGroup(self)
        box = QGroupBox("Windows PE scratch space")
        grid = QGridLayout(box)
        grid.setColumnStretch(1, 1)
        grid.setVerticalSpacing(8)
        for row, (value, label) in enumerate(choices):
            text = ADVICE.get(value, "")
            radio = QRadioButton(f"&{label}")
            radio.setAccessibleName(label)
            radio.setToolTip(text)
            notes = [note for note, on in (("default", value == default), ("current setting", value == current)) if on]
            hint = QLabel(text + (f"  <i>({', '.join(notes)})</i>" if notes else ""))
            hint.setWordWrap(True)
            hint.setObjectName("hint")
            hint.setBuddy(radio)
            self.group.addButton(radio, value)
            grid.addWidget(radio, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(hint, row, 1)
        button = self.group.button(current) or self.group.button(default)
        button.setChecked(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(box)
        layout.addStretch(1)

    def value(self) -> int:
        return self.group.checkedId()


class ScratchSpaceWizard(WizardBase):
    applied = Signal(object)  # Changes

    def __init__(self, console: ConsoleServices, package: Any, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        """``package``: the boot image read with its lazy properties (the launcher reads it off the GUI thread)."""
        super().__init__("Scratch Space", parent)
        self.console = console
        self.package_id = package["PackageID"]
        self.package = package
        self.version = self.package["SedoObjectVersion"]
        choices, default = scratch_choices(console.packages.cls)
        self.choose = ChoosePage(int(self.package.get("ScratchSpace") or default), choices, default)
        self.progress = ProgressPage(tasks, self._apply, "Saving the scratch space")
        self.setPage(PageId.CHOOSE, self.choose)
        self.setPage(PageId.SUMMARY, SummaryPage(self._summary))
        self.setPage(PageId.PROGRESS, self.progress)
        self.setPage(PageId.DONE, CompletionPage(self._completion, self.progress))
        self.progress.succeeded.connect(lambda result: self.applied.emit(result.changes if result else Changes()))

    def _shown(self, value: int) -> str:
        """``512 MB``: the value's label from the metadata (Values, Units)."""
        prop = self.console.packages.cls.properties["ScratchSpace"]
        return prop.choice_name(value) or f"{value} {UNIT_NAMES.get(prop.units, prop.units)}".strip()

    def _summary(self) -> str:
        new = self.choose.value()
        old = self.choose.current
        name = escape(self.package["Name"])
        if new == old:
            return f"<p>Scratch space of <b>{name}</b> ({self.package_id}) stays at <b>{self._shown(old)}</b>; nothing will change.</p>"
        return (f"<p>Boot image: <b>{name}</b> ({self.package_id})</p>"
                f"<p>Scratch space: {self._shown(old)} → <b>{self._shown(new)}</b></p>"
                "<p>The value is recorded with the boot image; the WIM file is changed when customized boot "
                "images are built (not available in this console yet).</p>")

    def _apply(self, ctx: Any) -> Any:
        return self.console.packages.put(self.package_id, {"ScratchSpace": self.choose.value()},
                                         expected_version=self.version)

    def _completion(self, result: Any) -> str:
        value = result.value["ScratchSpace"] if result is not None else self.choose.value()
        return (f"<p>The scratch space of <b>{escape(self.package['Name'])}</b> is now <b>{self._shown(value)}</b>.</p>"
                f"{NOT_BUILT_YET}")
