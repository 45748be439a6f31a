"""Training Lab: runs driven through its widgets, every number checked against plain torch."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PySide6 import QtCore, QtWidgets

from playground.testing import find, full_speed
from playground.ui.training.lab import TrainingLab

LEFT = QtCore.Qt.MouseButton.LeftButton
NOTEBOOK_LOSSES = (1.0, 0.1568, 0.1004, 0.0963, 0.0957, 0.0953, 0.0949, 0.0945, 0.0942, 0.0938)
NOTEBOOK_X = (10.0, 5.0)
LOSS_FNS = {"MSE": F.mse_loss, "L1": F.l1_loss, "Huber": F.huber_loss}


# ----- helpers ---------------------------------------------------------------------------------

def click(qtbot, lab, name):
    qtbot.mouseClick(find(lab, name, QtWidgets.QPushButton), LEFT)


def run_and_wait(qtbot, lab, timeout=30_000) -> str:
    with qtbot.waitSignal(lab.runFinished, timeout=timeout) as blocker:
        click(qtbot, lab, "startButton")
    return blocker.args[0]


def current_curve(lab, name):
    return find(lab, name).getPlotItem().listDataItems()[0]


def loss_data(lab):
    return current_curve(lab, "lossPlot").getData()


def n_epochs(lab) -> int:
    x, _ = loss_data(lab)
    return 0 if x is None else len(x)


def readout(lab, name) -> float:
    return float(find(lab, name, QtWidgets.QLabel).text())


def make_optimizer(name, params, lr):
    if name == "SGD":
        return torch.optim.SGD(params, lr=lr)
    if name == "Momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "Adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "RMSprop":
        return torch.optim.RMSprop(params, lr=lr)
    if name == "Adagrad":
        return torch.optim.Adagrad(params, lr=lr)
    return None  # Manual


def torch_loop(lrs, optimizer="SGD", loss="MSE", x=NOTEBOOK_X, y=NOTEBOOK_X, w0=1.0, b0=1.0):
    """The notebook's regression written out in plain torch: lrs[i] is epoch i's rate."""
    xt = torch.tensor(x)
    yt = torch.tensor(y)
    w = torch.tensor([w0], requires_grad=True)
    b = torch.tensor([b0], requires_grad=True)
    opt = make_optimizer(optimizer, [w, b], lrs[0])
    losses = []
    for lr in lrs:
        L = LOSS_FNS[loss](w * xt + b, yt)
        L.backward()
        losses.append(L.item())
        if opt is None:
            with torch.no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
        else:
            for group in opt.param_groups:
                group["lr"] = lr
            opt.step()
            opt.zero_grad()
    return np.array(losses), w.item(), b.item()


# ----- the notebook, exactly ---------------------------------------------------------------------
def test_defaults_are_the_notebooks(lab):
    assert find(lab, "epochsSpin").value() == 100
    assert find(lab, "optimizerCombo").currentText() == "SGD"
    combo = find(lab, "optimizerCombo")
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "Manual", "SGD", "Momentum", "Adam", "RMSprop", "Adagrad"]
    losses = find(lab, "lossCombo")
    assert [losses.itemText(i) for i in range(losses.count())] == ["MSE", "L1", "Huber"]
    assert find(lab, "lrSpin").value() == pytest.approx(0.001)
    assert find(lab, "lrSpin").decimals() >= 6
    assert find(lab, "epochsSpin").maximum() == 1_000_000
    config = lab.config()
    assert config.dataset.x == NOTEBOOK_X and config.dataset.y == NOTEBOOK_X
    assert (config.w0, config.b0, config.batch_size) == (1.0, 1.0, None)
    # Before any run the readouts show the starting point: loss of w=b=1 on the notebook data.
    assert (readout(lab, "wLabel"), readout(lab, "bLabel")) == (1.0, 1.0)
    assert readout(lab, "lossLabel") == pytest.approx(1.0)
    assert not find(lab, "divergenceBanner").isVisible()


def test_default_run_prints_the_notebooks_losses(qtbot, lab):
    assert run_and_wait(qtbot, lab) == "completed"
    epochs, losses = loss_data(lab)
    assert len(epochs) == 100 and list(epochs[:3]) == [0, 1, 2]
    assert [round(float(v), 4) for v in losses[::10]] == list(NOTEBOOK_LOSSES)
    expected, w, b = torch_loop([0.001] * 100)
    np.testing.assert_array_equal(losses, expected)
    assert np.float32(readout(lab, "wLabel")) == np.float32(w)
    assert np.float32(readout(lab, "bLabel")) == np.float32(b)
    assert readout(lab, "epochLabel") == 99
    assert np.float32(readout(lab, "lossLabel")) == np.float32(expected[-1])
    assert find(lab, "progressBar").value() == 100
    _, lrs = current_curve(lab, "lrPlot").getData()
    np.testing.assert_array_equal(lrs, np.full(100, 0.001))
    assert not lab.is_running()


@pytest.mark.parametrize(
    ("optimizer", "loss", "lr"),
    [("Manual", "MSE", 0.001), ("Momentum", "Huber", 0.002), ("Adam", "L1", 0.05),
     ("RMSprop", "MSE", 0.01), ("Adagrad", "Huber", 0.1), ("SGD", "L1", 0.01)],
)
def test_optimizer_and_loss_reach_torch(qtbot, lab, optimizer, loss, lr):
    find(lab, "optimizerCombo").setCurrentText(optimizer)
    find(lab, "lossCombo").setCurrentText(loss)
    find(lab, "lrSpin").setValue(lr)
    find(lab, "epochsSpin").setValue(60)
    assert run_and_wait(qtbot, lab) == "completed"
    expected, w, b = torch_loop([lr] * 60, optimizer, loss)
    np.testing.assert_array_equal(loss_data(lab)[1], expected)
    assert np.float32(readout(lab, "wLabel")) == np.float32(w)
    assert np.float32(readout(lab, "bLabel")) == np.float32(b)


# ----- live learning rate ----------------------------------------------------------------------
def test_lr_changed_mid_run_replays_in_plain_torch(qtbot, lab):
    epochs = 20_000
    find(lab, "epochsSpin").setValue(epochs)
    lr_spin = find(lab, "lrSpin")
    with qtbot.waitSignal(lab.runFinished, timeout=60_000) as finished:
        click(qtbot, lab, "startButton")
        assert lab.is_running()
        assert not find(lab, "optimizerCombo").isEnabled()  # fixed for the run
        assert lr_spin.isEnabled()  # live
        qtbot.waitUntil(lambda: n_epochs(lab) >= 500, timeout=20_000)
        lr_spin.setValue(0.005)
    assert finished.args == ["completed"]

    x, lrs = current_curve(lab, "lrPlot").getData()
    assert len(x) == epochs
    changed = np.flatnonzero(lrs != 0.001)
    assert 500 <= changed[0] < epochs, "the change landed mid-run"
    assert np.all(lrs[: changed[0]] == 0.001) and np.all(lrs[changed[0]:] == 0.005)

    expected, w, b = torch_loop(lrs.tolist())
    np.testing.assert_array_equal(loss_data(lab)[1], expected)
    assert np.float32(readout(lab, "wLabel")) == np.float32(w)
    # The loss plot marks where the rate changed.
    markers = [item for item in find(lab, "lossPlot").getPlotItem().items
               if type(item).__name__ == "InfiniteLine"]
    assert [m.value() for m in markers] == [float(changed[0])]


def test_lr_slider_is_log10_of_the_spin_box(lab):
    spin, slider = find(lab, "lrSpin"), find(lab, "lrSlider")
    spin.setValue(0.0009)
    assert spin.value() == pytest.approx(0.0009, abs=1e-12)
    assert spin.text() == "0.0009"
    assert slider.value() == pytest.approx(math.log10(0.0009))
    assert (slider.minimum(), slider.maximum()) == (-5.0, 0.0)
    slider.setValue(-2.0)
    assert spin.value() == pytest.approx(0.01)
    assert lab.config().lr == pytest.approx(0.01)


# ----- divergence and errors -------------------------------------------------------------------
def test_lr_one_diverges_and_the_window_recovers(qtbot, lab):
    banner = find(lab, "divergenceBanner")
    find(lab, "lrSpin").setValue(1.0)
    assert run_and_wait(qtbot, lab) == "diverged"
    assert banner.isVisible()
    assert "diverged" in find(lab, "divergenceText", QtWidgets.QLabel).text()
    _, losses = loss_data(lab)
    assert np.all(np.isfinite(losses))  # the diverged epoch is reported, not drawn

    # The banner's fix: lr x0.1 and restart (0.1 still overshoots on these points).
    with qtbot.waitSignal(lab.runFinished, timeout=30_000) as again:
        click(qtbot, lab, "lowerLrButton")
    assert again.args == ["diverged"]
    assert find(lab, "lrSpin").value() == pytest.approx(0.1)

    find(lab, "lrSpin").setValue(0.001)
    assert run_and_wait(qtbot, lab) == "completed"
    assert not banner.isVisible()
    assert len(loss_data(lab)[0]) == 100


def test_out_of_place_update_shows_torchs_error(qtbot, lab):
    find(lab, "optimizerCombo").setCurrentText("Manual")
    check = find(lab, "outOfPlaceCheck")
    assert check.isEnabled()
    check.setChecked(True)
    assert run_and_wait(qtbot, lab) == "error"
    message = find(lab, "trainingMessageLabel", QtWidgets.QLabel)
    assert message.isVisible()
    assert "NoneType" in message.text() and "non-leaf" in message.text()
    check.setChecked(False)
    assert run_and_wait(qtbot, lab) == "completed"
    assert not message.isVisible()
    find(lab, "optimizerCombo").setCurrentText("SGD")
    assert not check.isEnabled()  # the switch only means something for Manual


def test_an_exception_in_the_worker_is_shown(qtbot, lab, monkeypatch):
    import playground.core.training.loop as loop_module

    def broken_train(config, control, *rest):
        yield from ()
        raise RuntimeError("boom in the worker")

    monkeypatch.setattr(loop_module, "train", broken_train)
    assert run_and_wait(qtbot, lab) == "error"
    text = find(lab, "trainingMessageLabel", QtWidgets.QLabel).text()
    assert "RuntimeError: boom in the worker" in text
    assert find(lab, "startButton").isEnabled()


# ----- run controls ----------------------------------------------------------------------------
def test_step_pause_resume_stop(qtbot, lab):
    find(lab, "epochsSpin").setValue(1_000_000)
    pause = find(lab, "pauseButton", QtWidgets.QPushButton)
    session = lab.session
    n = lambda: n_epochs(lab)  # noqa: E731

    click(qtbot, lab, "stepButton")  # idle: starts a paused run and trains one epoch
    assert lab.is_running()
    assert session.wait_paused(10)  # the loop is parked after that epoch
    qtbot.waitUntil(lambda: n() == 1)
    assert pause.text() == "Resume"
    click(qtbot, lab, "stepButton")
    assert session.wait_paused(10)
    qtbot.waitUntil(lambda: n() == 2)
    session.poll()  # parked: no epoch beyond the two steps exists
    assert len(lab.history) == 2
    expected, w, _ = torch_loop([0.001] * 2)
    np.testing.assert_array_equal(loss_data(lab)[1], expected)

    click(qtbot, lab, "pauseButton")  # Resume
    assert pause.text() == "Pause"
    qtbot.waitUntil(lambda: n() > 200)
    click(qtbot, lab, "pauseButton")  # Pause
    assert pause.text() == "Resume"
    assert session.wait_paused(10)
    session.poll()
    held = len(lab.history)
    qtbot.waitUntil(lambda: n() == held)  # the plot catches up with the model
    session.poll()
    assert len(lab.history) == held  # parked: no creeping on

    with qtbot.waitSignal(lab.runFinished, timeout=5000) as stopped:
        click(qtbot, lab, "stopButton")
    assert stopped.args == ["stopped"]
    assert n() == held < 1_000_000
    assert find(lab, "progressBar").value() == held
    expected, w, _ = torch_loop([0.001] * held)
    np.testing.assert_array_equal(loss_data(lab)[1], expected)
    assert np.float32(readout(lab, "wLabel")) == np.float32(w)
    assert find(lab, "optimizerCombo").isEnabled()


def test_earlier_runs_overlay_and_reset_clears(qtbot, lab):
    for lr in (0.001, 0.002, 0.003):
        find(lab, "lrSpin").setValue(lr)
        assert run_and_wait(qtbot, lab) == "completed"
    plot = find(lab, "lossPlot")
    items = plot.getPlotItem().listDataItems()
    assert len(items) == 3
    expected, _, _ = torch_loop([0.003] * 100)
    np.testing.assert_array_equal(items[0].getData()[1], expected)  # current stays first
    names = [label.text for _, label in plot.getPlotItem().legend.items]
    assert "SGD, lr 0.001" in names and "SGD, lr 0.002" in names

    click(qtbot, lab, "resetButton")
    items = plot.getPlotItem().listDataItems()
    assert len(items) == 1 and n_epochs(lab) == 0
    assert (readout(lab, "wLabel"), readout(lab, "bLabel")) == (1.0, 1.0)


def test_close_mid_run_joins_within_a_second(qtbot, lab, qtlog):
    find(lab, "epochsSpin").setValue(1_000_000)
    click(qtbot, lab, "startButton")
    qtbot.waitUntil(lambda: n_epochs(lab) > 100)
    with qtbot.waitSignal(lab.runFinished, timeout=1000) as finished:
        assert lab.shutdown(1000)  # True only once the thread is joined within its timeout
    assert finished.args == ["stopped"]
    assert not lab.is_running()
    assert not [r for r in qtlog.records if "QThread" in r.message]


def test_closing_the_main_window_mid_run_stops_training(qtbot, playground_window, qtlog):
    window = playground_window()
    lab = window.findChild(QtWidgets.QWidget, "trainingLab")
    window.findChild(QtWidgets.QWidget, "labTabs").setCurrentWidget(lab)
    full_speed(lab)
    find(lab, "epochsSpin").setValue(1_000_000)
    click(qtbot, lab, "startButton")
    qtbot.waitUntil(lambda: n_epochs(lab) > 100)
    window.close()  # stops the run and joins its thread (with a bounded wait)
    assert not lab.is_running()
    assert not [r for r in qtlog.records if "QThread" in r.message]


# ----- exports -----------------------------------------------------------------------------------
def test_exported_script_prints_the_same_losses(qtbot, lab, tmp_path):
    import subprocess
    import sys

    find(lab, "epochsSpin").setValue(3000)
    with qtbot.waitSignal(lab.runFinished, timeout=30_000):
        click(qtbot, lab, "startButton")
        qtbot.waitUntil(lambda: n_epochs(lab) >= 50, timeout=20_000)
        find(lab, "lrSpin").setValue(0.004)
    script = tmp_path / "run.py"
    lab.export_script(script)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         check=True, timeout=120).stdout.splitlines()
    # the notebook-style log the window shows, line for line, then the final numbers
    assert out[:-2] == "\n".join(lab.session.log_lines()).splitlines()
    assert find(lab, "trainingLog", QtWidgets.QPlainTextEdit).toPlainText().endswith(
        "\n".join(out[-2 - 3:-2]))
    _, losses = loss_data(lab)
    assert out[-2] == f"final loss {float(losses[-1])!r}"
    final = out[-1].split()
    assert np.float32(float(final[2])) == np.float32(readout(lab, "wLabel"))
    assert np.float32(float(final[4])) == np.float32(readout(lab, "bLabel"))


def test_loss_csv_and_png(qtbot, lab, tmp_path):
    import csv

    assert run_and_wait(qtbot, lab) == "completed"
    lab.export_loss_csv(tmp_path / "loss.csv")
    with open(tmp_path / "loss.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["epoch", "loss", "lr", "w", "b"]
    table = np.array(rows[1:], dtype=float)
    epochs, losses = loss_data(lab)
    np.testing.assert_array_equal(table[:, 0], epochs)
    np.testing.assert_array_equal(table[:, 1], losses)
    assert np.all(table[:, 2] == 0.001)
    assert np.float32(table[-1, 3]) == np.float32(readout(lab, "wLabel"))

    from PySide6 import QtGui

    lab.export_loss_png(tmp_path / "loss.png")
    image = QtGui.QImage(str(tmp_path / "loss.png"))
    assert not image.isNull() and image.width() > 100


# ----- data sets ---------------------------------------------------------------------------------
def test_noisy_line_and_mini_batches_reach_the_core(qtbot, lab):
    from playground.core.training import noisy_line

    combo = find(lab, "datasetCombo")
    combo.setCurrentIndex(combo.findData("noisy"))
    assert find(lab, "pointsSpin").isEnabled()
    find(lab, "pointsSpin").setValue(12)
    find(lab, "seedSpin").setValue(3)
    find(lab, "batchSizeSpin").setValue(4)
    find(lab, "epochsSpin").setValue(20)
    config = lab.config()
    assert config.dataset == noisy_line(12, noise=1.0, seed=3)
    assert config.batch_size == 4 and config.seed == 3
    assert run_and_wait(qtbot, lab) == "completed"

    # Plain torch: 3 shuffled mini-batches per epoch, the shuffle seeded by the run's seed.
    x = torch.tensor(config.dataset.x)
    y = torch.tensor(config.dataset.y)
    w = torch.ones(1, requires_grad=True)
    b = torch.ones(1, requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=0.001)
    gen = torch.Generator().manual_seed(3)
    expected = []
    for _ in range(20):
        total = 0.0
        perm = torch.randperm(12, generator=gen)
        for start in range(0, 12, 4):
            idx = perm[start:start + 4]
            L = F.mse_loss(w * x[idx] + b, y[idx])
            L.backward()
            opt.step()
            opt.zero_grad()
            total += L.item() * len(idx)
        expected.append(total / 12)
    np.testing.assert_allclose(loss_data(lab)[1], expected, rtol=1e-12)
    assert np.float32(readout(lab, "wLabel")) == np.float32(w.item())


def test_custom_points_are_added_and_removed_on_the_data_plot(qtbot, lab):
    combo = find(lab, "datasetCombo")
    combo.setCurrentIndex(combo.findData("custom"))
    plot = find(lab, "dataPlot")
    vb = plot.getPlotItem().getViewBox()
    start = list(lab.config().dataset.x)
    assert start == list(NOTEBOOK_X)  # custom starts from the notebook's points

    def to_widget(x, y):
        return plot.mapFromScene(vb.mapViewToScene(QtCore.QPointF(x, y)))

    qtbot.mouseClick(plot.viewport(), LEFT, pos=to_widget(7.0, 8.0))
    points = sorted(zip(lab.config().dataset.x, lab.config().dataset.y, strict=True))
    assert len(points) == 3
    assert points[1] == pytest.approx((7.0, 8.0), abs=0.15)

    qtbot.mouseClick(plot.viewport(), QtCore.Qt.MouseButton.RightButton,
                     pos=to_widget(*points[1]))
    assert sorted(lab.config().dataset.x) == sorted(NOTEBOOK_X)

    # Training uses the edited points.
    find(lab, "epochsSpin").setValue(10)
    assert run_and_wait(qtbot, lab) == "completed"
    expected, _, _ = torch_loop([0.001] * 10)
    np.testing.assert_array_equal(loss_data(lab)[1], expected)


def test_a_custom_point_is_dragged_to_a_new_place(qtbot, lab):
    combo = find(lab, "datasetCombo")
    combo.setCurrentIndex(combo.findData("custom"))
    plot = find(lab, "dataPlot")
    vb = plot.getPlotItem().getViewBox()

    def to_widget(x, y):
        return plot.mapFromScene(vb.mapViewToScene(QtCore.QPointF(x, y)))

    start, end = to_widget(10.0, 10.0), to_widget(8.0, 6.0)
    qtbot.mousePress(plot.viewport(), LEFT, pos=start)
    for i in range(1, 11):  # several moves, as a hand would make, past the drag threshold
        qtbot.mouseMove(plot.viewport(), start + (end - start) * i / 10)
    qtbot.mouseRelease(plot.viewport(), LEFT, pos=end)

    points = sorted(zip(lab.config().dataset.x, lab.config().dataset.y, strict=True))
    assert len(points) == 2
    assert points[0] == (5.0, 5.0)  # the other point stayed put
    assert points[1] == pytest.approx((8.0, 6.0), abs=0.15)


def test_dark_theme_recolours_plots(lab):
    plot = find(lab, "lossPlot")
    light = plot.backgroundBrush().color().name()
    lab.set_dark(True)
    dark = plot.backgroundBrush().color().name()
    assert light != dark and QtWidgets.QApplication.instance() is not None
    lab.set_dark(False)
    assert plot.backgroundBrush().color().name() == light


# ----- every number on screen is right -----------------------------------------------------------
def run_script(path) -> list[str]:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          check=True, timeout=120)
    return done.stdout.splitlines()


def test_exported_script_of_a_stopped_run_prints_what_the_window_shows(qtbot, lab, tmp_path):
    find(lab, "epochsSpin").setValue(100_000)
    lr_spin = find(lab, "lrSpin")
    with qtbot.waitSignal(lab.runFinished, timeout=60_000) as finished:
        click(qtbot, lab, "startButton")
        qtbot.waitUntil(lambda: n_epochs(lab) >= 50, timeout=20_000)
        lr_spin.setValue(0.004)
        qtbot.waitUntil(lambda: len(lab.session.current.lr_changes) == 1, timeout=20_000)
        changed_at = lab.session.current.lr_changes[0][0]
        qtbot.waitUntil(lambda: n_epochs(lab) >= changed_at + 50, timeout=20_000)
        click(qtbot, lab, "stopButton")
    assert finished.args == ["stopped"]
    shown = n_epochs(lab)
    assert shown < 100_000

    script = tmp_path / "stopped.py"
    lab.export_script(script)
    assert script.stat().st_size < 20_000  # no list of a hundred thousand rates
    out = run_script(script)
    printed = [line for line in out if line.startswith("Epoch ")]
    assert len(printed) == len(range(0, shown, 10))  # it stops where the run stopped
    assert out[:-2] == "\n".join(lab.session.log_lines()).splitlines()  # the window's log
    _, lrs = current_curve(lab, "lrPlot").getData()
    assert lrs[changed_at - 1] == 0.001 and lrs[changed_at] == 0.004
    expected, _, _ = torch_loop(lrs.tolist())
    assert out[-2] == f"final loss {float(expected[-1])!r}"
    text = lambda name: find(lab, name, QtWidgets.QLabel).text()  # noqa: E731
    assert out[-2] == f"final loss {text('lossLabel')}"
    assert out[-1] == f"final w {text('wLabel')} b {text('bLabel')}"


def test_exported_script_of_a_diverged_run_prints_what_the_window_shows(qtbot, lab, tmp_path):
    find(lab, "optimizerCombo").setCurrentText("Momentum")
    find(lab, "forgetZeroGradCheck").setChecked(True)
    assert run_and_wait(qtbot, lab) == "diverged"
    shown = n_epochs(lab)
    assert 0 < shown < 100
    script = tmp_path / "diverged.py"
    lab.export_script(script)
    out = run_script(script)
    assert sum(line.startswith("Epoch ") for line in out) == len(range(0, shown, 10))
    assert out[:-2] == "\n".join(lab.session.log_lines()).splitlines()  # the window's log
    text = lambda name: find(lab, name, QtWidgets.QLabel).text()  # noqa: E731
    assert out[-2] == f"final loss {text('lossLabel')}"
    assert out[-1] == f"final w {text('wLabel')} b {text('bLabel')}"
    # And the window matches plain torch's Momentum loop that never zeroes its grads.
    x = torch.tensor(NOTEBOOK_X)
    w = torch.ones(1, requires_grad=True)
    b = torch.ones(1, requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=0.001, momentum=0.9)
    for _ in range(shown):
        F.mse_loss(w * x + b, x).backward()
        opt.step()
    assert readout(lab, "wLabel") == w.item() and readout(lab, "bLabel") == b.item()


def test_before_any_run_the_readouts_show_the_real_start_gradients(lab):
    w = torch.ones(1, requires_grad=True)
    b = torch.ones(1, requires_grad=True)
    x = torch.tensor(NOTEBOOK_X)
    loss = F.mse_loss(w * x + b, x)
    loss.backward()
    assert readout(lab, "wGradLabel") == w.grad.item() == 15.0
    assert readout(lab, "bGradLabel") == b.grad.item() == 2.0
    assert readout(lab, "lossLabel") == loss.item()
    caption = find(lab, "readoutsCaption", QtWidgets.QLabel).text()
    assert "initial w and b" in caption
    # Another start point: the readouts follow it.
    find(lab, "w0Spin").setValue(2.0)
    w2 = torch.full((1,), 2.0, requires_grad=True)
    b2 = torch.ones(1, requires_grad=True)
    F.mse_loss(w2 * x + b2, x).backward()
    assert readout(lab, "wGradLabel") == w2.grad.item()
    assert readout(lab, "bGradLabel") == b2.grad.item()


def test_the_notebooks_last_output_and_which_parameters(qtbot, lab):
    predictions = find(lab, "predictionsLabel", QtWidgets.QLabel)
    assert not predictions.isVisible()  # no forward pass yet
    assert run_and_wait(qtbot, lab) == "completed"
    # The notebook's own printed output (its last cell).
    assert predictions.text() == "tensor([9.8048, 5.3858], grad_fn=<AddBackward0>)"
    assert predictions.isVisible()
    note = find(lab, "predictionsNote", QtWidgets.QLabel).text()
    assert "epoch 99" in note and "before its update" in note
    caption = find(lab, "readoutsCaption", QtWidgets.QLabel).text()
    assert "After epoch 99" in caption and "after its update" in caption


def test_default_speed_is_watchable_and_the_lr_can_be_dragged_meanwhile(qtbot, lab):
    speed = find(lab, "speedCombo", QtWidgets.QComboBox)
    items = [speed.itemText(i) for i in range(speed.count())]
    assert "Full speed" in items and items[-1] == "Full speed"
    fresh = TrainingLab()
    qtbot.addWidget(fresh)
    default = fresh.findChild(QtWidgets.QComboBox, "speedCombo")
    assert default.currentText() != "Full speed"
    assert fresh.session.speed is not None and fresh.session.speed <= 60
    fresh.close()

    speed.setCurrentText(fresh.findChild(QtWidgets.QComboBox, "speedCombo").currentText())
    assert lab.session.speed == fresh.session.speed
    with qtbot.waitSignal(lab.runFinished, timeout=30_000) as finished:
        click(qtbot, lab, "startButton")
        qtbot.waitUntil(lambda: n_epochs(lab) >= 5, timeout=10_000)
        find(lab, "lrSlider").setValue(-2.5)  # dragged to about 0.0032 while it trains
        assert n_epochs(lab) < 100
    assert finished.args == ["completed"]
    _, lrs = current_curve(lab, "lrPlot").getData()
    changed = np.flatnonzero(lrs != 0.001)
    assert 5 <= changed[0] < 100 and lrs[-1] == pytest.approx(0.0032)
    expected, _, _ = torch_loop(lrs.tolist())
    np.testing.assert_array_equal(loss_data(lab)[1], expected)


def test_notebook_log_and_copy(qtbot, lab):
    assert run_and_wait(qtbot, lab) == "completed"
    log = find(lab, "trainingLog", QtWidgets.QPlainTextEdit)
    assert log.isReadOnly()
    lines = log.toPlainText().splitlines()
    assert lines[:2] == ["Epoch 0", "Loss tensor(1., grad_fn=<MseLossBackward0>)"]
    # The notebook's printed losses, epoch 0, 10, ..., 90, and its final print(y_predicted).
    losses = [line for line in lines if line.startswith("Loss ")]
    assert losses == ["Loss tensor(1., grad_fn=<MseLossBackward0>)"] + [
        f"Loss tensor({v:.4f}, grad_fn=<MseLossBackward0>)" for v in NOTEBOOK_LOSSES[1:]]
    assert [line for line in lines if line.startswith("Epoch")] == [
        f"Epoch {i}" for i in range(0, 100, 10)]
    assert lines[-1] == "tensor([9.8048, 5.3858], grad_fn=<AddBackward0>)"
    QtWidgets.QApplication.clipboard().clear()
    click(qtbot, lab, "copyLogButton")
    assert QtWidgets.QApplication.clipboard().text() == log.toPlainText()


def test_a_dataset_change_drops_the_old_path_and_banner(qtbot, lab):
    find(lab, "lrSpin").setValue(1.0)
    assert run_and_wait(qtbot, lab) == "diverged"
    banner = find(lab, "divergenceBanner")
    path = lab.landscape_plot.path
    assert banner.isVisible() and len(path.getData()[0]) > 0
    combo = find(lab, "datasetCombo")
    combo.setCurrentIndex(combo.findData("noisy"))
    assert not banner.isVisible()
    x, _ = path.getData()
    assert x is None or len(x) == 0
    # The readouts now show the new data's starting point, with its real gradients.
    config = lab.config()
    w = torch.ones(1, requires_grad=True)
    b = torch.ones(1, requires_grad=True)
    F.mse_loss(w * torch.tensor(config.dataset.x) + b, torch.tensor(config.dataset.y)).backward()
    assert readout(lab, "wGradLabel") == w.grad.item()


def test_no_points_message_clears_once_points_are_back(qtbot, lab):
    combo = find(lab, "datasetCombo")
    combo.setCurrentIndex(combo.findData("custom"))
    lab.session.set_custom_points([])
    message = find(lab, "trainingMessageLabel", QtWidgets.QLabel)
    assert message.isVisible() and "no points" in message.text()
    plot = find(lab, "dataPlot")
    vb = plot.getPlotItem().getViewBox()
    pos = plot.mapFromScene(vb.mapViewToScene(vb.viewRect().center()))
    qtbot.mouseClick(plot.viewport(), LEFT, pos=pos)
    assert len(lab.config().dataset.x) == 1
    assert not message.isVisible()


def test_legend_says_what_each_run_really_was(qtbot, lab):
    find(lab, "epochsSpin").setValue(3000)
    with qtbot.waitSignal(lab.runFinished, timeout=30_000):
        click(qtbot, lab, "startButton")
        qtbot.waitUntil(lambda: n_epochs(lab) >= 10, timeout=20_000)
        find(lab, "lrSpin").setValue(0.002)
    combo = find(lab, "datasetCombo")
    combo.setCurrentIndex(combo.findData("noisy"))
    find(lab, "epochsSpin").setValue(10)
    assert run_and_wait(qtbot, lab) == "completed"
    names = [label.text for _, label in find(lab, "lossPlot").getPlotItem().legend.items]
    assert "SGD, lr 0.001 → 0.002 (lr changed once)" in names
    assert "SGD, lr 0.002, Noisy line: 20 points" in names


def test_pitfalls_and_export_are_above_the_fold_at_720p(playground_window):
    window = playground_window()
    window.set_zoom(0)  # 100 %, whatever zoom an earlier test left on the application font
    window.resize(1280, 720)
    window.tabs.setCurrentIndex(1)
    lab = window.training_lab
    viewport = lab.findChild(QtWidgets.QScrollArea, "trainingControlsScroll").viewport()
    for name in ("forgetZeroGradCheck", "newOptimizerCheck", "exportScriptButton",
                 "exportCsvButton", "speedCombo", "startButton", "lrSpin"):
        widget = find(lab, name)
        bottom = widget.mapTo(viewport, QtCore.QPoint(0, widget.height())).y()
        assert 0 <= bottom <= viewport.height(), f"{name} is below the fold"


def test_a_lab_handed_a_loaded_session_draws_its_runs(qtbot):
    from playground.core.training.session import TrainingSession

    source = TrainingSession(speed=None)
    source.update(epochs=30)
    for lr in (0.001, 0.003):
        source.set_lr(lr)
        source.start()
        assert source.wait(30)
    loaded = TrainingSession.from_dict(source.to_dict())
    lab = TrainingLab(loaded)
    qtbot.addWidget(lab)
    expected, w, b = torch_loop([0.003] * 30)
    np.testing.assert_array_equal(loss_data(lab)[1], expected)
    assert (readout(lab, "wLabel"), readout(lab, "bLabel")) == (w, b)
    assert find(lab, "lrSpin").value() == 0.003  # the controls show the model's setup
    assert find(lab, "epochsSpin").value() == 30
    names = [label.text for _, label in find(lab, "lossPlot").getPlotItem().legend.items]
    assert sorted(names) == ["SGD, lr 0.001", "SGD, lr 0.003"]
    assert find(lab, "trainingLog", QtWidgets.QPlainTextEdit).toPlainText().endswith(
        loaded.predictions()[0])
