"""The question before a distribution point is removed: what content it holds (and that the
files on the server are deleted by the removal jobs, or stay when it cannot be reached)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from console.core.distribution import DistributionPoint, PackageOnDp

SHOWN = 10


def content_lines(rows: Sequence[PackageOnDp], total: int) -> list[str]:
    lines = [f"• {r.package_id} ({r.state.label.lower()}" + (f", version {r.source_version}" if r.source_version else "")
             + ")" for r in rows[:SHOWN]]
    if total > len(lines):
        lines.append(f"• … and {total - len(lines)} more")
    return lines


def remove_question(parent: QWidget, dp: DistributionPoint, rows: Sequence[PackageOnDp],
                    total: int) -> tuple[QMessageBox, QPushButton]:
    """A window-modal question (not yet shown) and its confirming button."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Remove Distribution Point",
                      f"Remove the distribution point {dp.name}?", parent=parent)
    box.setObjectName("removeDpConfirmation")
    if total:
        held = f"It holds {total} package(s):\n" + "\n".join(content_lines(rows, total))
        after = ("\n\nThe site forgets the content records of this server; the files stay on the server "
                 "(remove the content from it first, in the package's Content Locations, to free the space).")
    else:
        held, after = "It holds no content.", ""
    groups = f"\n\nIt leaves its groups: {', '.join(dp.groups)}." if dp.groups else ""
    box.setInformativeText(held + after + groups)
    confirm = box.addButton("&Remove", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    return box, confirm
