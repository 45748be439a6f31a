"""Light and dark palettes for the Fusion style, following the system unless the user picks one."""

from __future__ import annotations

from enum import Enum

from PySide6 import QtCore, QtGui, QtWidgets


class ThemeMode(str, Enum):
    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


def system_is_dark() -> bool:
    """What the desktop asks for; Unknown (e.g. offscreen) counts as light."""
    scheme = QtGui.QGuiApplication.styleHints().colorScheme()
    return scheme == QtCore.Qt.ColorScheme.Dark


def is_dark(mode: ThemeMode) -> bool:
    return system_is_dark() if mode is ThemeMode.SYSTEM else mode is ThemeMode.DARK


def dark_palette() -> QtGui.QPalette:
    """A calm dark palette; Fusion draws every widget from it."""
    C = QtGui.QColor
    R = QtGui.QPalette.ColorRole
    pal = QtGui.QPalette()
    colors = {
        R.Window: C(37, 39, 43), R.WindowText: C(222, 224, 228), R.Base: C(28, 30, 33),
        R.AlternateBase: C(44, 47, 52), R.ToolTipBase: C(50, 53, 58),
        R.ToolTipText: C(230, 230, 230), R.PlaceholderText: C(130, 134, 140),
        R.Text: C(222, 224, 228), R.Button: C(48, 51, 56), R.ButtonText: C(222, 224, 228),
        R.BrightText: C(255, 110, 110), R.Highlight: C(64, 128, 214),
        R.HighlightedText: C(255, 255, 255), R.Link: C(110, 170, 255),
        R.Light: C(70, 74, 80), R.Midlight: C(58, 61, 66), R.Mid: C(45, 48, 52),
        R.Dark: C(22, 23, 26), R.Shadow: C(10, 10, 10),
    }
    for role, color in colors.items():
        pal.setColor(role, color)
    disabled = QtGui.QPalette.ColorGroup.Disabled
    for role in (R.WindowText, R.Text, R.ButtonText):
        pal.setColor(disabled, role, C(120, 123, 128))
    return pal


def apply_theme(mode: ThemeMode) -> None:
    """Set Fusion and the palette for `mode` on the whole application."""
    app = QtWidgets.QApplication.instance()
    if app is None:
        return
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    if is_dark(mode):
        app.setPalette(dark_palette())
    else:
        app.setPalette(app.style().standardPalette())
