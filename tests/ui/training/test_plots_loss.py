"""The loss plot stays readable: hover readout, lr markers clear of each other and the legend,
x range fitted to the run on screen, and a data plot that frames every point."""

from __future__ import annotations

import re

import numpy as np
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from playground.testing import settle
from playground.ui.training.data_plot import DataPlot
from playground.ui.training.plots import LossPlot


def notebook_like_run(n: int = 100) -> tuple[np.ndarray, ...]:
    """Columns as the lab records them: float32 values held in float64 arrays."""
    epochs = np.arange(n, dtype=np.float64)
    losses = np.float32(1.0) * np.exp(-epochs / 9).astype(np.float32) + np.float32(0.09)
    ws = (1 - 0.12 * (1 - np.exp(-epochs / 9))).astype(np.float32)
    bs = (1 - 0.03 * (1 - np.exp(-epochs / 9))).astype(np.float32)
    return epochs, losses.astype(np.float64), ws.astype(np.float64), bs.astype(np.float64)


def hover_until(qtbot, plot: LossPlot, epoch: float, y: float, done) -> None:
    """Move the mouse to (epoch, y) until `done()`.

    pyqtgraph drops moves closer than 10 ms to the last one and Qt drops a move to where the
    mouse already is, so each try nudges the pointer by a pixel.
    """
    view = plot.getPlotItem().getViewBox()
    tries = [0]

    def moved() -> bool:
        point = plot.mapFromScene(view.mapViewToScene(QtCore.QPointF(epoch, y)))
        tries[0] += 1
        QTest.mouseMove(plot.viewport(), point + QtCore.QPoint(0, tries[0] % 2))
        return done()
    qtbot.waitUntil(moved)


def numbers(text: str) -> dict[str, str]:
    return dict(re.findall(r"(epoch|loss|w|b) (\S+)", text))


def test_hover_shows_epoch_loss_w_b_of_the_epoch_under_the_mouse(qtbot, shown):
    plot = shown(LossPlot())
    epochs, losses, ws, bs = notebook_like_run()
    plot.set_epochs(len(epochs))
    plot.set_current(epochs, losses)
    plot.set_records(epochs, losses, ws, bs)
    settle(plot, rounds=2)
    label = plot.findChild(QtWidgets.QLabel, "lossCrosshairLabel")
    assert label is not None and not label.isVisible()
    for epoch in (37, 5, 88):
        # The nearest recorded epoch is the one reported.
        hover_until(qtbot, plot, epoch + 0.2, 0.5,
                    lambda e=epoch: numbers(label.text()).get("epoch") == str(e))
        assert label.isVisible()
        read = numbers(label.text())
        assert np.float32(read["loss"]) == np.float32(losses[epoch])
        assert np.float32(read["w"]) == np.float32(ws[epoch])
        assert np.float32(read["b"]) == np.float32(bs[epoch])
        assert plot.crosshair_line.isVisible() and plot.crosshair_line.value() == epoch
    # Off the plot area (over the axis) the readout goes away.
    tries = [0]

    def left() -> bool:
        tries[0] += 1
        QTest.mouseMove(plot.viewport(), QtCore.QPoint(2, 2 + tries[0] % 2))
        return not label.isVisible()
    qtbot.waitUntil(left)


def test_lr_marker_labels_overlap_neither_each_other_nor_the_legend(qtbot, shown):
    plot = shown(LossPlot())
    epochs, losses, _ws, _bs = notebook_like_run(400)
    plot.set_epochs(400)
    plot.set_current_name("SGD, lr 0.001 (now)")
    plot.set_current(epochs, losses)
    # A learner dragging the slider: many changes close together, and some near the legend.
    for epoch, lr in ((40, 0.002), (44, 0.004), (48, 0.008), (52, 0.01), (56, 0.02),
                      (60, 0.03), (200, 0.01), (330, 0.004), (350, 0.002), (390, 0.001)):
        plot.add_lr_marker(epoch, lr)
    qtbot.waitUntil(lambda: any(m.label.isVisible() for m in plot.markers))
    QtWidgets.QApplication.processEvents()
    labels = [m.label.sceneBoundingRect() for m in plot.markers if m.label.isVisible()]
    assert len(labels) >= 4  # thinned, not all hidden
    legend = plot.legend.sceneBoundingRect()
    box = plot.getPlotItem().getViewBox().sceneBoundingRect()
    for i, rect in enumerate(labels):
        assert not rect.intersects(legend), "an lr label sits on the legend"
        assert box.contains(rect), "an lr label runs off the plot"
        for other in labels[i + 1:]:
            assert not rect.intersects(other), "two lr labels overlap"
    # Every marker keeps its line and says its value in a tooltip, shown label or not.
    assert all("learning rate changed to" in m.toolTip() for m in plot.markers)


def test_a_short_run_after_a_long_one_fills_the_x_axis(qtbot, shown):
    plot = shown(LossPlot())
    epochs, losses, _ws, _bs = notebook_like_run(4000)
    plot.set_epochs(4000)
    plot.set_current(epochs, losses)
    plot.keep_current_as_earlier("SGD, lr 0.001")
    plot.clear_current()
    plot.set_epochs(100)
    plot.set_current(epochs[:100], losses[:100] * 2)
    low, high = plot.getPlotItem().getViewBox().viewRange()[0]
    assert low <= 0 and 99 <= high <= 105, (low, high)
    # The earlier run is still there, beyond the right edge, for whoever zooms out.
    assert len(plot.earlier) == 1 and len(plot.earlier[0].getData()[0]) == 4000


def test_data_plot_frames_every_point_with_a_margin_when_small(qtbot, shown):
    plot = DataPlot()
    # Set while hidden, as the lab does before its tab is first shown.
    plot.set_points((10.0, 5.0), (10.0, 5.0))  # the notebook's two points
    shown(plot, 300, 190)  # its size in an 878x480 window
    settle(plot, rounds=2)
    (x_low, x_high), (y_low, y_high) = plot.getPlotItem().getViewBox().viewRange()
    for x, y in ((10.0, 10.0), (5.0, 5.0)):
        assert x_low + 0.2 <= x <= x_high - 0.2 and y_low + 0.2 <= y <= y_high - 0.2
    title = plot.getPlotItem().titleLabel
    assert title.item.boundingRect().width() <= plot.width(), "the title is cut at the edge"


def test_in_a_small_window_the_data_plot_shows_both_notebook_points(playground_window, qtbot):
    window = playground_window()
    window.resize(878, 480)
    window.tabs.setCurrentWidget(window.training_lab)
    plot = window.findChild(QtWidgets.QWidget, "dataPlot")
    qtbot.waitExposed(plot)
    settle(window, rounds=2)
    (x_low, x_high), (y_low, y_high) = plot.getPlotItem().getViewBox().viewRange()
    for x, y in ((10.0, 10.0), (5.0, 5.0)):
        assert x_low + 0.2 <= x <= x_high - 0.2 and y_low + 0.2 <= y <= y_high - 0.2, (
            plot.getPlotItem().getViewBox().viewRange())
    title = plot.getPlotItem().titleLabel
    assert title.item.sceneBoundingRect().right() <= plot.width(), "the title is cut"
    # A title wider than the plot stretched the whole plot past the widget's right edge,
    # which is what hid the notebook's point (10, 10).
    assert plot.getPlotItem().geometry().right() <= plot.width() + 0.5


def test_hover_in_the_window_reads_the_runs_own_records(playground_window, qtbot, tmp_path):
    from playground.testing import full_speed

    window = playground_window()
    window.resize(1280, 720)
    window.tabs.setCurrentWidget(window.training_lab)
    lab = window.training_lab
    full_speed(window)
    with qtbot.waitSignal(lab.runFinished, timeout=60_000) as finished:
        qtbot.mouseClick(window.findChild(QtWidgets.QPushButton, "startButton"),
                         QtCore.Qt.MouseButton.LeftButton)
    assert finished.args[0] == "completed"
    lab.export_loss_csv(tmp_path / "run.csv")  # the run's records: epoch, loss, lr, w, b
    rows = np.loadtxt(tmp_path / "run.csv", delimiter=",", skiprows=1)
    plot = window.findChild(QtWidgets.QWidget, "lossPlot")
    settle(window, rounds=2)
    label = plot.findChild(QtWidgets.QLabel, "lossCrosshairLabel")
    epoch = 42
    hover_until(qtbot, plot, epoch, float(rows[epoch, 1]),
                lambda: numbers(label.text()).get("epoch") == str(epoch))
    read = numbers(label.text())
    assert np.float32(read["loss"]) == np.float32(rows[epoch, 1])
    assert np.float32(read["w"]) == np.float32(rows[epoch, 3])
    assert np.float32(read["b"]) == np.float32(rows[epoch, 4])
