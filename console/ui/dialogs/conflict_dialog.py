"""Save conflict: someone else saved the object after it was read. Offer to reload."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from console.core.errors import ConflictError


class ConflictDialog(QMessageBox):
    def __init__(self, error: ConflictError, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle(error.title)
        self.setText(f"{error.object_id} was changed by {error.changed_by} at {error.changed_at}, "
                     "after you opened it. Nothing was saved.")
        self.setInformativeText(
            "Reload shows the values saved now; the changes you made in this dialog are discarded "
            "and can be made again. Cancel keeps your changes on screen, but they cannot be saved "
            "until you reload."
        )
        self.reload_button = self.addButton("&Reload", QMessageBox.ButtonRole.AcceptRole)
        self.addButton(QMessageBox.StandardButton.Cancel)
        self.setDefaultButton(self.reload_button)
        self.setAccessibleName("Save conflict")

    @classmethod
    def ask(cls, parent: QWidget | None, error: ConflictError) -> bool:
        """``True`` when the user chooses Reload (tests replace this)."""
        dialog = cls(error, parent)
        try:
            dialog.exec()
            return dialog.clickedButton() is dialog.reload_button
        finally:
            dialog.deleteLater()
