"""The decision boundary (`boundaryPlot`) and the loss plot (`netLossPlot`).

The boundary is one pyqtgraph ImageItem over the [-6, 6] plane, repainted from the worker's
grid of outputs (no model runs here) as RGB pixels scaled up smoothly, with the train points
(white-edged) and the test points (black-edged, toggled) on top; the points are drawn into a
cache once and blitted while the heatmap under them changes. Clicking the plot places custom points: left button
class 1, right button or Shift class 0; a right click on a placed point opens a menu
(`netPointMenu`) whose "Remove point" (`netRemovePointAction`) removes it, and Ctrl+click removes
it at once; a point can be dragged to a new place.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from playground.core.network.loop import EXTENT
from playground.ui.network.colours import BLUE, ORANGE, lookup_table, to_index
from playground.ui.widgets.lazy_menu import LazyMenuViewBox
from playground.ui.widgets.plot_style import TidyAxis, plot_theme, style_plot_item

PICK_RADIUS = 0.35  # in plane units: how near a click must be to pick a point


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))


class _Points(pg.ScatterPlotItem):
    """pyqtgraph's scatter, keeping its bounding rect until the points, their sizes or the view
    change: the scene asks for it several times per repaint of the heatmap under the points,
    and each answer is Python work holding the GIL the training worker needs."""

    _bounds: tuple[tuple, QtCore.QRectF] | None = None

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt API)
        key = (id(self.data), len(self.data), self._maxSpotPxWidth, tuple(self.bounds))
        if self._bounds is None or self._bounds[0] != key:
            self._bounds = key, super().boundingRect()
        return self._bounds[1]

    def viewTransformChanged(self) -> None:  # noqa: N802 (pyqtgraph API)
        self._bounds = None
        super().viewTransformChanged()


class BoundaryPlot(pg.PlotWidget):
    """The heatmap, the points, and custom-point editing by mouse."""

    pointAdded = QtCore.Signal(float, float, float)  # noqa: N815 (x1, x2, label)
    pointRemoved = QtCore.Signal(int)  # noqa: N815 index into the custom points
    pointMoved = QtCore.Signal(int, float, float)  # noqa: N815

    def __init__(self) -> None:
        # No menu: the right button places a class-0 point (and pyqtgraph builds a menu with
        # the plot even when it is disabled right after).
        super().__init__(axisItems={"bottom": TidyAxis("bottom"), "left": TidyAxis("left")},
                         enableMenu=False)
        self.setObjectName("boundaryPlot")
        self.setAspectLocked(True)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.setRange(xRange=(-EXTENT, EXTENT), yRange=(-EXTENT, EXTENT), padding=0.02)
        self.setLabel("bottom", "x1")
        self.setLabel("left", "x2")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.addItem(self.image)
        self.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
        self.train_points = _Points(size=8, pen=pg.mkPen("w", width=1.2))
        self.test_points = _Points(size=8, pen=pg.mkPen("k", width=1.2))
        cached = QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache
        for points in (self.train_points, self.test_points):
            # The points change with the data, the heatmap under them 30 times a second.
            points.setCacheMode(cached)
            self.addItem(points)
        for name in ("left", "bottom"):  # the range is fixed: the axes never change either
            self.getPlotItem().getAxis(name).setCacheMode(cached)
        self.classification = True
        self.discretize = False
        self.editable = False  # custom points: clicks add, right-click menu removes, drag moves
        self.custom: np.ndarray = np.zeros((0, 3))
        self._drag: int | None = None
        self._output: np.ndarray | None = None
        self._index: np.ndarray | None = None
        # Non-modal (popup, not exec) so a test or a script can reach its action while it shows.
        self.point_menu = QtWidgets.QMenu(self)
        self.point_menu.setObjectName("netPointMenu")
        self.remove_action = self.point_menu.addAction("Remove point")
        self.remove_action.setObjectName("netRemovePointAction")
        self.remove_action.triggered.connect(self._remove_picked)
        self._picked: int | None = None
        self.set_dark(False)
        self.scene().sigMouseClicked.connect(self._on_click)

    def set_dark(self, dark: bool) -> None:
        self.dark = dark
        theme = plot_theme(dark)
        self.setBackground(theme.background)
        style_plot_item(self.getPlotItem(), theme, self.font())
        self._lut = lookup_table(dark)
        # Value > 0 (index above the middle, 127.5) is blue, the rest orange.
        self._discrete_lut = np.where(np.arange(256)[:, None] >= 128, self._lut[-1], self._lut[0])
        self._discrete_lut = self._discrete_lut.astype(np.uint8)
        if self._output is not None:
            self.show_output(self._output, self._index)

    def shown_rgb(self) -> np.ndarray:
        """The heatmap's pixels as (rows, cols, 3) RGB, as painted (for tests and automation)."""
        return self.image.image

    def show_output(self, output: np.ndarray, index: np.ndarray | None = None) -> None:
        """Paint the model's raw output grid (rows: x2 ascending); `index` is the same grid
        already turned into colour indices on the worker (then nothing per pixel runs here)."""
        self._output, self._index = output, index
        if index is None:
            # classification: the probability of class 1, moved onto [-1, 1]
            value = _sigmoid(output) * 2 - 1 if self.classification else np.clip(output, -1, 1)
            index = to_index(value)
        first = self.image.image is None
        # RGB bytes with no levels or table: pyqtgraph wraps them in a QImage as they are.
        # Discretize is a two-colour table.
        lut = self._discrete_lut if self.discretize else self._lut
        self.image.setImage(lut[index], autoLevels=False, levels=None)
        if first:  # the rect scales the image's pixels, so it needs an image to scale
            self.image.setRect(QtCore.QRectF(-EXTENT, -EXTENT, 2 * EXTENT, 2 * EXTENT))

    def show_points(self, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
                    y_test: np.ndarray, show_test: bool) -> None:
        self.train_points.setData(pos=x_train, brush=self._brushes(y_train))
        if show_test:
            self.test_points.setData(pos=x_test, brush=self._brushes(y_test))
        else:
            self.test_points.setData(pos=np.zeros((0, 2)))

    def _brushes(self, y: np.ndarray) -> list[QtGui.QBrush]:
        if self.classification:
            blue, orange = pg.mkBrush(*BLUE), pg.mkBrush(*ORANGE)
            return [blue if v > 0.5 else orange for v in y]
        lut = self._lut
        idx = np.clip(((np.clip(y, -1, 1) + 1) * 127.5).astype(int), 0, 255)
        return [pg.mkBrush(*lut[i]) for i in idx]

    # ----- custom points --------------------------------------------------------------------
    def _plane(self, scene_pos: QtCore.QPointF) -> QtCore.QPointF:
        return self.getPlotItem().vb.mapSceneToView(scene_pos)

    def _nearest(self, p: QtCore.QPointF) -> int | None:
        if not len(self.custom):
            return None
        d = np.hypot(self.custom[:, 0] - p.x(), self.custom[:, 1] - p.y())
        i = int(np.argmin(d))
        return i if d[i] <= PICK_RADIUS else None

    def _on_click(self, event) -> None:
        if not self.editable:  # a click on a point is accepted by the scatter: still ours
            return
        p = self._plane(event.scenePos())
        if abs(p.x()) > EXTENT or abs(p.y()) > EXTENT:
            return
        mods = event.modifiers()
        right = event.button() == QtCore.Qt.MouseButton.RightButton
        if mods & QtCore.Qt.KeyboardModifier.ControlModifier:
            i = self._nearest(p)
            if i is not None:
                self.pointRemoved.emit(i)
            event.accept()
            return
        if right and (i := self._nearest(p)) is not None:  # on a point: its menu, not a new point
            self._picked = i
            self.point_menu.popup(event.screenPos().toPoint())
            event.accept()
            return
        shift = bool(mods & QtCore.Qt.KeyboardModifier.ShiftModifier)
        self.pointAdded.emit(float(p.x()), float(p.y()), 0.0 if right or shift else 1.0)
        event.accept()

    def _remove_picked(self) -> None:
        picked, self._picked = self._picked, None
        if picked is not None and picked < len(self.custom):
            self.pointRemoved.emit(picked)

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt API)
        if self.editable and event.button() == QtCore.Qt.MouseButton.LeftButton:
            self._drag = self._nearest(self._plane(self.mapToScene(event.position().toPoint())))
            self._moved = False
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt API)
        if self._drag is not None:
            p = self._plane(self.mapToScene(event.position().toPoint()))
            self.custom[self._drag, :2] = (p.x(), p.y())
            self._moved = True
            self.train_points.setData(pos=self.custom[:, :2],
                                      brush=self._brushes(self.custom[:, 2]))
            self.test_points.setData(pos=np.zeros((0, 2)))
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QtGui.QMouseEvent) -> None:  # noqa: N802 (Qt API)
        drag, self._drag = self._drag, None
        if drag is not None and self._moved:
            p = self._plane(self.mapToScene(event.position().toPoint()))
            x = float(np.clip(p.x(), -EXTENT, EXTENT))
            y = float(np.clip(p.y(), -EXTENT, EXTENT))
            self.pointMoved.emit(drag, x, y)
            return
        super().mouseReleaseEvent(event)


class NetLossPlot(pg.PlotWidget):
    """Train and test loss per epoch: the first PlotDataItem is train, the second test."""

    def __init__(self) -> None:
        # pyqtgraph's menu (View All, Export...), built on the first right-click, not at start-up.
        super().__init__(viewBox=LazyMenuViewBox(),
                         axisItems={"bottom": TidyAxis("bottom", whole_numbers=True),
                                    "left": TidyAxis("left")})
        self.setObjectName("netLossPlot")
        self.addLegend(offset=(-8, 8))
        self.setLabel("bottom", "epoch")
        self.setLabel("left", "loss")
        self.train = self.plot([], [], name="train loss", pen=pg.mkPen((60, 120, 216), width=2.5))
        self.test = self.plot([], [], name="test loss",
                              pen=pg.mkPen((226, 110, 40), width=2.5,
                                           style=QtCore.Qt.PenStyle.DashLine))
        self.setMouseEnabled(False, False)
        self.set_dark(False)

    def set_dark(self, dark: bool) -> None:
        theme = plot_theme(dark)
        self.setBackground(theme.background)
        style_plot_item(self.getPlotItem(), theme, self.font())

    def show_losses(self, epochs: np.ndarray, train: np.ndarray, test: np.ndarray) -> None:
        self.train.setData(epochs, train)
        self.test.setData(epochs, test)
        # The range moves in 1-2-5 steps, not with every epoch: a changed range makes the axes
        # lay out their ticks again, the costliest Python work of a live repaint.
        values = np.concatenate([train, test])
        values = values[np.isfinite(values)]
        if not len(epochs) or not len(values):
            self.enableAutoRange()
            return
        x_top = _ladder(float(epochs[-1]) + 1, 10.0)
        y_top = _ladder(float(values.max()) * 1.05, 1e-3)
        y_low = min(0.0, float(values.min()))
        if (x_top, y_top, y_low) != getattr(self, "_range", None):
            self._range = (x_top, y_top, y_low)
            self.setRange(xRange=(0, x_top), yRange=(y_low, y_top), padding=0.02)


def _ladder(value: float, least: float) -> float:
    """The smallest of 1, 2, 5 x 10^k at least `value` (and `least`)."""
    value = max(value, least)
    power = 10.0 ** np.floor(np.log10(value))
    for step in (1.0, 2.0, 5.0, 10.0):
        if step * power >= value * (1 - 1e-9):
            return float(step * power)
    return float(10 * power)
