"""What every Training Lab plot shares: a run's curve that keeps its full data, and a
PlotWidget that restyles itself when the theme or the application font changes.

Following pyqtgraph's scrolling-plot pattern: each curve is created once and updated with
`setData` on the lab's redraw timer; curves use 1 px pens without antialiasing (the cheap path
to paint). The colours are the app's one set (widgets/plot_style).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from playground.core.training.config import TrainConfig
from playground.ui.widgets.plot_style import (
    LIGHT_COLOURS,
    PlotColours,
    TidyAxis,
    plot_colours,
    style_plot_item,
)

DEFAULT_EPOCHS = TrainConfig.epochs  # the x range before the first run: the setup's default


class RunCurve(pg.PlotDataItem):
    """A run's curve whose getData() returns the full recorded data, not the on-screen reduction.

    pyqtgraph's getData() gives what is drawn (reduced, log-mapped); callers of this lab
    (tests, exports) want every epoch's exact value, whatever the zoom or log switch.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._full: tuple[np.ndarray | None, np.ndarray | None] = (None, None)

    def set_run(self, x: np.ndarray, y: np.ndarray,
                shown: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """Record the full run (x, y) and draw `shown` (a reduction of it), or all of it.

        A single epoch (one Step) is drawn as a dot: a line through one point draws nothing."""
        self._full = (x, y)
        data = shown if shown is not None else (x, y)
        single = len(data[0]) == 1
        if single != (self.opts.get("symbol") is not None):
            colour = pg.mkPen(self.opts.get("pen")).color()
            self.setSymbol("o" if single else None)
            self.setSymbolSize(7)
            self.setSymbolPen(colour)
            self.setSymbolBrush(colour)
        self.setData(*data)

    def set_full(self, x: np.ndarray, y: np.ndarray) -> None:
        """Update what getData() returns without redrawing (the next set_run draws it)."""
        self._full = (x, y)

    def shown(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The (x, y) handed to pyqtgraph: a reduction with the full run's min and max."""
        return self.getOriginalDataset()

    def getData(self):  # noqa: N802 (pyqtgraph API)
        return self._full if self._full[0] is not None else self.getOriginalDataset()


def elided_title(widget: pg.PlotWidget, title: str) -> str:
    """The title shortened with an ellipsis to fit the widget, less the axes and bars beside
    the plot area.

    A title wider than the plot area is a minimum width for the whole PlotItem, which then
    runs past the widget's right edge: that cut the title and the data's right side.
    """
    item = widget.getPlotItem()
    beside = max(item.width() - item.getViewBox().width(), 0.0)
    room = max(widget.width() - beside - 8, 40.0)
    return QtGui.QFontMetricsF(widget.font()).elidedText(
        title, QtCore.Qt.TextElideMode.ElideRight, room)


def style_plot(widget: pg.PlotWidget, colours: PlotColours, title: str = "") -> None:
    """Theme and zoom for a training plot: the app's one plot-styling path (plot_style)."""
    widget.setBackground(colours.background)
    style_plot_item(widget.getPlotItem(), colours.theme, widget.font(),
                    title=elided_title(widget, title) if title else None)


class TrainingPlot(pg.PlotWidget):
    """A PlotWidget that restyles itself when the theme or the application font changes."""

    def __init__(self, object_name: str, title: str, parent: QtWidgets.QWidget | None = None,
                 *, epochs: bool = False):
        # `epochs`: x counts epochs, so its ticks are whole numbers.
        # Tick labels that would overlap are left out (a small lr plot printed them on top of
        # each other).
        # No menu (it exposes settings that fight ours): built without one, since pyqtgraph
        # builds the ViewBox's menu with the plot even when it is disabled right after.
        super().__init__(parent, axisItems={"left": TidyAxis("left"),
                                            "bottom": TidyAxis("bottom", whole_numbers=epochs)},
                         enableMenu=False)
        self.setObjectName(object_name)
        self.colours = LIGHT_COLOURS
        self._dark: bool | None = None  # not styled yet
        self.title = title
        self.getPlotItem().hideButtons()
        self.getPlotItem().getViewBox().sigResized.connect(self._fit_title)
        for name in ("left", "bottom"):
            # Painting tick text is the costliest part of a redraw, so an unchanged axis is
            # blitted from a cache; no grid, since grid lines belong to the axis and would make
            # every curve update repaint it.
            self.getPlotItem().getAxis(name).setCacheMode(
                QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def set_dark(self, dark: bool) -> None:
        """Colours for a dark or light window; the same theme again restyles nothing (the
        window applies the saved theme once more when its labs are built)."""
        if dark == self._dark:
            return
        self._dark = dark
        self.colours = plot_colours(dark)
        self.apply_style()
        self.restyle()

    def apply_style(self) -> None:
        """Theme and zoom for the frame (axes, title, legend); subclasses add their own items."""
        style_plot(self, self.colours, self.title)
        self._refit()

    def restyle(self) -> None:
        """Recolour items after a theme change (subclasses)."""

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        if event.type() == QtCore.QEvent.Type.FontChange:
            self.apply_style()

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 (Qt override)
        # Elide first: the title's width is a minimum the plot would otherwise be stretched to.
        if "title" in self.__dict__:  # pyqtgraph resizes inside its own __init__
            self._fit_title(refit=False)
        super().resizeEvent(event)

    def _fit_title(self, *_args, refit: bool = True) -> None:
        """Elide the title to the room it has now (only when that changes what is shown)."""
        item = self.getPlotItem()
        if item is None or not self.title:  # being torn down, or untitled
            return
        shown = elided_title(self, self.title)
        if shown != item.titleLabel.text:
            item.titleLabel.setText(shown)
            if refit:
                self._refit()

    def _refit(self) -> None:
        """Lay the PlotItem out in the widget again (it keeps a size its old minimum forced)."""
        pg.GraphicsView.resizeEvent(self, None)
