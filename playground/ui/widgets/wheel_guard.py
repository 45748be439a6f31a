"""The mouse wheel scrolls the page; it edits a spin box, combo box or slider only once focused.

Qt lets the wheel change any spin box, combo or slider under the pointer, so scrolling the
Training Lab's controls silently changed values (Noise σ 1.00 -> 0.70). One application-wide
event filter, installed by the main window, fixes every such widget, present and future.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

_GUARDED = (QtWidgets.QAbstractSpinBox, QtWidgets.QComboBox, QtWidgets.QAbstractSlider)


def is_guarded(obj: QtCore.QObject) -> bool:
    """A value widget the wheel must not change unfocused (scroll bars scroll: they are free)."""
    return isinstance(obj, _GUARDED) and not isinstance(obj, QtWidgets.QScrollBar)


def scroll_area_of(widget: QtWidgets.QWidget) -> QtWidgets.QAbstractScrollArea | None:
    """The nearest scroll area holding `widget`, the one a wheel over it should scroll."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QtWidgets.QAbstractScrollArea):
            return parent
        parent = parent.parentWidget()
    return None


class WheelGuard(QtCore.QObject):
    """Application event filter: an unfocused value widget passes the wheel to its scroll area."""

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind == QtCore.QEvent.Type.Polish and is_guarded(obj):
            # WheelFocus would hand focus to the widget the wheel passes over, and then let
            # the wheel edit it: click or Tab focus only.
            if obj.focusPolicy() == QtCore.Qt.FocusPolicy.WheelFocus:
                obj.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        elif kind == QtCore.QEvent.Type.Wheel and is_guarded(obj) and not obj.hasFocus():
            area = scroll_area_of(obj)
            if area is not None:
                QtWidgets.QApplication.sendEvent(area.viewport(), event)
            else:
                event.ignore()  # Qt offers an ignored wheel event to the parent widgets
            return True
        return False


_installed: WheelGuard | None = None


def install_wheel_guard() -> WheelGuard | None:
    """Install the guard on the application once (the main window calls this)."""
    global _installed
    app = QtWidgets.QApplication.instance()
    if app is None:
        return None
    if _installed is None:
        _installed = WheelGuard(app)
        app.installEventFilter(_installed)
        # Widgets polished before the guard was installed keep WheelFocus: fix them now.
        for widget in QtWidgets.QApplication.allWidgets():
            if is_guarded(widget) and widget.focusPolicy() == QtCore.Qt.FocusPolicy.WheelFocus:
                widget.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
    return _installed
