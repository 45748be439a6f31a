"""A pace a person can act on, one learning-rate drag as one change, and axes that stay
readable: driven through the window's objectNames, numbers checked against plain torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6 import QtCore, QtGui, QtWidgets

from playground.core.training.session import DEFAULT_SPEED, NOTEBOOK_RUN_SECONDS
from playground.testing import click, find, full_speed

LEFT = QtCore.Qt.MouseButton.LeftButton
NOTEBOOK_X = [10.0, 5.0]


def sgd_losses(lr: float, epochs: int) -> list[float]:
    """The notebook's regression with plain torch SGD: each epoch's loss before its update."""
    x = torch.tensor(NOTEBOOK_X)
    w = torch.ones(1, requires_grad=True)
    b = torch.ones(1, requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=lr)
    out = []
    for _ in range(epochs):
        loss = torch.nn.functional.mse_loss(w * x + b, x)
        loss.backward()
        out.append(loss.item())
        opt.step()
        opt.zero_grad()
    return out


def handle_centre(slider: QtWidgets.QSlider) -> QtCore.QPoint:
    option = QtWidgets.QStyleOptionSlider()
    slider.initStyleOption(option)
    return slider.style().subControlRect(
        QtWidgets.QStyle.ComplexControl.CC_Slider, option,
        QtWidgets.QStyle.SubControl.SC_SliderHandle, slider).center()


def mouse(slider: QtWidgets.QWidget, kind: QtCore.QEvent.Type, pos: QtCore.QPoint,
          held: bool) -> None:
    """A real mouse event (QTest's moves carry no pressed button)."""
    button = QtCore.Qt.MouseButton.NoButton if kind == QtCore.QEvent.Type.MouseMove else LEFT
    buttons = LEFT if held else QtCore.Qt.MouseButton.NoButton
    local = QtCore.QPointF(pos)
    event = QtGui.QMouseEvent(kind, local, slider.mapToGlobal(local), button, buttons,
                              QtCore.Qt.KeyboardModifier.NoModifier)
    QtWidgets.QApplication.sendEvent(slider, event)


def epochs_done(window) -> int:
    run = window.training_session.current
    return 0 if run is None else len(run.history)


def test_the_default_pace_gives_the_notebooks_run_15_s_and_full_speed_is_one_click(
        qtbot, playground_window):
    window = playground_window()
    window.tabs.setCurrentWidget(window.training_lab)
    lab, session = window.training_lab, window.training_session
    combo = find(lab, "speedCombo", QtWidgets.QComboBox)
    assert combo.currentText() == "6 epochs/s" and session.speed == DEFAULT_SPEED
    assert find(lab, "epochsSpin").value() == 100  # the notebook's run
    assert session.config.epochs / session.speed >= NOTEBOOK_RUN_SECONDS >= 15
    button = find(lab, "fullSpeedButton", QtWidgets.QPushButton)
    click(qtbot, lab, "fullSpeedButton")
    assert session.speed is None and combo.currentText() == "Full speed" and button.isChecked()
    click(qtbot, lab, "fullSpeedButton")
    assert session.speed == DEFAULT_SPEED and not button.isChecked()


def test_one_drag_of_the_lr_slider_is_one_change_where_it_ended(qtbot, playground_window):
    window = playground_window()
    window.resize(1280, 720)
    window.tabs.setCurrentWidget(window.training_lab)
    lab, session = window.training_lab, window.training_session
    find(lab, "speedCombo", QtWidgets.QComboBox).setCurrentText("30 epochs/s")
    find(lab, "epochsSpin").setValue(400)
    slider = find(lab, "lrSlider", QtWidgets.QSlider)
    spin = find(lab, "lrSpin", QtWidgets.QDoubleSpinBox)
    with qtbot.waitSignal(lab.runFinished, timeout=60_000) as finished:
        click(qtbot, lab, "startButton")
        qtbot.waitUntil(lambda: epochs_done(window) >= 20, timeout=20_000)
        start = handle_centre(slider)
        mouse(slider, QtCore.QEvent.Type.MouseButtonPress, start, True)
        for step in range(1, 9):  # the drag passes through eight rates, epochs go by
            seen = epochs_done(window)
            mouse(slider, QtCore.QEvent.Type.MouseMove, start + QtCore.QPoint(4 * step, 0), True)
            qtbot.waitUntil(lambda seen=seen: epochs_done(window) > seen, timeout=10_000)
        assert session.current.lr_changes == []  # nothing applied while the handle is held
        released_at = epochs_done(window)
        mouse(slider, QtCore.QEvent.Type.MouseButtonRelease, start + QtCore.QPoint(32, 0), False)
        final = spin.value()
        assert final != 0.001
        qtbot.waitUntil(lambda: len(session.current.lr_changes) == 1, timeout=10_000)
        qtbot.waitUntil(lambda: epochs_done(window) >= released_at + 20, timeout=10_000)
        status = window.statusBar().currentMessage()
        click(qtbot, lab, "stopButton")
    assert finished.args == ["stopped"]
    run = session.current
    (changed_at, rate), = run.lr_changes
    assert rate == final and changed_at >= released_at  # placed where the drag ended
    lrs = run.history.column("lr")
    assert np.all(lrs[:changed_at] == 0.001) and np.all(lrs[changed_at:] == final)
    assert [m.value() for m in lab.loss_plot.markers] == [float(changed_at)]
    names = [label.text for _, label in lab.loss_plot.legend.items]
    assert any("lr changed once" in n for n in names) and not any("×" in n for n in names)
    assert f"lr {final:g}" in status  # the status bar follows the rate in use
    # The slider's five powers of ten get 60 px or more each in a 1280x720 window.
    assert slider.width() / 5 >= 60


def test_a_diverged_run_does_not_flatten_the_next(qtbot, playground_window):
    window = playground_window()
    window.tabs.setCurrentWidget(window.training_lab)
    lab = window.training_lab
    full_speed(lab)
    find(lab, "optimizerCombo").setCurrentText("SGD")
    find(lab, "lrSpin").setValue(0.05)
    with qtbot.waitSignal(lab.runFinished, timeout=60_000) as first:
        click(qtbot, lab, "startButton")
    assert first.args == ["diverged"]
    with qtbot.waitSignal(lab.runFinished, timeout=60_000) as second:
        click(qtbot, lab, "lowerLrButton")  # "Lower the learning rate x0.1 and restart"
    assert second.args == ["completed"]
    losses = sgd_losses(0.005, 100)  # plain torch: what the new run must show
    _, shown = lab.loss_plot.current.getData()
    np.testing.assert_allclose(shown, losses, rtol=1e-6)
    bottom, top = lab.loss_plot.getPlotItem().getViewBox().viewRange()[1]
    assert top < 2 * max(losses) and bottom <= min(losses)  # the new run fills the plot
    diverged = lab.loss_plot.earlier[-1]
    ex, ey = diverged.getData()
    assert np.nanmax(np.where(np.isfinite(ey), ey, np.nan)) > 100 * top  # it was huge
    marks = lab.loss_plot.exit_marks.getData()
    first_out = int(np.argmax(~(np.asarray(ey) <= top)))
    assert list(marks[0]) == [float(ex[first_out])] and list(marks[1]) == [top]


def test_reset_and_file_new_clear_the_training_lab(qtbot, playground_window):
    window = playground_window()
    window.tabs.setCurrentWidget(window.training_lab)
    lab = window.training_lab
    full_speed(lab)
    find(lab, "epochsSpin").setValue(60)
    with qtbot.waitSignal(lab.runFinished, timeout=60_000):
        click(qtbot, lab, "startButton")
    find(lab, "epochsSpin").setValue(80)
    click(qtbot, lab, "resetButton")
    bar = find(lab, "progressBar", QtWidgets.QProgressBar)
    assert bar.text() == "0 / 80 epochs"
    x, _ = lab.loss_plot.current.getData()
    assert x is None or len(x) == 0
    assert lab.loss_plot.legend.items == [] and lab.loss_plot.earlier == []
    assert lab.loss_plot.getPlotItem().getViewBox().viewRange()[1] == [0.0, 1.0]
    assert lab.loss_plot.getPlotItem().getViewBox().viewRange()[0][1] == pytest.approx(
        79 + 0.02 * 79, rel=0.05)

    with qtbot.waitSignal(lab.runFinished, timeout=60_000):
        click(qtbot, lab, "startButton")
    window.workspace.run("q = torch.ones(2)")
    find(window, "actionNew", QtGui.QAction).trigger()
    assert window.training_session.current is None and window.training_session.earlier == []
    assert lab.loss_plot.legend.items == [] and bar.text() == "0 / 80 epochs"
    assert "q" not in window.workspace.names


def test_a_single_step_draws_a_visible_point(qtbot, playground_window):
    window = playground_window()
    window.tabs.setCurrentWidget(window.training_lab)
    lab = window.training_lab
    click(qtbot, lab, "stepButton")
    def drawn() -> int:
        x = lab.loss_plot.current.getData()[0]
        return 0 if x is None else len(x)

    qtbot.waitUntil(lambda: drawn() == 1, timeout=10_000)
    curve = lab.loss_plot.current
    assert curve.opts["symbol"] == "o"  # one point: a dot, since a line through it draws nothing
    assert curve.getData()[1][0] == pytest.approx(sgd_losses(0.001, 1)[0])
    click(qtbot, lab, "stopButton")
    qtbot.waitUntil(lambda: not lab.is_running(), timeout=10_000)
