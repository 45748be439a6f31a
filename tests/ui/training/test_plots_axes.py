"""Every plot axis draws its own numbers (no hidden SI prefix), and its tick labels never overlap.

The labels checked are the ones pyqtgraph would paint: AxisItem.generateDrawSpecs, the very
call its paint() makes, run with the axis's tick font.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from PySide6 import QtCore, QtGui, QtWidgets

from playground.testing import settle, type_statement
from playground.ui.training.data_plot import DataPlot
from playground.ui.training.landscape import LandscapePlot
from playground.ui.training.plots import LossPlot, LrPlot

LEFT = QtCore.Qt.MouseButton.LeftButton

PLOT_SIZE = (520, 360)  # a side plot at the default window size


def drawn_tick_labels(axis) -> list[tuple[QtCore.QRectF, str]]:
    """(rect, text) of every tick label the axis paints for its current range and size."""
    image = QtGui.QImage(4, 4, QtGui.QImage.Format.Format_ARGB32)
    painter = QtGui.QPainter(image)
    try:
        if axis.style["tickFont"] is not None:
            painter.setFont(axis.style["tickFont"])
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    assert specs is not None, "the axis is not laid out"
    return [(rect, text) for rect, _flags, text in specs[2]]


def assert_labels_are_the_values(axis) -> list[float]:
    """Each label read as a number lies inside the axis's range: 125 on a 0..0.5 axis fails."""
    labels = [text for _rect, text in drawn_tick_labels(axis)]
    assert labels, "no tick labels drawn"
    values = [float(text.replace("\u2212", "-")) for text in labels]
    lo, hi = sorted(float(v) for v in axis.range)
    slack = 0.02 * (hi - lo)
    assert all(lo - slack <= v <= hi + slack for v in values), (labels, axis.range)
    return values


def assert_no_overlap(axis) -> None:
    # pyqtgraph measures text at 80 % of its height: compare the full height that is painted.
    rects = []
    for rect, _text in drawn_tick_labels(axis):
        grow = rect.height() * 0.125
        rects.append(rect.adjusted(0, -grow, 0, grow))
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert not a.intersects(b), f"tick labels overlap: {a} and {b}"


def select_leaf(qtbot, window, name: str) -> None:
    view = window.findChild(QtWidgets.QAbstractItemView, "tensorList")
    model = view.model()
    rows = [r for r in range(model.rowCount()) if model.index(r, 0).data().startswith(name)]
    qtbot.mouseClick(view.viewport(), LEFT, pos=view.visualRect(model.index(rows[0], 0)).center())


def test_grad_history_axis_reads_the_grads_of_the_accumulation_cell(playground_window, qtbot):
    window = playground_window()
    window.resize(1280, 720)
    for line in ("x = torch.randn(2, 4, requires_grad=True)", "y = x + 2", "z = y.mean()"):
        type_statement(qtbot, window, line)
    select_leaf(qtbot, window, "x")
    plot = window.findChild(QtWidgets.QWidget, "gradHistoryPlot")
    axis = plot.getPlotItem().getAxis("left")
    # The notebook's cell: four backwards without zeroing, 0.125 more each time.
    torch.manual_seed(0)
    x = torch.randn(2, 4, requires_grad=True)
    for _ in range(4):
        type_statement(qtbot, window, "z.backward()")
        (x + 2).mean().backward()
        values = assert_labels_are_the_values(axis)
        assert max(values) <= 1.0  # 0.1, 0.2, ... never 125
    assert float(x.grad[0, 0]) == 0.5
    window.set_zoom(3)  # a restyle (zoom, theme) must not bring a prefix back
    qtbot.waitUntil(lambda: bool(drawn_tick_labels(axis)))
    assert_labels_are_the_values(axis)
    assert axis.autoSIPrefixScale == 1.0
    window.set_zoom(0)  # the application font is shared with later tests


def test_every_training_axis_draws_small_values_as_they_are(qtbot, shown):
    loss = shown(LossPlot(), *PLOT_SIZE)
    epochs = np.arange(50, dtype=float)
    loss.set_epochs(50)
    loss.set_current(epochs, 0.5 * np.exp(-epochs / 20) + 0.1)  # a loss between 0.1 and 0.6
    lr = shown(LrPlot(), *PLOT_SIZE)
    lr.set_epochs(50)
    lr.set_current(epochs, np.full(50, 0.001))
    data = shown(DataPlot(), *PLOT_SIZE)
    data.set_points((0.1, 0.2, 0.4), (0.05, 0.3, 0.35))
    land = shown(LandscapePlot(), *PLOT_SIZE)
    ws, bs = np.linspace(0.1, 0.6, 5), np.linspace(0.2, 0.7, 4)
    land.set_landscape(ws, bs, np.full((5, 4), 2.0) + ws[:, None] + bs[None, :])
    QtWidgets.QApplication.processEvents()
    for plot in (loss, lr, data, land):
        for side in ("left", "bottom"):
            assert_labels_are_the_values(plot.getPlotItem().getAxis(side))
    assert_labels_are_the_values(land.colour_bar.axis)
    for plot in (loss, lr, data, land):
        plot.set_dark(True)  # restyling must not bring a prefix back
        for side in ("left", "bottom"):
            assert_labels_are_the_values(plot.getPlotItem().getAxis(side))


def test_lr_plot_tick_labels_do_not_overlap_when_small(qtbot, shown):
    lr = shown(LrPlot(), 330, 95)  # its size in an 878x480 window
    lr.set_epochs(100)
    lr.set_current(np.arange(100, dtype=float), np.full(100, 0.001))
    settle(lr)
    for side in ("left", "bottom"):
        axis = lr.getPlotItem().getAxis(side)
        assert drawn_tick_labels(axis)
        assert_no_overlap(axis)
    # If only one label fits, it is the top one: the learning rate, not 0.
    assert max(assert_labels_are_the_values(lr.getPlotItem().getAxis("left"))) >= 0.001


def test_log_loss_axis_after_a_diverged_run_warns_nothing(qtbot, shown):
    loss = shown(LossPlot(), *PLOT_SIZE)
    epochs = np.arange(40, dtype=float)
    losses = 10.0 ** (epochs * 1.0)  # grows to 1e39: past float32, like a diverged run
    losses[losses > 3.4e38] = np.inf
    losses[-1] = np.nan
    loss.set_epochs(40)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss.set_current(epochs, losses)
        loss.grab()
        for on in (True, False, True):
            loss.set_log_y(on)
            loss.grab()  # paints the axis: pyqtgraph's tick text runs here
            drawn_tick_labels(loss.getPlotItem().getAxis("left"))


def test_log_axis_after_a_diverged_run_in_the_window(playground_window, qtbot):
    from playground.testing import full_speed

    window = playground_window()
    window.tabs.setCurrentWidget(window.training_lab)
    lab = window.training_lab
    full_speed(window)
    window.findChild(QtWidgets.QDoubleSpinBox, "lrSpin").setValue(0.5)  # diverges at once
    with qtbot.waitSignal(lab.runFinished, timeout=60_000) as finished:
        lab.start()
    assert finished.args[0] == "diverged"
    check = window.findChild(QtWidgets.QCheckBox, "logYCheck")
    axis = lab.loss_plot.getPlotItem().getAxis("left")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for on in (True, False, True):
            check.setChecked(on)
            lab.loss_plot.grab()
            drawn_tick_labels(axis)
    check.setChecked(False)


def test_epoch_axes_count_whole_epochs(qtbot, shown):
    for plot in (shown(LossPlot(), *PLOT_SIZE), shown(LrPlot(), *PLOT_SIZE)):
        axis = plot.getPlotItem().getAxis("bottom")
        for low, high in ((0.0, 1.0), (0.0, 3.0), (10.0, 99.0)):  # before a run, zoomed, a run
            plot.setXRange(low, high, padding=0.05)
            settle(plot)
            values = assert_labels_are_the_values(axis)
            assert all(v.is_integer() for v in values), (plot.objectName(), values)
