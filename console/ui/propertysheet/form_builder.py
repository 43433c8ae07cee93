"""Builds the widgets of a layout tab: group boxes, labelled fields, check boxes, radios."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from console.core.classdef import ClassDef, PropertyDef
from console.core.sheet_layout import (
    CheckItem,
    FieldItem,
    GroupItem,
    LayoutItem,
    NoteItem,
    PanelItem,
    PanelKind,
    RadioGroupItem,
    TabLayout,
    humanize,
)
from console.ui.propertysheet.bindings import CheckBinding, ErrorLabel, FieldBinding, RadioBinding, SheetBinding
from console.ui.propertysheet.choice_editors import BoolEditor
from console.ui.propertysheet.editor_base import EditorContext, read_only_reason, tooltip_for
from console.ui.propertysheet.editor_factory import create_editor
from console.ui.propertysheet.sheet_values import SheetValues

PanelFactory = Callable[[PanelKind, SheetValues], QWidget]
GROWING = (QSizePolicy.Policy.Expanding, QSizePolicy.Policy.MinimumExpanding, QSizePolicy.Policy.Ignored)
INDENT = 22
#: Letters the dialog itself uses (Apply).
RESERVED_MNEMONICS = frozenset("a")


class Mnemonics:
    """Gives generated labels a unique Alt+letter: first letters of words first."""

    def __init__(self) -> None:
        self._used: set[str] = set(RESERVED_MNEMONICS)

    def claim(self, text: str) -> str:
        if "&" in text.replace("&&", ""):
            position = text.replace("&&", "\0\0").index("&")
            self._used.add(text[position + 1].lower())
            return text
        words = [i for i, ch in enumerate(text) if ch.isalpha() and (i == 0 or not text[i - 1].isalnum())]
        for index in [*words, *range(len(text))]:
            letter = text[index].lower()
            if text[index].isalpha() and letter not in self._used:
                self._used.add(letter)
                return text[:index] + "&" + text[index:]
        return text


def caption(text: str, parent: QWidget) -> QLabel:
    """Secondary explanatory text (help lines, notes)."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setObjectName("caption")
    palette = label.palette()
    ink, window = palette.color(QPalette.ColorRole.WindowText), palette.color(QPalette.ColorRole.Window)
    muted = QColor(
        (ink.red() * 3 + window.red() * 2) // 5,
        (ink.green() * 3 + window.green() * 2) // 5,
        (ink.blue() * 3 + window.blue() * 2) // 5,
    )
    palette.setColor(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText, muted)
    palette.setColor(QPalette.ColorGroup.Inactive, QPalette.ColorRole.WindowText, muted)
    label.setPalette(palette)
    return label


class FormBuilder:
    """Turns layout items into widgets bound to ``values``; keeps the bindings."""

    def __init__(self, cls: ClassDef, ctx: EditorContext, values: SheetValues,
                 panel_factory: PanelFactory | None = None) -> None:
        self.cls = cls
        self.ctx = ctx
        self.values = values
        self.panel_factory = panel_factory
        self.bindings: list[SheetBinding] = []
        self._labels: list[tuple[QLabel, int]] = []
        self._depth = 0
        self._mnemonics = Mnemonics()

    def build_tab(self, tab: TabLayout) -> QWidget:
        page = QWidget()
        page.setObjectName(f"tab_{tab.key}")
        layout = QVBoxLayout(page)
        self._labels = []
        self._mnemonics = Mnemonics()
        self.add_items(tab.items, layout, page)
        if not tab.panels:
            layout.addStretch(1)
        self._align_labels()
        return page

    def add_items(self, items: tuple[LayoutItem, ...], layout: QVBoxLayout, parent: QWidget) -> None:
        form: QFormLayout | None = None
        for item in items:
            if isinstance(item, FieldItem):
                if form is None:
                    form = self._new_form()
                    layout.addLayout(form)
                self._add_field(item, form, parent)
                continue
            form = None
            if isinstance(item, GroupItem):
                layout.addWidget(self._group(item, parent))
            elif isinstance(item, CheckItem):
                self._add_check(item, layout, parent)
            elif isinstance(item, RadioGroupItem):
                self._add_radios(item, layout, parent)
            elif isinstance(item, NoteItem):
                layout.addWidget(caption(item.text, parent))
            elif isinstance(item, PanelItem):
                layout.addWidget(self._panel(item.kind, parent), 1)

    # -- items -----------------------------------------------------------------------------

    def _new_form(self) -> QFormLayout:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        return form

    def _group(self, item: GroupItem, parent: QWidget) -> QWidget:
        box: QWidget = QGroupBox(item.title, parent) if item.title else QWidget(parent)
        inner = QVBoxLayout(box)
        if not item.title:
            inner.setContentsMargins(0, 0, 0, 0)
        if item.help:
            inner.addWidget(caption(item.help, box))
        self.add_items(item.children, inner, box)
        return box

    def _property(self, name: str) -> PropertyDef:
        prop = self.cls.property(name)
        if prop is None:  # the layout loader checked every name against the class
            raise KeyError(name)
        return prop

    def _add_field(self, item: FieldItem, form: QFormLayout, parent: QWidget) -> None:
        prop = self._property(item.property)
        text = self._mnemonics.claim(item.label or humanize(prop.name) + ":")
        editor = create_editor(
            prop, self.ctx, parent, label=text, read_only=item.read_only, lines=item.lines,
            placeholder=item.placeholder, choice_labels={c.value: c.label for c in item.choices},
        )
        error = ErrorLabel(parent)
        cell = QWidget(parent)
        column = QVBoxLayout(cell)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        if editor.sizePolicy().horizontalPolicy() in GROWING:
            column.addWidget(editor)
        else:  # spin boxes and drop-downs keep their natural width; help text below still wraps wide
            row = QHBoxLayout()
            row.addWidget(editor)
            if prop.name in self.ctx.field_buttons and not (item.read_only or prop.is_read_only):
                button_text, action = self.ctx.field_buttons[prop.name]
                button = QPushButton(button_text, parent)
                button.setObjectName(f"button_{prop.name}")
                button.clicked.connect(lambda _checked=False, e=editor, act=action: act(e))
                row.addWidget(button)
            row.addStretch(1)
            column.addLayout(row)
        column.addWidget(error)
        if item.help:
            column.addWidget(caption(item.help, cell))
        cell.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        if isinstance(editor, BoolEditor):
            editor.setText(text.rstrip(":"))
            form.addRow(cell)
        else:
            label = QLabel(text, parent)
            label.setBuddy(editor)
            label.setToolTip(editor.toolTip())
            form.addRow(label, cell)
            self._labels.append((label, self._depth))
            if self._is_tall(editor):
                label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.bindings.append(FieldBinding(editor, self.values, prop.name, error))

    @staticmethod
    def _is_tall(editor: QWidget) -> bool:
        return editor.sizeHint().height() > 40

    def _children(self, children: tuple[LayoutItem, ...], layout: QVBoxLayout, parent: QWidget) -> QWidget | None:
        if not children:
            return None
        box = QWidget(parent)
        inner = QVBoxLayout(box)
        inner.setContentsMargins(INDENT, 0, 0, 0)
        self._depth += 1
        try:
            self.add_items(children, inner, box)
        finally:
            self._depth -= 1
        layout.addWidget(box)
        return box

    def _add_check(self, item: CheckItem, layout: QVBoxLayout, parent: QWidget) -> None:
        prop = self._property(item.binding.property)
        check = QCheckBox(self._mnemonics.claim(item.label), parent)
        reason = read_only_reason(prop) if prop.is_read_only else ""
        check.setToolTip(tooltip_for(prop, reason))
        check.setObjectName(f"check_{item.binding.ref}")
        layout.addWidget(check)
        error = ErrorLabel(parent)
        layout.addWidget(error)
        if item.help:
            self._indented(caption(item.help, parent), layout)
        children = self._children(item.children, layout, parent)
        self.bindings.append(CheckBinding(check, self.values, item.binding, error, children, reason))

    def _add_radios(self, item: RadioGroupItem, layout: QVBoxLayout, parent: QWidget) -> None:
        if item.label:
            layout.addWidget(QLabel(item.label, parent))
        if item.help:
            layout.addWidget(caption(item.help, parent))
        buttons: list[QRadioButton] = []
        children: list[QWidget | None] = []
        reason = ""
        for option in item.options:
            text = self._mnemonics.claim(option.label) if option.binding is not None else option.label.replace("&", "")
            button = QRadioButton(text, parent)
            if option.binding is not None:
                prop = self._property(option.binding.property)
                reason = reason or (read_only_reason(prop) if prop.is_read_only else "")
                button.setToolTip(tooltip_for(prop, reason))
                button.setObjectName(f"option_{option.binding.ref}")
            else:
                button.setToolTip(option.unsupported)
            layout.addWidget(button)
            if option.help or option.unsupported:
                self._indented(caption(option.help or option.unsupported, parent), layout)
            buttons.append(button)
            children.append(self._children(option.children, layout, parent))
        error = ErrorLabel(parent)
        layout.addWidget(error)
        self.bindings.append(RadioBinding(item, buttons, children, self.values, error, reason))

    def _indented(self, widget: QWidget, layout: QVBoxLayout) -> None:
        widget.setContentsMargins(INDENT, 0, 0, 0)
        layout.addWidget(widget)

    def _panel(self, kind: PanelKind, parent: QWidget) -> QWidget:
        if self.panel_factory is not None:
            return self.panel_factory(kind, self.values)
        return caption(f"The {kind.value.replace('-', ' ')} view needs a site connection.", parent)

    def _align_labels(self) -> None:
        """Every field of a tab starts at the same x, as on a property page, also those
        nested (indented) under a check box or an option."""
        if not self._labels:
            return
        right = max(label.sizeHint().width() + depth * INDENT for label, depth in self._labels)
        for label, depth in self._labels:
            label.setMinimumWidth(right - depth * INDENT)
