"""One way to tell the learner something: message colours and the status channel, for every lab.

Errors and warnings look the same in both labs (and follow the theme), and every lab's passing
notes go to the main window's status bar through `show_status`.
"""

from __future__ import annotations

from PySide6 import QtGui, QtWidgets

# (strip background, text) per theme: readable text on a tinted strip, light and dark.
STRIP_COLOURS: dict[str, dict[bool, tuple[str, str]]] = {
    "error": {False: ("#f8d7da", "#6e1a22"), True: ("#5a1d24", "#f5c2c7")},
    "warning": {False: ("#fff3cd", "#5c4500"), True: ("#4a3b0b", "#ffe69c")},
}
# The accent (text and edge) of an inline message, per theme.
ACCENTS: dict[str, dict[bool, str]] = {
    "error": {False: "#c62828", True: "#ff6b6b"},
    "warning": {False: "#9a5b00", True: "#ffb74d"},
}


def inline_message_style(object_name: str, level: str, dark: bool) -> str:
    """Stylesheet for a QLabel message: accent text, an edge and a faint tint of the accent."""
    accent = ACCENTS[level][dark]
    tint = QtGui.QColor(accent)
    tint.setAlpha(28)
    return (f"QLabel#{object_name} {{ color: {accent}; border-left: 3px solid {accent};"
            f" background-color: rgba({tint.red()}, {tint.green()}, {tint.blue()},"
            f" {tint.alpha()}); padding: 4px 6px; }}")


def strip_palette(base: QtGui.QPalette, level: str, dark: bool) -> QtGui.QPalette:
    """`base` recoloured for a message strip (a QFrame with labels and buttons inside)."""
    background, text = STRIP_COLOURS[level][dark]
    palette = QtGui.QPalette(base)
    for role in (QtGui.QPalette.ColorRole.Window, QtGui.QPalette.ColorRole.Base):
        palette.setColor(role, QtGui.QColor(background))
    for role in (QtGui.QPalette.ColorRole.WindowText, QtGui.QPalette.ColorRole.Text,
                 QtGui.QPalette.ColorRole.ButtonText):
        palette.setColor(role, QtGui.QColor(text))
    return palette


def show_status(widget: QtWidgets.QWidget, text: str, timeout_ms: int = 6000) -> None:
    """Put `text` in the status bar of the main window holding `widget` (if it has one)."""
    window = widget.window()
    if isinstance(window, QtWidgets.QMainWindow) and window is not widget:
        window.statusBar().showMessage(text, timeout_ms)
