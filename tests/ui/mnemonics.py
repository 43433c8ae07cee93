"""A generic mnemonic checker: no two widgets a user sees together answer the same Alt+key."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QMenu, QMenuBar, QTabBar, QWidget, QWizard


def mnemonic(text: str) -> str | None:
    """The key after a single ``&`` (``&&`` is a literal ampersand), lower-case."""
    i = 0
    while i < len(text) - 1:
        if text[i] == "&":
            if text[i + 1] == "&":
                i += 2
                continue
            return text[i + 1].lower()
        i += 1
    return None


def _texts(widget: QWidget) -> list[str]:
    if isinstance(widget, QAbstractButton):
        return [widget.text()]
    if isinstance(widget, QLabel) and widget.buddy() is not None:
        return [widget.text()]
    if isinstance(widget, QGroupBox) and widget.isCheckable():
        return [widget.title()]
    if isinstance(widget, QTabBar):
        return [widget.tabText(i) for i in range(widget.count()) if widget.isTabVisible(i)]
    return []


def wizard_button_texts(wizard: QWizard) -> list[str]:
    """Back, Next, Commit, Finish and Cancel as this platform's style labels them."""
    buttons = (QWizard.WizardButton.BackButton, QWizard.WizardButton.NextButton, QWizard.WizardButton.CommitButton,
               QWizard.WizardButton.FinishButton, QWizard.WizardButton.CancelButton)
    return [wizard.button(b).text() for b in buttons if wizard.button(b) is not None]


def clashes(root: QWidget, extra: Iterable[str] = ()) -> dict[str, list[str]]:
    """Mnemonics used more than once among the widgets under ``root`` that are shown together
    (``isVisibleTo(root)``: hidden tabs and pages do not count) plus ``extra`` texts."""
    used: dict[str, list[str]] = {}
    texts = list(extra)
    for widget in [root, *root.findChildren(QWidget)]:
        if widget is root or widget.isVisibleTo(root):
            texts.extend(_texts(widget))
    for text in texts:
        key = mnemonic(text)
        if key is not None:
            used.setdefault(key, []).append(text)
    return {key: found for key, found in used.items() if len(found) > 1}


def menu_clashes(actions: Iterable[QAction]) -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    for action in actions:
        if action.isSeparator() or not action.isVisible():
            continue
        key = mnemonic(action.text())
        if key is not None:
            used.setdefault(key, []).append(action.text())
    return {key: found for key, found in used.items() if len(found) > 1}


def all_menu_clashes(bar: QMenuBar) -> dict[str, dict[str, list[str]]]:
    """Per menu (and the menu bar itself): its clashing items."""
    result = {}
    if found := menu_clashes(bar.actions()):
        result["menu bar"] = found
    for action in bar.actions():
        menu = action.menu()
        if isinstance(menu, QMenu):
            menu.aboutToShow.emit()  # menus filled on demand
            if found := menu_clashes(menu.actions()):
                result[action.text()] = found
    return result
