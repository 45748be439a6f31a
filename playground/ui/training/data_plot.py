"""The data plot: the training points and the current fitted line w*x + b.

With the "Custom points" dataset it is also the editor: a left click on empty space adds a
point, dragging a point moves it, a right click on a point removes it.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from playground.ui.training.plot_base import TrainingPlot
from playground.ui.widgets.plot_style import live_pen


class EditablePoints(pg.ScatterPlotItem):
    """Scatter points that can be dragged and right-click removed while editing is on."""

    pointsEdited = QtCore.Signal()

    def __init__(self) -> None:
        super().__init__(size=9, pxMode=True)
        self.editable = False
        self._drag_index: int | None = None
        # The fitted line moves over the points every redraw; repaint them from a cached pixmap.
        self.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def points_xy(self) -> list[tuple[float, float]]:
        x, y = self.getData()
        return [(float(a), float(b)) for a, b in zip(x, y, strict=True)]

    def set_points(self, points: list[tuple[float, float]]) -> None:
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        self.setData(x=xs, y=ys)

    def mouseDragEvent(self, ev) -> None:  # noqa: N802 (pyqtgraph override)
        if not self.editable or ev.button() != QtCore.Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        if ev.isStart():
            hits = self.pointsAt(ev.buttonDownPos())
            if len(hits) == 0:
                ev.ignore()  # not on a point: let the view pan
                return
            self._drag_index = hits[0].index()
        elif self._drag_index is None:
            ev.ignore()
            return
        ev.accept()
        points = self.points_xy()
        pos = ev.pos()
        points[self._drag_index] = (float(pos.x()), float(pos.y()))
        self.set_points(points)
        if ev.isFinish():
            self._drag_index = None
        self.pointsEdited.emit()

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 (pyqtgraph override)
        if self.editable and ev.button() == QtCore.Qt.MouseButton.RightButton:
            hits = self.pointsAt(ev.pos())
            if len(hits) > 0:
                ev.accept()
                points = self.points_xy()
                del points[hits[0].index()]
                self.set_points(points)
                self.pointsEdited.emit()
                return
        super().mouseClickEvent(ev)


class DataPlot(TrainingPlot):
    """Points (x, y) and the line the model currently predicts."""

    pointsEdited = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("dataPlot", "Data and fitted line  ŷ = w·x + b", parent)
        self.setLabel("bottom", "x")
        self.setLabel("left", "y")
        self.points = EditablePoints()
        self.fit_line = pg.PlotDataItem(pen=live_pen(self.colours.fit))
        self.addItem(self.fit_line, ignoreBounds=True)  # frame the points, not the moving line
        self.addItem(self.points)
        self.points.pointsEdited.connect(self._redraw_line)
        self.points.pointsEdited.connect(self.pointsEdited)
        self.disableAutoRange()  # frame_points sets the range from the points themselves
        self.scene().sigMouseClicked.connect(self._on_scene_click)
        self._line = (float("nan"), float("nan"))
        self.set_dark(False)

    def set_points(self, x: tuple[float, ...], y: tuple[float, ...]) -> None:
        """Show a dataset's points and frame them (unless the user is editing by hand)."""
        self.points.set_points(list(zip(x, y, strict=True)))
        if not self.points.editable:
            self.frame_points()
        self._redraw_line()

    def set_editable(self, on: bool) -> None:
        """Custom-points mode: freeze the view so points do not jump away under the cursor."""
        self.points.editable = on
        if not on:
            self.frame_points()

    def frame_points(self) -> None:
        """Every point inside the view with a margin of 8 % of the span (at least 0.5) per side.

        Set explicitly rather than by auto-range: pyqtgraph pads a pixel-sized scatter by its
        own estimate, which left the notebook's (10, 10) outside a small plot.
        """
        x, y = self.points.getData()
        if len(x) == 0:
            self.setRange(xRange=(0.0, 1.0), yRange=(0.0, 1.0), padding=0)
            return
        ranges = []
        for values in (np.asarray(x, dtype=float), np.asarray(y, dtype=float)):
            lo, hi = float(values.min()), float(values.max())
            pad = max(0.08 * (hi - lo), 0.5)
            ranges.append((lo - pad, hi + pad))
        self.setRange(xRange=ranges[0], yRange=ranges[1], padding=0)

    def set_line(self, w: float, b: float) -> None:
        self._line = (w, b)
        self._redraw_line()

    @QtCore.Slot()
    def _redraw_line(self) -> None:
        w, b = self._line
        x, _ = self.points.getData()
        if not (np.isfinite(w) and np.isfinite(b)) or len(x) == 0:
            self.fit_line.setData([], [])
            return
        lo, hi = float(np.min(x)), float(np.max(x))
        pad = max(1.0, 0.1 * (hi - lo))
        xs = np.array([lo - pad, hi + pad])
        self.fit_line.setData(xs, w * xs + b)

    @QtCore.Slot(object)
    def _on_scene_click(self, ev) -> None:
        # Runs after items saw the click: an accepted click was a point's (drag/remove).
        if (not self.points.editable or ev.isAccepted() or ev.double()
                or ev.button() != QtCore.Qt.MouseButton.LeftButton):
            return
        vb = self.getPlotItem().getViewBox()
        if not vb.sceneBoundingRect().contains(ev.scenePos()):
            return
        pos = vb.mapSceneToView(ev.scenePos())
        self.points.set_points([*self.points.points_xy(), (float(pos.x()), float(pos.y()))])
        self.pointsEdited.emit()

    def restyle(self) -> None:
        c = self.colours.points
        self.points.setBrush(pg.mkBrush(*c, 200))
        self.points.setPen(pg.mkPen(self.colours.foreground, width=1))
        self.fit_line.setPen(live_pen(self.colours.fit))
