"""Small modal dialogs around folders and deletion, each with an ``ask`` classmethod; Delete
asks with ``confirm_delete`` (also the Drivers node's)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from console.ui.icons import icon


class NewFolderDialog:
    @classmethod
    def ask(cls, parent: QWidget | None, parent_label: str) -> str | None:
        name, ok = QInputDialog.getText(parent, "New Folder", f"Name of the new folder under {parent_label}:", text="New Folder")
        return name.strip() if ok and name.strip() else None


class RenameFolderDialog:
    @classmethod
    def ask(cls, parent: QWidget | None, current: str) -> str | None:
        name, ok = QInputDialog.getText(parent, "Rename Folder", f"New name of the folder {current!r}:", text=current)
        return name.strip() if ok and name.strip() and name.strip() != current else None


class DeleteFolderDialog:
    @classmethod
    def ask(cls, parent: QWidget | None, name: str, packages: int, subfolders: int, parent_label: str) -> bool:
        """Yes/No (No is the default). A folder with contents says they move up to ``parent_label``."""
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Question if not (packages or subfolders) else QMessageBox.Icon.Warning)
        box.setWindowTitle("Delete Folder")
        box.setText(f"Delete the folder {name!r}?")
        if packages or subfolders:
            box.setInformativeText(
                f"It holds {packages} boot image(s) and {subfolders} sub-folder(s). They are moved up to "
                f"{parent_label}; no boot image is deleted.")
        else:
            box.setInformativeText("The folder is empty.")
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        return box.exec() == QMessageBox.StandardButton.Yes


class MoveToFolderDialog(QDialog):
    def __init__(self, folders: Sequence[tuple[int, str]], count: int, parent: QWidget | None = None,
                 prompt: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Move Selected Items")
        self.list = QListWidget()
        self.list.setAccessibleName("Target folder")
        for folder_id, path in folders:
            item = QListWidgetItem(icon("folder" if folder_id else "boot-image"), path)
            item.setData(256, folder_id)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(prompt or f"Move {count} boot image(s) to:"))
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        self.resize(420, 360)

    def folder_id(self) -> int | None:
        item = self.list.currentItem()
        return int(item.data(256)) if item is not None else None

    @classmethod
    def ask(cls, parent: QWidget | None, folders: Sequence[tuple[int, str]], count: int) -> int | None:
        dialog = cls(folders, count, parent)
        return dialog.folder_id() if dialog.exec() == QDialog.DialogCode.Accepted else None


class MoveFolderDialog:
    @classmethod
    def ask(cls, parent: QWidget | None, folders: Sequence[tuple[int, str]], name: str) -> int | None:
        """``folders``: the possible new parents (0 = top level), the folder's own branch left out."""
        dialog = MoveToFolderDialog(folders, 0, parent, prompt=f"Move the folder {name!r} to:")
        dialog.setWindowTitle("Move Folder")
        return dialog.folder_id() if dialog.exec() == QDialog.DialogCode.Accepted else None


def confirm_delete(parent: QWidget | None, title: str, question: str, items: Sequence[tuple[object, str]],
                   consequences: str) -> bool:
    """Yes/No (No is the default) under ``question``, listing the first 15 ``items`` (ID, name)
    exactly as they will be deleted."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    listing = "\n".join(f"  {key}  {name}" for key, name in items[:15])
    more = f"\n  … and {len(items) - 15} more" if len(items) > 15 else ""
    box.setText(f"{question}\n\n{listing}{more}")
    box.setInformativeText(consequences)
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    return box.exec() == QMessageBox.StandardButton.Yes


class ConfirmDeleteDialog:
    @classmethod
    def ask(cls, parent: QWidget | None, items: Sequence[tuple[str, str]]) -> bool:
        """``items``: (PackageID, Name). Lists exactly what will be deleted."""
        return confirm_delete(
            parent, "Delete Boot Images" if len(items) > 1 else "Delete Boot Image",
            f"Delete {len(items)} boot image package(s)?", items,
            "The packages, their optional component and driver selections and refresh schedules are removed "
            "from the site database. The source WIM files are not touched. Package IDs are never reused.",
        )
