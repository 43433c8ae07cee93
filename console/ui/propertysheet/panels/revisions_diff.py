"""What differs between two revisions: property values old → new, the files inside the
image (added, removed, changed), registry values and the stored content files."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from console.core.revision_diff import UNKNOWN, FileChange, RevisionDiff, ValueChange, show

MARKS = {"added": ("+", "#0b6a0b"), "removed": ("−", "#a4262c"), "changed": ("~", "#8a5a00")}


def _value_rows(changes: tuple[ValueChange, ...]) -> str:
    rows = "".join(
        f"<tr><td><b>{html.escape(c.name)}</b></td><td>{html.escape(show(c.old))}</td>"
        f"<td>→</td><td>{html.escape(show(c.new))}</td></tr>"
        for c in changes
    )
    return f"<table cellspacing='0' cellpadding='3'>{rows}</table>"


def _file_rows(changes: tuple[FileChange, ...]) -> str:
    items = []
    for change in changes:
        mark, colour = MARKS[change.kind]
        items.append(f"<div style='color:{colour}'>{mark} {html.escape(change.path)} "
                     f"<span style='color:palette(mid)'>({change.kind})</span></div>")
    return "".join(items)


def diff_html(diff: RevisionDiff) -> str:
    """The diff as rich text (the same facts as ``bootimage diff``)."""
    none = "<p><i>No changes.</i></p>"
    parts = [f"<h3>{html.escape(diff.package_id)}: revision {diff.a} → revision {diff.b}</h3>"]
    if diff.empty:
        parts.append("<p>The two revisions have the same properties and the same image.</p>")
    parts.append(f"<h4>Properties ({len(diff.properties)})</h4>")
    parts.append(_value_rows(diff.properties) if diff.properties else none)
    counts = ", ".join(f"{len(diff.image(k))} {k}" for k in ("added", "removed", "changed") if diff.image(k))
    parts.append(f"<h4>Image files{f' ({counts})' if counts else ''}</h4>")
    unknown = f"<p><i>{html.escape(UNKNOWN.capitalize())}.</i></p>"
    if not diff.image_listing_known:
        parts.append(unknown)
    else:
        parts.append(_file_rows(diff.image_files) if diff.image_files else none)
    parts.append(f"<h4>Registry values{f' ({len(diff.registry)})' if diff.registry_known else ''}</h4>")
    if not diff.registry_known:
        parts.append(unknown)
    else:
        parts.append(_value_rows(diff.registry) if diff.registry else none)
    parts.append("<h4>Content files</h4>")
    parts.append(_file_rows(diff.content_files) if diff.content_files else none)
    return "".join(parts)


class RevisionDiffDialog(QDialog):
    """A scrollable, non-modal view of one diff; the text can be selected and copied."""

    def __init__(self, diff: RevisionDiff, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.diff = diff
        self.setObjectName("revisionDiffDialog")
        self.setWindowTitle(f"{diff.package_id}: revision {diff.a} → revision {diff.b}")
        self.text = QTextBrowser(self)
        self.text.setAccessibleName("Differences")
        self.text.setOpenLinks(False)
        self.text.setHtml(diff_html(diff))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.resize(620, 520)

    def plain_text(self) -> str:
        return self.text.toPlainText()
