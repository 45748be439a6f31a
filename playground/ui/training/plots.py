"""The Training Lab's loss and learning-rate plots.

A diverged run never flattens the runs beside it: the loss axis follows the runs that did not
diverge (a diverged run alone still sets it), and a diverged curve that leaves the top of the
view is clipped there, with a triangle (`exit_marks`) at the epoch where it left.

A live run's curve is drawn from a `PeakDecimator`, which keeps a min/max-per-bucket copy of
the run up to date incrementally, so a paint handles at most ~2,000 points however long the run
(pyqtgraph's own downsampling would rescan every epoch on each update).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from playground.core.training.decimate import PeakDecimator, decimate
from playground.core.training.session import MAX_EARLIER_RUNS
from playground.ui.training.plot_base import DEFAULT_EPOCHS, RunCurve, TrainingPlot
from playground.ui.widgets.number_text import short_text
from playground.ui.widgets.plot_style import live_pen

MAX_LR_MARKERS = 30
DEFAULT_LR_TOP = 0.002  # the lr plot's top before a run: the notebook's 0.001 sits mid-height


class CrosshairLine(pg.InfiniteLine):
    """The hover line: its own type, so lr markers are told apart from it by type."""


class LossPlot(TrainingPlot):
    """Loss per epoch: listDataItems()[0] is the current run; up to 5 earlier runs follow it.

    Hovering shows the epoch under the mouse (a vertical line and `lossCrosshairLabel`: epoch,
    loss, w, b of that epoch's record, from the columns `set_records` hands over).
    """

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("lossPlot", "Loss per epoch", parent, epochs=True)
        self.setLabel("bottom", "epoch")
        self.setLabel("left", "loss")
        self.legend = self.addLegend(offset=(-10, 10))
        self.current = RunCurve(pen=live_pen(self.colours.current), name="current run")
        self._configure_live(self.current)
        self.addItem(self.current)  # first data item: the automation contract
        self._reducer = PeakDecimator()
        self.earlier: list[RunCurve] = []
        self.markers: list[pg.InfiniteLine] = []
        self._follow = True  # manage the y range until the user pans or zooms
        self._log = False
        self._y_view: tuple[float, float] | None = None
        self._epochs = DEFAULT_EPOCHS
        self._records: tuple[np.ndarray, ...] = ()
        self._current_diverged = False
        self.diverged: set[int] = set()  # id() of the earlier curves whose run diverged
        # Where a clipped diverged curve leaves the top of the view: in view coordinates, on the
        # ViewBox itself, so it is no data item (listDataItems() stays the runs) nor log-mapped.
        self.exit_marks = pg.ScatterPlotItem(symbol="t1", size=13)
        self._marks: tuple[tuple[float, ...], tuple[float, ...], str] | None = None
        self.exit_marks.setZValue(6)
        self.getPlotItem().getViewBox().addItem(self.exit_marks, ignoreBounds=True)
        view = self.getPlotItem().getViewBox()
        view.sigRangeChangedManually.connect(self._stop_following)
        self.enableAutoRange(x=False, y=False)
        self._build_crosshair()
        self.setXRange(0, DEFAULT_EPOCHS - 1, padding=0.02)  # epochs, not 0..1, before a run
        # Marker labels are placed in pixels, so they are laid out again when the view changes.
        view.sigRangeChanged.connect(self._schedule_marker_layout)
        view.sigResized.connect(self._schedule_marker_layout)
        self._marker_timer = QtCore.QTimer(self)
        self._marker_timer.setSingleShot(True)
        self._marker_timer.setInterval(0)
        self._marker_timer.timeout.connect(self.layout_markers)
        self.set_dark(False)

    @staticmethod
    def _configure_live(curve: pg.PlotDataItem) -> None:
        # Only does work once the user zooms in: the reduced curves are already small.
        curve.setDownsampling(auto=True, method="peak")
        curve.setClipToView(True)

    # ----- the current run ---------------------------------------------------------------------
    def set_current(self, epochs: np.ndarray, losses: np.ndarray) -> None:
        """Draw the current run (full, append-only columns) from its reduced copy."""
        shown = self._reducer.update(epochs, losses)
        # Zoomed in by hand, the user wants every epoch: pyqtgraph clips and reduces to the view.
        self.current.set_run(epochs, losses, shown if self._follow else None)
        self._follow_y()

    def set_current_data(self, epochs: np.ndarray, losses: np.ndarray) -> None:
        """Keep getData() up to date on a tick that does not redraw this plot."""
        self.current.set_full(epochs, losses)

    def set_records(self, epochs: np.ndarray, losses: np.ndarray, ws: np.ndarray,
                    bs: np.ndarray) -> None:
        """The current run's records (equal-length columns) the hover readout reports from."""
        self._records = (epochs, losses, ws, bs)

    def set_epochs(self, epochs: int) -> None:
        """Fit x to the run about to start: the axis stays put while the curve grows into it.

        Earlier, longer runs stay drawn past the right edge (zoom out to see them) but no
        longer set the range: a short run after a long one would otherwise be a sliver.
        """
        self._epochs = epochs
        self._reducer.reset(epochs)
        self.setXRange(0, max(epochs - 1, 1), padding=0.02)
        self._follow = True
        self._y_view = None
        self._follow_y()

    @QtCore.Slot()
    def _stop_following(self, *_args) -> None:
        self._follow = False

    def _follow_y(self) -> None:
        """Keep every run in view, moving the y range only when the data leaves it or shrinks
        to under half of it: an axis that changes every redraw must repaint its tick text."""
        if not self._follow:
            self._mark_exits()
            return
        log = self._log
        right = max(self._epochs - 1, 1)
        lows, highs = [], []
        for curve in self._steady_curves():
            x, y = curve.shown()  # a (min, max) reduction: the same bounds, far fewer points
            if y is None or len(y) == 0:
                continue
            y = y[np.asarray(x) <= right]  # only the part of a longer earlier run in view
            y = y[np.isfinite(y) & (y > 0)] if log else y[np.isfinite(y)]
            if len(y):
                lows.append(float(y.min()))
                highs.append(float(y.max()))
        if not lows:
            self._mark_exits()
            return
        lo, hi = min(lows), max(highs)
        if log:
            lo, hi = np.log10(lo), np.log10(hi)
        span = hi - lo
        view = self._y_view
        if view is None or lo < view[0] or hi > view[1] or span < 0.5 * (view[1] - view[0]):
            pad = 0.06 * span if span > 0 else max(abs(hi) * 0.05, 1e-6)
            self._y_view = (lo - pad, hi + pad)
            self.setYRange(*self._y_view, padding=0)
        self._mark_exits()

    def _is_diverged(self, curve: RunCurve) -> bool:
        return self._current_diverged if curve is self.current else id(curve) in self.diverged

    def _steady_curves(self) -> list[RunCurve]:
        """The curves the loss axis follows: every run that did not diverge (all runs when
        each one did, so a lone diverged run still shows whole)."""
        curves = [self.current, *self.earlier]
        drawn = [c for c in curves if c.shown()[0] is not None and len(c.shown()[0])]
        steady = [c for c in drawn if not self._is_diverged(c)]
        return steady or drawn

    def _mark_exits(self) -> None:
        """A triangle at the top edge where each diverged curve leaves the view."""
        top = self.getPlotItem().getViewBox().viewRange()[1][1]
        xs, ys = [], []
        for curve in (self.current, *self.earlier):
            x, y = curve.shown()
            if not self._is_diverged(curve) or y is None or not len(y):
                continue
            y = np.asarray(y, dtype=float)
            y_axis = np.log10(np.where(y > 0, y, np.nan)) if self._log else y
            outside = ~(y_axis <= top)  # above the view, or not a number any more
            if outside.any():
                i = int(np.argmax(outside))
                xs.append(float(np.asarray(x)[i]))
                ys.append(top)
        colour = self.colours.foreground
        marks = (tuple(xs), tuple(ys), str(colour))
        if marks == self._marks:
            return  # unchanged (nearly always none): no scatter rebuilt and repainted per redraw
        self._marks = marks
        self.exit_marks.setData(xs, ys, brush=pg.mkBrush(colour), pen=pg.mkPen(colour))

    def set_current_name(self, name: str, *, diverged: bool = False) -> None:
        """The current run's legend entry; a diverged run stops setting the loss axis when
        other runs are drawn (it is clipped at the top, with a mark where it left)."""
        self.legend.removeItem(self.current)
        # The legend made the entry with the theme's text colour and zoomed size (style_legend
        # keeps them in its opts), so the frame is not restyled: that was ~7 ms of the GUI
        # thread at each run's start and end.
        self.legend.addItem(self.current, name)
        if diverged != self._current_diverged:
            self._current_diverged = diverged
            self._y_view = None
            self._follow_y()

    def keep_current_as_earlier(self, name: str) -> None:
        """Copy the current run into a muted overlay (oldest dropped beyond five)."""
        x, y = self.current.getData()
        if x is None or len(x) == 0:
            return
        self.add_earlier(name, np.array(x), np.array(y))

    def add_earlier(self, name: str, x: np.ndarray, y: np.ndarray, *,
                    diverged: bool = False,
                    shown: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """Draw a finished run (the model's columns) as a muted overlay, oldest dropped past five;
        a diverged one does not set the loss axis while other runs are drawn.

        x and y are kept as given, not copied (a finished run's columns never change: a
        10,000,000-epoch run's two would be 160 MB more per overlay); `shown` is their
        reduction when the caller already has it (else it is computed here)."""
        if len(self.earlier) >= MAX_EARLIER_RUNS:
            oldest = self.earlier.pop(0)
            self.diverged.discard(id(oldest))
            self.legend.removeItem(oldest)
            self.removeItem(oldest)
        curve = RunCurve(name=name)
        curve.setZValue(-1)  # under the current run
        self.addItem(curve)
        # Options and data only once it sits in the ViewBox: clip-to-view asks the view for its
        # range, and before addItem that "view" is the PlotWidget, which has no such method.
        self._configure_live(curve)
        x, y = np.asarray(x), np.asarray(y)
        curve.set_run(x, y, decimate(x, y) if shown is None else shown)
        self.earlier.append(curve)
        if diverged:
            self.diverged.add(id(curve))
        self._recolour_earlier()
        self.apply_style()
        self._y_view = None
        self._follow_y()

    def clear_current(self) -> None:
        """No current run: no curve, no legend entry, no markers (until the next run names it)."""
        self.current.set_run(np.empty(0), np.empty(0))
        self.legend.removeItem(self.current)
        self._current_diverged = False
        self._records = ()
        self._reducer.reset(self._epochs)
        self._follow = True
        self._y_view = None
        for line in self.markers:
            self.removeItem(line)
        self.markers.clear()
        self.hide_crosshair()

    def clear_earlier(self) -> None:
        for curve in self.earlier:
            self.legend.removeItem(curve)
            self.removeItem(curve)
        self.earlier.clear()
        self.diverged.clear()
        self._mark_exits()

    def reset_view(self) -> None:
        """The axes a new lab opens with: x over the set epochs, y from 0 to 1, following."""
        self._follow = True
        self._y_view = None
        self.setXRange(0, max(self._epochs - 1, 1), padding=0.02)
        self.setYRange(*((-1.0, 1.0) if self._log else (0.0, 1.0)), padding=0)
        self._mark_exits()

    # ----- learning-rate markers ---------------------------------------------------------------
    def add_lr_marker(self, epoch: float, lr: float) -> None:
        """A dashed vertical line where the learning rate changed (the last one moves once full)."""
        text = f"lr {lr:g}"
        if len(self.markers) >= MAX_LR_MARKERS:
            line = self.markers[-1]
            line.setValue(epoch)
            line.label.setFormat(text)
            line.setToolTip(f"The learning rate changed to {lr:g} at epoch {int(epoch)}.")
            self._schedule_marker_layout()
            return
        pen = pg.mkPen(self.colours.marker, width=1, style=QtCore.Qt.PenStyle.DashLine)
        line = pg.InfiniteLine(
            pos=epoch, angle=90, movable=False, pen=pen, label=text,
            labelOpts={"position": 0.5, "color": self.colours.marker,
                       "anchors": [(0, 1), (0, 1)]},
        )
        line.label.setFont(self.font())
        line.label.fill = pg.mkBrush(self._label_fill())  # readable over its neighbours' lines
        line.setToolTip(f"The learning rate changed to {lr:g} at epoch {int(epoch)}.")
        self.addItem(line, ignoreBounds=True)
        self.markers.append(line)
        self._schedule_marker_layout()

    @QtCore.Slot()
    def _schedule_marker_layout(self, *_args) -> None:
        if self.markers and "_marker_timer" in self.__dict__:
            self._marker_timer.start()

    def layout_markers(self) -> None:
        """Stagger the lr labels in rows under the legend; a label with no free row is hidden.

        Each label goes in the first row where it clears the previous label by a gap, so no
        two labels overlap and none sits on the legend; a hidden one keeps its line and tooltip.
        """
        if not self.markers or self.getPlotItem() is None:  # none, or being torn down
            return
        view = self.getPlotItem().getViewBox()
        box = view.sceneBoundingRect()
        if box.height() <= 0:
            return
        top = box.top() + 4
        if self.legend.isVisible() and self.legend.items:
            top = max(top, self.legend.sceneBoundingRect().bottom() + 4)
        height = max(m.label.boundingRect().height() for m in self.markers) + 2
        rows = max(0, min(4, int((box.bottom() - top - 0.25 * box.height()) // height)))
        row_end = [-np.inf] * rows
        x_low, x_high = view.viewRange()[0]
        for order, line in enumerate(sorted(self.markers, key=lambda m: m.value())):
            line.setZValue(5 - 1e-3 * order)  # a label (right of its line) above later lines
            label = line.label
            if not (x_low <= line.value() <= x_high) or not rows:
                label.setVisible(False)
                continue
            x = view.mapViewToScene(QtCore.QPointF(line.value(), 0)).x()
            width = label.boundingRect().width() + 6
            right_side = x + width <= box.right()
            left = x if right_side else x - width
            row = next((r for r in range(rows) if row_end[r] < left), None)
            if row is None:
                label.setVisible(False)
                continue
            row_end[row] = left + width
            anchor = (0, 1) if right_side else (1, 1)
            label.anchors = [anchor, anchor]
            bottom = top + (row + 1) * height
            label.setVisible(True)
            label.setPosition(float((box.bottom() - bottom) / box.height()))

    # ----- hover readout -----------------------------------------------------------------------
    def _build_crosshair(self) -> None:
        self.crosshair_line = CrosshairLine(angle=90, movable=False)
        self.crosshair_line.setZValue(20)
        self.crosshair_line.hide()
        self.addItem(self.crosshair_line, ignoreBounds=True)
        self.crosshair_label = QtWidgets.QLabel(self)
        self.crosshair_label.setObjectName("lossCrosshairLabel")
        self.crosshair_label.setAttribute(
            QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.crosshair_label.setAutoFillBackground(True)
        self.crosshair_label.setMargin(3)
        self.crosshair_label.hide()
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)

    @QtCore.Slot(object)
    def _on_mouse_moved(self, scene_pos: QtCore.QPointF) -> None:
        item = self.getPlotItem()
        if item is None:  # being torn down
            return
        view = item.getViewBox()
        if not self._records or not view.sceneBoundingRect().contains(scene_pos):
            self.hide_crosshair()
            return
        self.show_epoch_at(view.mapSceneToView(scene_pos).x(), scene_pos)

    def show_epoch_at(self, x: float, near: QtCore.QPointF | None = None) -> None:
        """Point the readout at the recorded epoch nearest to x (in epochs), beside `near`."""
        epochs, losses, ws, bs = self._records
        n = min(len(epochs), len(losses), len(ws), len(bs))
        if n == 0:
            self.hide_crosshair()
            return
        i = int(np.clip(np.searchsorted(epochs[:n], x), 0, n - 1))
        if i > 0 and abs(epochs[i - 1] - x) <= abs(epochs[i] - x):
            i -= 1
        self.crosshair_line.setValue(float(epochs[i]))
        self.crosshair_line.show()
        label = self.crosshair_label
        label.setText(f"epoch {int(epochs[i])}   loss {short_text(float(losses[i]))}   "
                      f"w {short_text(float(ws[i]))}   b {short_text(float(bs[i]))}")
        label.adjustSize()
        # Beside the pointer like a tooltip (right of it, or left near the right edge), so it
        # never hides the point being read; kept inside the plot area.
        box = self.mapFromScene(self.getPlotItem().getViewBox().sceneBoundingRect()).boundingRect()
        at = self.mapFromScene(near) if near is not None else box.center()
        left = at.x() + 12
        if left + label.width() > box.right():
            left = at.x() - 12 - label.width()
        top = at.y() + 14
        if top + label.height() > box.bottom():
            top = at.y() - 14 - label.height()
        label.move(int(max(box.left(), left)), int(max(box.top(), top)))
        label.show()
        label.raise_()

    def hide_crosshair(self) -> None:
        if "crosshair_label" in self.__dict__:
            self.crosshair_line.hide()
            self.crosshair_label.hide()

    def leaveEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 (Qt override)
        super().leaveEvent(event)
        self.hide_crosshair()

    # ----- log axis and theme ------------------------------------------------------------------
    def set_log_y(self, on: bool) -> None:
        self._log = on
        # Move the view to the new scale before pyqtgraph draws a tick: a linear range read as
        # powers of ten (10**1e30) overflows in its log tick text.
        self._y_view = None
        self.setYRange(*((-1.0, 1.0) if on else (0.0, 1.0)), padding=0)
        self.getPlotItem().setLogMode(x=False, y=on)
        self.setLabel("left", "loss (log scale)" if on else "loss")
        self.apply_style()
        self._follow = True
        self._follow_y()

    def apply_style(self) -> None:
        super().apply_style()
        if "crosshair_label" not in self.__dict__:
            return
        for line in self.markers:
            line.label.setFont(self.font())
        self._schedule_marker_layout()
        self.crosshair_label.setFont(self.font())

    def restyle(self) -> None:
        self.current.setPen(live_pen(self.colours.current))
        self._recolour_earlier()
        pen = pg.mkPen(self.colours.marker, width=1, style=QtCore.Qt.PenStyle.DashLine)
        for line in self.markers:
            line.setPen(pen)
            line.label.setColor(self.colours.marker)
            line.label.fill = pg.mkBrush(self._label_fill())
            line.label.update()
        self.crosshair_line.setPen(pg.mkPen(self.colours.foreground, width=1,
                                            style=QtCore.Qt.PenStyle.DotLine))

    def _label_fill(self) -> QtGui.QColor:
        colour = QtGui.QColor(self.colours.background)
        colour.setAlpha(215)
        return colour

    def _recolour_earlier(self) -> None:
        # Newest earlier run gets the first muted colour so recent comparisons stay distinct.
        for i, curve in enumerate(reversed(self.earlier)):
            curve.setPen(live_pen(self.colours.earlier[i % len(self.colours.earlier)]))


class LrPlot(TrainingPlot):
    """Learning rate used in each epoch; listDataItems()[0] is the current run."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("lrPlot", "Learning rate per epoch", parent, epochs=True)
        self.setLabel("bottom", "epoch")
        self.current = RunCurve(pen=live_pen(self.colours.current))
        self.current.setDownsampling(auto=True, method="peak")
        self.current.setClipToView(True)
        self.addItem(self.current)
        self._reducer = PeakDecimator()
        # Linear y from 0: a log axis over one constant rate crowds its tick labels together,
        # and auto-range would blow a flat line up to fill the plot.
        self.enableAutoRange(x=False, y=False)
        self._top = 0.0
        self._set_top(DEFAULT_LR_TOP)
        self.set_epochs(DEFAULT_EPOCHS)  # the notebook's 100 until a run says otherwise
        self.set_dark(False)

    def set_epochs(self, epochs: int) -> None:
        self._reducer.reset(epochs)
        self.setXRange(0, max(epochs - 1, 1), padding=0.02)

    def set_current(self, epochs: np.ndarray, lrs: np.ndarray) -> None:
        """Draw the current run (full, append-only columns) from its reduced copy."""
        shown = self._reducer.update(epochs, lrs)
        self.current.set_run(epochs, lrs, shown)
        if len(lrs):
            self._set_top(float(np.max(shown[1])) * 1.25)

    def set_current_data(self, epochs: np.ndarray, lrs: np.ndarray) -> None:
        """Keep getData() up to date on a tick that does not redraw this plot."""
        self.current.set_full(epochs, lrs)

    def clear_current(self) -> None:
        self.current.set_run(np.empty(0), np.empty(0))
        self._set_top(DEFAULT_LR_TOP)  # the axis a new lab opens with

    def _set_top(self, top: float) -> None:
        if top != self._top:
            self._top = top
            self.setYRange(0.0, top, padding=0.02)

    def restyle(self) -> None:
        self.current.setPen(live_pen(self.colours.current))
