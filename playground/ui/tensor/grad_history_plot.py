"""A leaf's `.grad` over the statement log, drawn as step curves so accumulation is a staircase."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from playground.core.tensorlab.workspace import GradRecord
from playground.ui.widgets.plot_style import plain_numbers

MAX_ELEMENT_CURVES = 8
# Colour-blind friendly (Okabe-Ito), readable on white and on near-black.
_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#999999")


def step_series(
    records: Sequence[GradRecord], end_step: int
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Return (xs, ys, labels): explicit step points per curve; None grads become NaN gaps.

    ys has one column per curve: every element when there are at most 8 (of one shape), else
    the mean.
    Each record's value holds from its step until the next record (or `end_step`).
    """
    if not records:
        return np.zeros(0), np.zeros((0, 0)), []
    shapes = {r.shape for r in records if r.shape is not None}
    shape = next(iter(shapes)) if len(shapes) == 1 else ()
    # One curve per element for small grads; the mean when big, or when the name was rebound to
    # a tensor of another shape along the way.
    per_element = len(shapes) <= 1 and math.prod(shape) <= MAX_ELEMENT_CURVES
    labels = _element_labels(shape) if per_element else ["mean"]
    rows = []
    for record in records:
        if record.is_none:
            rows.append(np.full(len(labels), np.nan))
        elif per_element and record.grad is not None:
            rows.append(np.asarray(record.grad, dtype=np.float64).reshape(-1))
        else:
            rows.append(np.array([record.mean], dtype=np.float64))
    steps = [r.step for r in records]
    stops = [*steps[1:], max(end_step, steps[-1] + 1)]
    xs = np.column_stack([steps, stops]).reshape(-1).astype(np.float64)
    ys = np.repeat(np.vstack(rows), 2, axis=0)
    return xs, ys, labels


def _element_labels(shape: tuple[int, ...]) -> list[str]:
    if not shape:
        return ["value"]
    return ["[" + ",".join(str(i) for i in idx) + "]" for idx in np.ndindex(*shape)]


class StatementAxis(pg.AxisItem):
    """An x axis of statement numbers: whole numbers only (no "6.2" between two statements)."""

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802, N803
        levels = [(spacing, [v for v in values if float(v).is_integer()])
                  for spacing, values in super().tickValues(minVal, maxVal, size)
                  if spacing >= 1]
        if not levels:  # zoomed in closer than one statement
            levels = [(1.0, [float(v) for v in range(math.ceil(minVal), math.floor(maxVal) + 1)])]
        return levels


class GradHistoryPlot(pg.PlotWidget):
    """Plot of one leaf's grad history; call `show_history` whenever the workspace changes."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        # No context menu: built without one (pyqtgraph would build it, then drop it).
        super().__init__(parent, axisItems={"bottom": StatementAxis("bottom")}, enableMenu=False)
        self.setObjectName("gradHistoryPlot")
        self.setToolTip(
            "Each line is one element of the leaf's .grad after every logged step: "
            "backward adds to it (a staircase), zero_ drops it to 0, None leaves a gap. "
            "Statement # counts the lines of the code panel after torch.manual_seed(0)."
        )
        self.setMinimumHeight(160)
        self._dark = False
        self._name: str | None = None
        self._curves: list[pg.PlotDataItem] = []
        self._data: tuple[np.ndarray, np.ndarray] | None = None
        self._shown: tuple[str | None, int, list[GradRecord]] | None = None
        item = self.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.25)
        item.hideButtons()
        self._legend = item.addLegend(offset=(6, 6), colCount=4, labelTextSize=self._pt(0.85))
        self._legend.setBrush(pg.mkBrush(255, 255, 255, 200))
        self._empty = pg.TextItem(anchor=(0.5, 0.5))
        item.addItem(self._empty, ignoreBounds=True)
        self.set_dark(False)

    def show_history(self, name: str | None, records: Sequence[GradRecord], end_step: int) -> None:
        """Redraw for leaf `name` with its records; `end_step` closes the last step."""
        shown = (name, end_step, list(records))
        if self._shown is not None and self._same(shown, self._shown):
            return  # selecting another row that draws the same history: nothing to redo
        self._shown = shown  # holding the records keeps their ids from being reused
        renamed = name != self._name
        self._name = name
        item = self.getPlotItem()
        for curve in self._curves:
            item.removeItem(curve)
        self._curves.clear()
        self._legend.clear()
        xs, ys, labels = step_series(records, end_step)
        for col, label in enumerate(labels):
            pen = pg.mkPen(_PALETTE[col % len(_PALETTE)], width=1)
            curve = item.plot(xs, ys[:, col], pen=pen, name=label, connect="finite")
            self._curves.append(curve)
        self._update_empty_text(bool(labels))
        if renamed:  # the title names the leaf; new legend entries already take the style
            self._restyle()
        self._fit_legend()
        self._data = (xs, ys) if labels else None
        if self._data is not None:
            self._fit(*self._data)

    @staticmethod
    def _same(a: tuple[str | None, int, list[GradRecord]],
              b: tuple[str | None, int, list[GradRecord]]) -> bool:
        if a[0] != b[0] or len(a[2]) != len(b[2]):
            return False
        # The end step only closes the last record's step: without records it draws nothing.
        return (not a[2] or a[1] == b[1]) and all(x is y for x, y in zip(a[2], b[2], strict=True))

    def resizeEvent(self, event: QtCore.QEvent | None) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        if "_legend" in self.__dict__:  # pyqtgraph resizes once inside its own __init__
            self._fit_legend()
            if self._data is not None:  # the legend's share of the height changed
                self._fit(*self._data)

    def _fit_legend(self) -> None:
        """As many legend columns as fit across the plot, so no entry is clipped."""
        count = len(self._curves)
        if not count:
            return
        entry = self.fontMetrics().horizontalAdvance("[0,0]") + 48  # sample line + spacing
        width = self.getPlotItem().getViewBox().width() or self.width() * 0.7
        columns = max(1, min(count, int(width // entry)))
        if self._legend.columnCount != columns:
            self._legend.setColumnCount(columns)

    def _fit(self, xs: np.ndarray, ys: np.ndarray) -> None:
        """Fit the data, leaving headroom at the top so the legend does not hide the curves."""
        finite = ys[np.isfinite(ys)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        lo, hi = min(lo, 0.0), max(hi, 0.0)  # keep 0 in view: zeroing is a drop to it
        span = (hi - lo) or max(abs(hi), 1.0)
        view = self.getPlotItem().getViewBox()
        rows = -(-len(self._curves) // max(self._legend.columnCount, 1))
        legend = rows * (self.fontMetrics().height() + 6) + 30
        share = min(legend / max(view.height(), 120.0), 0.6)  # of the view the legend covers
        view.setXRange(float(xs.min()), float(xs.max()), padding=0.02)
        view.setYRange(lo - 0.05 * span, hi + span * share / (1 - share), padding=0)

    def curve_data(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(x, y) of every curve drawn, for tests and exporters."""
        return [curve.getData() for curve in self._curves]

    def set_dark(self, dark: bool) -> None:
        """Follow the application's light/dark theme."""
        self._dark = dark
        self.setBackground("#1e1f22" if dark else "w")
        self._restyle()

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 (Qt API)
        super().changeEvent(event)
        # View > zoom changes the app font: follow it in the plot's own labels.
        if event.type() == QtCore.QEvent.Type.FontChange:
            self._restyle()

    def _restyle(self) -> None:
        item = self.getPlotItem()
        fg, muted = ("#e0e0e0", "#9a9a9a") if self._dark else ("#202020", "#707070")
        axis_pen = pg.mkPen("#b0b0b0" if self._dark else "#505050")
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            axis.setPen(axis_pen)
            axis.setTextPen(axis_pen)
            axis.setTickFont(self.font())
            # 0.125 must read as 0.125, not "125" (enableAutoSIPrefix(False) froze a prefix).
            plain_numbers(axis)
        # "font-size" is the CSS that reaches the text ("size" is ignored), so zoom scales it.
        item.setLabel("bottom", "statement #", color=muted, **{"font-size": self._pt(0.9)})
        item.setLabel("left", ".grad", color=muted, **{"font-size": self._pt(0.9)})
        title = f"{self._name}.grad per step" if self._name else ".grad per step"
        item.setTitle(title, color=fg, size=self._pt(1.0))
        self._legend.setLabelTextColor(fg)
        self._legend.setBrush(
            pg.mkBrush(30, 31, 34, 200) if self._dark else pg.mkBrush(255, 255, 255, 200)
        )
        self._legend.setLabelTextSize(self._pt(0.85))
        for _sample, label in self._legend.items:  # setAttr alone does not re-render the text
            label.setText(label.text)
        self._empty.setColor(muted)
        self._empty.setFont(self.font())

    def _pt(self, scale: float) -> str:
        """A CSS size relative to the widget's font, so zooming the app font zooms the plot."""
        size = self.font().pointSizeF()
        return f"{max(size, 1.0) * scale:.1f}pt"

    def _update_empty_text(self, has_curves: bool) -> None:
        if has_curves:
            self._empty.setText("")
            return
        if self._name is None:
            self._empty.setText("No leaf selected")
        else:
            self._empty.setText(f"{self._name}.grad is None")
        self.getPlotItem().getViewBox().setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
        self._empty.setPos(0.5, 0.5)
