"""One path for how every pyqtgraph plot in the app looks: plain axis numbers, theme and zoom.

Each plot (loss, lr, data, landscape and its colour bar, grad history) calls `style_plot_item`
whenever the theme or the application font (View > zoom) changes, so a new kind of text on a
plot is styled in one place for every plot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6 import QtCore, QtGui


@dataclass(frozen=True)
class PlotTheme:
    """The colours a plot's frame needs: background, text, axis lines, legend backing."""

    background: str
    foreground: str
    axis: str
    legend_brush: tuple[int, int, int, int]


LIGHT_PLOT = PlotTheme(background="#ffffff", foreground="#303236", axis="#505358",
                       legend_brush=(255, 255, 255, 210))
DARK_PLOT = PlotTheme(background="#1c1e21", foreground="#dee0e4", axis="#b4b7bc",
                      legend_brush=(30, 32, 36, 210))


def plot_theme(dark: bool) -> PlotTheme:
    return DARK_PLOT if dark else LIGHT_PLOT


@dataclass(frozen=True)
class PlotColours:
    """A plot's frame (`theme`) and the curves drawn in it: the current run, earlier runs
    (newest first), lr markers, the fitted line and the data points."""

    theme: PlotTheme
    current: tuple[int, int, int]
    earlier: tuple[tuple[int, int, int, int], ...]
    marker: tuple[int, int, int]
    fit: tuple[int, int, int]
    points: tuple[int, int, int]

    @property
    def background(self) -> str:
        return self.theme.background

    @property
    def foreground(self) -> str:
        return self.theme.foreground


LIGHT_COLOURS = PlotColours(
    theme=LIGHT_PLOT, current=(31, 100, 200),
    earlier=((230, 120, 40, 150), (60, 160, 80, 150), (150, 90, 190, 150),
             (200, 70, 90, 150), (120, 120, 120, 150)),
    marker=(200, 60, 60), fit=(200, 60, 60), points=(31, 100, 200),
)
DARK_COLOURS = PlotColours(
    theme=DARK_PLOT, current=(110, 175, 255),
    earlier=((240, 150, 80, 150), (110, 200, 120, 150), (190, 140, 230, 150),
             (240, 110, 130, 150), (170, 170, 170, 150)),
    marker=(255, 120, 120), fit=(255, 120, 120), points=(110, 175, 255),
)


def plot_colours(dark: bool) -> PlotColours:
    return DARK_COLOURS if dark else LIGHT_COLOURS


def live_pen(colour: tuple[int, ...]) -> QtGui.QPen:
    """A cosmetic 1 px pen: wider pens cost several times more to paint."""
    pen = pg.mkPen(colour, width=1)
    pen.setCosmetic(True)
    return pen


def plain_numbers(axis: pg.AxisItem) -> None:
    """Draw the axis's own values: 0.125 as 0.125, never as 125 under a hidden "x0.001".

    pyqtgraph 0.14's `enableAutoSIPrefix(False)` is not enough: it calls
    `updateAutoSIPrefix()`, which ignores the flag and freezes whatever prefix scale the
    current range implies (1000 for a 0..0.5 range with a unitless label); tick text is then
    drawn with that scale forever, while the label hides the "(x0.001)" because the flag is
    off. So the flag goes off without that call, and the scale and prefix go back to 1.
    """
    axis.autoSIPrefix = False
    if axis.autoSIPrefixScale != 1.0 or axis.labelUnitPrefix:
        axis.autoSIPrefixScale = 1.0
        axis.labelUnitPrefix = ""
        axis.label.setHtml(axis.labelString())
    axis.picture = None  # the cached tick text was drawn with the old scale
    axis.update()


class TidyAxis(pg.AxisItem):
    """An axis with plain numbers whose tick labels never overlap, however small the plot.

    pyqtgraph always draws its top tick level, even when a short axis has no room for it (a
    small lr plot printed its labels on top of each other): a label that would touch one
    already placed is left out, major levels first.
    """

    def __init__(self, orientation: str, *, whole_numbers: bool = False, **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        # For counts such as epochs: no "0.2" ticks between epoch 0 and epoch 1.
        self.whole_numbers = whole_numbers
        plain_numbers(self)

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802, N803
        levels = super().tickValues(minVal, maxVal, size)
        if not self.whole_numbers or self.logMode:
            return levels
        whole = [(spacing, [v for v in values if float(v).is_integer()])
                 for spacing, values in levels if spacing >= 1]
        if not whole:  # zoomed in closer than one step
            whole = [(1.0, [float(v) for v in range(math.ceil(minVal), math.floor(maxVal) + 1)])]
        return whole

    def generateDrawSpecs(self, p: QtGui.QPainter):  # noqa: N802 (pyqtgraph API)
        specs = super().generateDrawSpecs(p)
        if not specs:
            return specs
        axis_spec, tick_specs, text_specs = specs
        gap = 3.0  # pixels kept clear between two labels
        kept: list[QtCore.QRectF] = []
        tidy = []
        for spec in self._by_priority(text_specs):
            rect = spec[0].adjusted(-gap, -gap, gap, gap)
            if any(rect.intersects(other) for other in kept):
                continue
            kept.append(rect)
            tidy.append(spec)
        return axis_spec, tick_specs, tidy

    def _by_priority(self, text_specs: list) -> list:
        """Major level first (pyqtgraph's order); on a vertical axis, each level top first.

        pyqtgraph lists each level's labels by increasing value, so a level ends where the
        position steps back. Top first keeps the largest value when only one label fits: a
        tiny lr plot shows its 0.001, not only 0.
        """
        vertical = self.orientation in ("left", "right")
        levels: list[list] = []
        previous = None
        for spec in text_specs:
            centre = spec[0].center()
            position = -centre.y() if vertical else centre.x()
            if previous is None or position <= previous:
                levels.append([])
            levels[-1].append(spec)
            previous = position
        if vertical:
            levels = [list(reversed(level)) for level in levels]
        return [spec for level in levels for spec in level]


def css_size(font: QtGui.QFont, scale: float = 1.0) -> str:
    """A CSS font size from a QFont, so HTML labels follow the application's zoom."""
    return f"{max(font.pointSizeF(), 1.0) * scale:.1f}pt"


def style_axis(axis: pg.AxisItem, theme: PlotTheme, font: QtGui.QFont,
               label_colour: str | None = None) -> None:
    """Plain numbers, the theme's pens and the zoomed font for ticks and the axis title."""
    plain_numbers(axis)
    axis.setPen(theme.axis)
    axis.setTextPen(theme.foreground)
    axis.setTickFont(font)
    if axis.labelText:
        # Axis titles are HTML with their own CSS size: give them the zoomed one.
        axis.labelStyle = {"color": label_colour or theme.foreground,
                           "font-size": css_size(font)}
        axis.label.setHtml(axis.labelString())
        axis.label.setFont(font)
        axis.showLabel(True)  # re-measures the title's row, so a zoomed title is not cut
    axis.picture = None
    axis.update()


def style_legend(legend: pg.LegendItem | None, theme: PlotTheme, font: QtGui.QFont) -> None:
    """Recolour and resize every entry already in the legend, not only entries added later.

    pyqtgraph's setLabelTextColor/Size only store the attribute on existing labels; the text
    keeps its old colour until it is set again, which left dark text on a dark background.
    """
    if legend is None:
        return
    legend.opts["labelTextColor"] = pg.mkColor(theme.foreground)
    legend.opts["labelTextSize"] = css_size(font, 0.9)
    legend.setBrush(pg.mkBrush(*theme.legend_brush))
    legend.setPen(pg.mkPen(theme.axis))
    for _sample, label in legend.items:
        label.setAttr("color", legend.opts["labelTextColor"])
        label.setAttr("size", legend.opts["labelTextSize"])
        label.setText(label.text)
    legend.updateSize()


def style_colour_bar(bar: pg.ColorBarItem, theme: PlotTheme, font: QtGui.QFont) -> None:
    """The colour bar's ticks and title follow theme and zoom; its tick column fits its text."""
    for axis in bar.axes.values():
        style_axis(axis["item"], theme, font)
    ticks = bar.axis
    # ColorBarItem fixes the tick column at 45 px, which clips "-2.5" at 150 % zoom.
    metrics = QtGui.QFontMetricsF(font)
    ticks.setWidth(int(metrics.horizontalAdvance("−00.0") + 12))


def style_plot_item(item: pg.PlotItem, theme: PlotTheme, font: QtGui.QFont, *,
                    title: str | None = None, label_colour: str | None = None) -> None:
    """Style a whole PlotItem: every axis, the title, the legend and any colour bar beside it."""
    for entry in item.axes.values():
        style_axis(entry["item"], theme, font, label_colour)
    if title is not None:
        item.setTitle(title, color=theme.foreground, size=css_size(font))
        # pyqtgraph fixes the title row at 30 px; size it from the font instead.
        height = int(QtGui.QFontMetricsF(font).height() * 1.6)
        item.titleLabel.setMaximumHeight(height)
        item.layout.setRowFixedHeight(0, height)
    style_legend(item.legend, theme, font)
    for i in range(item.layout.count()):  # a colour bar inserted next to the plot
        child = item.layout.itemAt(i)
        if isinstance(child, pg.ColorBarItem):
            style_colour_bar(child, theme, font)
