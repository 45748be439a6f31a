"""The loss landscape plot: loss over (w, b) as a heat map, with the optimiser's path on top."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from playground.ui.training.plot_base import TrainingPlot
from playground.ui.widgets.plot_style import live_pen

# A path is drawn from at most this many (w, b) points however long the run: half spread evenly
# over the run, half geometrically (dense at the start, where the parameters move fastest). The
# plot is a few hundred pixels wide, so this keeps every visible turn at a bounded cost per draw.
MAX_PATH_POINTS = 2000


class LandscapePlot(TrainingPlot):
    """Colour = log10(loss) at each (w, b), computed exactly by the core; line = the path taken."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("landscapePlot", "Loss landscape over (w, b)", parent)
        self.setLabel("bottom", "w")
        self.setLabel("left", "b")
        self.image = pg.ImageItem(axisOrder="col-major")  # image[i_w, j_b]: w across, b up
        self.colour_map = pg.colormap.get("viridis")
        self.image.setColorMap(self.colour_map)
        # The path moves over the image every redraw: blit it from a cached pixmap instead of
        # scaling the QImage into the view on each paint.
        self.image.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.addItem(self.image)
        self.colour_bar = pg.ColorBarItem(
            colorMap=self.colour_map, interactive=False, width=12, label="log₁₀ loss")
        self.colour_bar.setImageItem(self.image, insert_in=self.getPlotItem())
        self.path = pg.PlotDataItem(pen=live_pen((255, 255, 255)))
        self.addItem(self.path)
        self.start_dot = pg.ScatterPlotItem(size=9, symbol="o", pen=pg.mkPen("w"), brush=None)
        self.optimum_dot = pg.ScatterPlotItem(size=12, symbol="+", pen=pg.mkPen("w", width=2))
        # The moving head is a plain ellipse (C++ paint, fixed pixel size): it moves every redraw.
        self.head_dot = QtWidgets.QGraphicsEllipseItem(-4, -4, 8, 8)
        self.head_dot.setFlag(
            QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self.head_dot.setBrush(pg.mkBrush("w"))
        self.head_dot.setPen(pg.mkPen("k"))
        self.head_dot.setZValue(10)
        self.head_dot.hide()
        for item in (self.start_dot, self.optimum_dot):
            item.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
            self.addItem(item)
        self.addItem(self.head_dot, ignoreBounds=True)
        self.start_dot.setToolTip("Where w and b start.")
        self.optimum_dot.setToolTip("The least-squares optimum: the best MSE line.")
        self.set_dark(False)

    def set_landscape(self, ws: np.ndarray, bs: np.ndarray, losses: np.ndarray) -> None:
        """Show losses[i_w, j_b] sampled at ws x bs, each pixel centred on its sample."""
        positive = losses[losses > 0]
        floor = float(positive.min()) if positive.size else 1e-12
        image = np.log10(np.maximum(losses, floor))
        # Data far beyond float32 makes losses inf or NaN: level on the finite ones and paint
        # the rest as the worst (pyqtgraph refuses an infinite colour-bar range).
        finite = image[np.isfinite(image)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        image = np.where(np.isfinite(image), image, hi)
        self.image.setImage(image, autoLevels=False)
        self.colour_bar.setLevels((lo, hi if hi > lo else lo + 1.0))
        dw = (ws[-1] - ws[0]) / max(len(ws) - 1, 1)
        db = (bs[-1] - bs[0]) / max(len(bs) - 1, 1)
        self.image.setRect(QtCore.QRectF(
            ws[0] - dw / 2, bs[0] - db / 2, ws[-1] - ws[0] + dw, bs[-1] - bs[0] + db))
        self.getPlotItem().getViewBox().setRange(
            xRange=(ws[0], ws[-1]), yRange=(bs[0], bs[-1]), padding=0)

    def set_marks(self, start: tuple[float, float], optimum: tuple[float, float] | None) -> None:
        self.start_dot.setData([start[0]], [start[1]])
        if optimum is None:
            self.optimum_dot.setData([], [])
        else:
            self.optimum_dot.setData([optimum[0]], [optimum[1]])

    def set_path(self, ws: np.ndarray, bs: np.ndarray) -> None:
        """Draw the parameter path; long paths are thinned (first and last points kept)."""
        n = len(ws)
        if n == 0:
            self.path.setData([], [])
            self.head_dot.hide()
            return
        ws, bs = thin_path(ws, bs)
        self.path.setData(ws, bs)
        self.head_dot.setPos(float(ws[-1]), float(bs[-1]))
        self.head_dot.show()


@lru_cache(maxsize=8)  # a race's racers share their length; a redraw asks again
def path_indices(n: int, limit: int = MAX_PATH_POINTS) -> np.ndarray:
    """Which of a path's n points to draw: all of them up to `limit`; beyond, the first and
    last, limit/2 spread evenly and limit/2 geometrically (sorted, no repeats; read-only)."""
    if n <= limit:
        idx = np.arange(n)
        idx.flags.writeable = False
        return idx
    half = limit // 2
    even = np.linspace(0, n - 1, half).astype(np.int64)
    early = np.geomspace(1, n, half).astype(np.int64) - 1
    idx = np.unique(np.concatenate((even, early, [0, n - 1])))
    idx.flags.writeable = False
    return idx


def thin_path(ws: np.ndarray, bs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A path of (w, b) points thinned to at most MAX_PATH_POINTS (the first and last kept);
    the points kept are the run's own values."""
    n = len(ws)
    if n <= MAX_PATH_POINTS:
        return ws, bs
    idx = path_indices(n)
    return ws[idx], bs[idx]
