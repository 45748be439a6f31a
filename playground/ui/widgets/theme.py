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


# Metrics Fusion keeps at a fixed pixel size whatever the font: they follow View > zoom here.
_ZOOMED_METRICS = (
    QtWidgets.QStyle.PixelMetric.PM_IndicatorWidth,
    QtWidgets.QStyle.PixelMetric.PM_IndicatorHeight,
    QtWidgets.QStyle.PixelMetric.PM_ExclusiveIndicatorWidth,
    QtWidgets.QStyle.PixelMetric.PM_ExclusiveIndicatorHeight,
)
_base_point_size: float | None = None
_style: QtWidgets.QStyle | None = None  # held here too: Python overrides die with the wrapper


def zoom_factor() -> float:
    """The application font's size over the size it had before any zoom (1.0 = 100 %)."""
    font = QtWidgets.QApplication.font()
    if _base_point_size is None or font.pointSizeF() <= 0:
        return 1.0
    return font.pointSizeF() / _base_point_size


class PlaygroundStyle(QtWidgets.QProxyStyle):
    """Fusion, with check and radio boxes that grow with the zoom and show in the dark theme.

    Fusion sizes indicators in pixels (13 px at any font size) and outlines them with the
    window colour darkened, which on a dark window is nearly invisible when unchecked.
    """

    def pixelMetric(self, metric, option=None, widget=None) -> int:  # noqa: N802 (Qt API)
        value = super().pixelMetric(metric, option, widget)
        if metric in _ZOOMED_METRICS:
            return round(value * zoom_factor())
        return value

    def drawPrimitive(self, element, option, painter, widget=None) -> None:  # noqa: N802
        super().drawPrimitive(element, option, painter, widget)
        kind = QtWidgets.QStyle.PrimitiveElement
        if element not in (kind.PE_IndicatorCheckBox, kind.PE_IndicatorRadioButton):
            return
        palette = option.palette
        if palette.color(QtGui.QPalette.ColorRole.Window).lightness() >= 128:
            return  # Fusion's own outline reads well on a light window
        # A border in the text colour, softened: visible on the dark window, checked or not.
        colour = QtGui.QColor(palette.color(QtGui.QPalette.ColorRole.Text))
        colour.setAlpha(170 if option.state & QtWidgets.QStyle.StateFlag.State_Enabled else 90)
        painter.save()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QtGui.QPen(colour, 1))
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        rect = QtCore.QRectF(option.rect).adjusted(0.5, 0.5, -1.5, -1.5)
        if element == kind.PE_IndicatorRadioButton:
            painter.drawEllipse(rect)
        else:
            painter.drawRect(rect)
        painter.restore()


def apply_theme(mode: ThemeMode) -> None:
    """Set Fusion (with the playground's adjustments) and the palette for `mode` on the app."""
    global _base_point_size, _style
    app = QtWidgets.QApplication.instance()
    if app is None:
        return
    if _base_point_size is None:
        _base_point_size = QtWidgets.QApplication.font().pointSizeF()
    if not isinstance(app.style(), PlaygroundStyle):
        _style = PlaygroundStyle(QtWidgets.QStyleFactory.create("Fusion"))
        app.setStyle(_style)
    palette = dark_palette() if is_dark(mode) else app.style().standardPalette()
    if palette != app.palette():  # the same palette again would still repolish every widget
        app.setPalette(palette)
