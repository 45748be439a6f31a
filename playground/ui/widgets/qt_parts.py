"""Qt's own sub-widgets (a toolbar's overflow arrow, a dock's title-bar buttons).

Qt gives them no accessor, only an objectName of its own (`qt_toolbar_ext_button`, ...), so
this is the one place the ui looks a widget up by name. Our own widgets are never found this
way: a view is handed what it needs, and objectNames are the automation contract for tests.
"""

from __future__ import annotations

from typing import TypeVar

from PySide6 import QtCore, QtWidgets

T = TypeVar("T", bound=QtCore.QObject)


def qt_part(owner: QtCore.QObject, kind: type[T], qt_name: str) -> T | None:
    """The direct child of `owner` Qt itself created and named `qt_name` (None in a Qt without
    it)."""
    for child in owner.children():
        if isinstance(child, kind) and child.objectName() == qt_name:
            return child
    return None


def column(*widgets: QtWidgets.QWidget, stretch: tuple[int, ...]) -> QtWidgets.QWidget:
    """The widgets stacked in a margin-less column, each with its stretch factor."""
    holder = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget, factor in zip(widgets, stretch, strict=True):
        layout.addWidget(widget, factor)
    return holder
