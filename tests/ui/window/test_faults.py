"""Faults the window must survive: closes mid-run and mid-step-through, a worker that raises,
NaN and inf in data and in typed values, and a kill mid-session.

The kill is tests/ui/window/test_autosave.py's (a real app process SIGKILLed after its autosave, the next
start restores its exact session); it is not repeated here. This file adds the in-process half:
an autosave left by a process that has ended, taken mid-training and mid-step-through, restores
in a new window, and the orphan is offered, restored once, and gone.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch
from PySide6 import QtCore, QtWidgets

from playground.core.files.session_file import SUFFIX
from playground.testing import find, full_speed, table_cells

LEFT = QtCore.Qt.MouseButton.LeftButton
CLOSES = 50


class QtMessages:
    """Qt's critical/fatal messages and any QThread warning, while installed."""

    def __init__(self) -> None:
        self.bad: list[str] = []

    def __call__(self, mode, context, message: str) -> None:
        if mode in (QtCore.QtMsgType.QtCriticalMsg, QtCore.QtMsgType.QtFatalMsg) \
                or "QThread" in message:
            self.bad.append(f"{mode.name}: {message}")


@pytest.fixture
def qt_messages():
    handler = QtMessages()
    previous = QtCore.qInstallMessageHandler(handler)
    yield handler
    QtCore.qInstallMessageHandler(previous)



def epochs_drawn(lab) -> int:
    x, _ = find(lab, "lossPlot").getPlotItem().listDataItems()[0].getData()
    return 0 if x is None else len(x)


def show_graph_tab(window) -> None:
    tabs = find(window, "tensorPlotTabs", QtWidgets.QTabWidget)
    tabs.setCurrentIndex(next(i for i in range(tabs.count()) if tabs.tabText(i) == "Graph"))


def start_busy_window(qtbot, tmp_path, n: int):
    """A window training at full speed with a backward being stepped through and played."""
    from playground.ui.window.main_window import MainWindow

    settings = QtCore.QSettings(str(tmp_path / f"w{n}.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, autosave_dir=tmp_path / "autosave")
    window.show()
    qtbot.waitExposed(window)
    lab = window.training_lab
    full_speed(window)
    find(lab, "epochsSpin", QtWidgets.QSpinBox).setValue(1_000_000)
    qtbot.mouseClick(find(lab, "startButton", QtWidgets.QPushButton), LEFT)
    show_graph_tab(window)
    step = find(window, "stepBackwardButton", QtWidgets.QPushButton)
    qtbot.mouseClick(step, LEFT)  # w.backward() runs with hooks; its first node is shown
    assert window.workspace.log[-1] == "w.backward()"
    find(window, "graphSpeedSpin", QtWidgets.QDoubleSpinBox).setValue(0.5)
    qtbot.mouseClick(find(window, "playBackwardButton", QtWidgets.QPushButton), LEFT)
    qtbot.waitUntil(lambda: epochs_drawn(lab) > 0, timeout=10_000)
    return window


def test_closing_mid_training_and_mid_step_through_50_times(qtbot, tmp_path, qt_messages):
    baseline = {t.ident for t in threading.enumerate()}
    for n in range(CLOSES):
        window = start_busy_window(qtbot, tmp_path, n)
        lab = window.training_lab
        assert lab.is_running(), n
        player = window.findChild(QtWidgets.QWidget, "graphPanel").player
        assert player is not None and not player.done, f"close {n}: not mid-step-through"
        assert find(window, "playBackwardButton").text() == "Pause"  # still playing
        window.close()  # joins the worker with a bounded wait; must neither hang nor abort
        assert not lab.is_running(), f"close {n}: the worker is still running"
        assert not window.training_session.is_running(), n
        window.deleteLater()
        QtWidgets.QApplication.processEvents()
        assert not qt_messages.bad, f"close {n}: {qt_messages.bad[0]}"
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
    # Every training thread ended; a clean close also removed every window's autosave.
    left = [t for t in threading.enumerate()
            if t.ident not in baseline and t.name == "training-worker"]
    assert not left, left
    assert not list((tmp_path / "autosave").glob(f"*{SUFFIX}"))


def test_an_exception_inside_the_worker_mid_run(playground_window, qtbot, monkeypatch):
    import playground.core.training.loop as loop_module

    real_train = loop_module.train

    def failing_train(config, control, *rest):
        """The real loop for five epochs, then a failure inside the worker thread."""
        generator = real_train(config, control, *rest)
        for _ in range(5):
            yield next(generator)
        raise FloatingPointError("injected fault after epoch 5")

    window = playground_window()
    lab = window.training_lab
    window.tabs.setCurrentWidget(lab)
    full_speed(window)
    find(lab, "epochsSpin", QtWidgets.QSpinBox).setValue(50)
    monkeypatch.setattr(loop_module, "train", failing_train)
    with qtbot.waitSignal(lab.runFinished, timeout=30_000) as ended:
        qtbot.mouseClick(find(lab, "startButton", QtWidgets.QPushButton), LEFT)
    assert ended.args == ["error"]
    message = find(lab, "trainingMessageLabel", QtWidgets.QLabel)
    assert message.isVisible()
    assert "FloatingPointError: injected fault after epoch 5" in message.text()
    assert epochs_drawn(lab) == 5  # what trained before the fault stays on screen
    losses = lab.session.current.history.column("loss")
    assert len(losses) == 5 and all(math.isfinite(v) for v in losses)
    assert list(find(lab, "lossPlot").getPlotItem().listDataItems()[0].getData()[1]) == \
        pytest.approx(list(losses), rel=0, abs=0)
    assert not lab.is_running()
    # The window carries on: the Tensor Lab still works and the next run completes.
    assert window.workspace.run("q = torch.ones(2, requires_grad=True) * 3").ok
    monkeypatch.setattr(loop_module, "train", real_train)
    with qtbot.waitSignal(lab.runFinished, timeout=30_000) as again:
        qtbot.mouseClick(find(lab, "startButton", QtWidgets.QPushButton), LEFT)
    assert again.args == ["completed"]
    assert not message.isVisible()


def test_an_exception_before_the_first_epoch(playground_window, qtbot, monkeypatch):
    import playground.core.training.loop as loop_module

    def failing_train(config, control, *_rest):
        raise MemoryError("injected: no memory for the model")
        yield  # a generator, like the real loop

    window = playground_window()
    lab = window.training_lab
    full_speed(window)
    monkeypatch.setattr(loop_module, "train", failing_train)
    with qtbot.waitSignal(lab.runFinished, timeout=30_000) as ended:
        qtbot.mouseClick(find(lab, "startButton", QtWidgets.QPushButton), LEFT)
    assert ended.args == ["error"]
    assert "MemoryError: injected" in find(lab, "trainingMessageLabel", QtWidgets.QLabel).text()
    assert epochs_drawn(lab) == 0
    assert find(lab, "startButton").isEnabled()


# ----- NaN and inf ---------------------------------------------------------------------------------


def same(shown: list[float], tensor: torch.Tensor) -> bool:
    return bool(np.array_equal(np.array(shown), tensor.detach().double().reshape(-1).numpy(),
                               equal_nan=True))


def plain_a():
    a = torch.tensor([1e39, -1e39, 0.0], requires_grad=True)
    (a * 0).sum().backward()  # inf * 0 is nan: every grad is 0, the values hold +-inf
    return a


def plain_f():
    f = torch.tensor([2.0, 0.0], requires_grad=True)
    f.sqrt().sum().backward()  # d sqrt(x)/dx at 0 is inf
    return f


TYPED = [
    # (lines typed, the name then shown, plain torch computing the same tensor)
    (["a = torch.tensor([1e39, -1e39, 0.0], requires_grad=True)", "b = (a * 0).sum()",
      "b.backward()"], "a", plain_a),
    (["c = torch.zeros(3) / 0"], "c", lambda: torch.zeros(3) / 0),
    (["d = torch.log(torch.tensor([0.0, -1.0, 2.0]))"], "d",
     lambda: torch.log(torch.tensor([0.0, -1.0, 2.0]))),
    (["e = torch.tensor(1e400)"], "e", lambda: torch.tensor(1e400)),
    (["f = torch.tensor([2.0, 0.0], requires_grad=True)", "g = f.sqrt().sum()",
      "g.backward()"], "f", plain_f),
]


@pytest.mark.parametrize("lines, name, plain", TYPED, ids=[t[1] for t in TYPED])
def test_nan_and_inf_in_typed_values(playground_window, qtbot, lines, name, plain):
    from playground.testing import select_tensor, type_statement

    window = playground_window()
    for line in lines:
        type_statement(qtbot, window, line)
        assert window.workspace.last_result.ok, (line, find(window, "messageLabel").text())
    select_tensor(qtbot, window, name)
    tensor = plain()
    values = table_cells(window, "valuesTable")
    assert same(values, tensor)
    shown = values + (table_cells(window, "gradTable") if tensor.grad is not None else [])
    assert any(not math.isfinite(v) for v in shown)  # the case really holds a NaN or an inf
    if tensor.grad is not None:
        assert same(table_cells(window, "gradTable"), tensor.grad)
    else:
        assert find(window, "gradNoneLabel").isVisible()


def test_nan_and_inf_in_the_create_form(playground_window, qtbot):
    window = playground_window()

    def create(name: str, values: str) -> None:
        find(window, "tensorNameEdit", QtWidgets.QLineEdit).setText(name)
        find(window, "tensorShapeEdit", QtWidgets.QLineEdit).setText("")
        find(window, "tensorInitCombo", QtWidgets.QComboBox).setCurrentText("values")
        find(window, "tensorValuesEdit", QtWidgets.QLineEdit).setText(values)
        find(window, "requiresGradCheck", QtWidgets.QCheckBox).setChecked(True)
        qtbot.mouseClick(find(window, "createTensorButton", QtWidgets.QPushButton), LEFT)

    # Finite literals beyond float32's range: torch makes them +-inf, and the table says so.
    create("big", "[1e39, -1e39, 2.5]")
    assert window.workspace.current == "big", find(window, "messageLabel").text()
    assert same(table_cells(window, "valuesTable"), torch.tensor([1e39, -1e39, 2.5]))
    assert table_cells(window, "valuesTable")[:2] == [math.inf, -math.inf]
    # What cannot be written as a Python literal is refused with a message; nothing changes.
    log = list(window.workspace.log)
    for values in ("[1e400, 1.0]", "[nan, inf]", "[1.0, float('nan')]"):
        create("bad", values)
        assert window.workspace.log == log, values
        assert find(window, "messageLabel", QtWidgets.QLabel).text(), values


def test_inf_in_the_training_data_is_refused_and_huge_data_diverges(playground_window, qtbot,
                                                                   tmp_path):
    window = playground_window()
    session = window.training_session
    lab = window.training_lab
    window.tabs.setCurrentWidget(lab)
    full_speed(window)
    # Points that are finite but overflow float32's square: the loss is inf, the run diverges.
    session.set_data(kind="custom", custom=((1e30, 1e30), (-1e30, 2.0)))
    with qtbot.waitSignal(lab.runFinished, timeout=30_000) as ended:
        qtbot.mouseClick(find(lab, "startButton", QtWidgets.QPushButton), LEFT)
    assert ended.args == ["diverged"]
    assert find(lab, "divergenceBanner").isVisible()
    # The loss surface over such data is inf everywhere: still drawn, on finite colour levels.
    plot = find(lab, "landscapePlot")
    grid = np.linspace(-1.0, 1.0, 5)
    for losses in (np.full((5, 5), np.inf), np.where(np.eye(5) > 0, np.nan, 2.0)):
        plot.set_landscape(grid, grid, losses)
        levels = plot.colour_bar.levels()
        assert all(math.isfinite(v) for v in levels) and levels[0] < levels[1]
    # NaN or inf points never reach a run: the model refuses them...
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match="finite"):
            session.set_custom_points([(1.0, 2.0), (bad, 3.0)])
    # ...and so does opening a session file that holds them, leaving the window as it was.
    doc = window.session_document()
    before = json.dumps(doc, sort_keys=True)
    doc["training"]["data"]["custom"] = [[1.0, float("nan")], [2.0, float("inf")]]
    path = tmp_path / f"nan{SUFFIX}"
    path.write_text(json.dumps(doc))  # Python's json writes NaN and Infinity tokens
    assert "NaN" in path.read_text()
    assert not window.open_session(path)
    assert "finite" in window.statusBar().currentMessage() or \
        "finite" in find(window, "messageLabel", QtWidgets.QLabel).text()
    assert json.dumps(window.session_document(), sort_keys=True) == before


# ----- a kill mid-session --------------------------------------------------------------------------


def test_autosave_taken_mid_training_and_mid_step_through_restores(playground_window, qtbot,
                                                                  tmp_path):
    """The in-process half of crash recovery (the SIGKILL itself: tests/ui/window/test_autosave.py)."""
    window = playground_window(autosave_dir=tmp_path / "live")
    for line in ["a = torch.tensor([1e39, 2.0], requires_grad=True)", "s = (a * 3).sum()"]:
        assert window.workspace.run(line).ok
    lab = window.training_lab
    full_speed(window)
    find(lab, "epochsSpin", QtWidgets.QSpinBox).setValue(1_000_000)
    qtbot.mouseClick(find(lab, "startButton", QtWidgets.QPushButton), LEFT)
    show_graph_tab(window)
    qtbot.mouseClick(find(window, "stepBackwardButton", QtWidgets.QPushButton), LEFT)
    qtbot.waitUntil(lambda: epochs_drawn(lab) > 10, timeout=10_000)
    assert window.autosaver.save_now()  # what the timer does every few seconds mid-run
    saved = json.loads(window.autosaver.path.read_text())
    with qtbot.waitSignal(lab.runFinished, timeout=5000):
        lab.stop()
    # The process "dies": its file is now named after a process that has ended.
    pid = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                             capture_output=True, text=True, check=True).stdout)
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    orphan = crashed / f"autosave-{pid}-0{SUFFIX}"
    orphan.write_text(json.dumps(saved))
    restored = playground_window(restore_autosave=True, autosave_dir=crashed)
    assert restored.workspace.log == window.workspace.log
    assert restored.workspace.log[-1] == "s.backward()"
    facts = restored.workspace.facts("a")
    plain = torch.tensor([1e39, 2.0], requires_grad=True)
    (plain * 3).sum().backward()
    assert np.array_equal(facts.values, plain.detach().numpy())
    assert np.array_equal(facts.grad, plain.grad.numpy())
    run = restored.training_session.current
    assert run is not None and run.epochs_done >= 10
    assert not orphan.exists()  # restored once: the next start does not offer it again


def test_float64_beyond_float32_is_painted_as_itself_not_inf(playground_window, qtbot):
    """Found by the fuzzer: painting 1e300 in float32's spelling overflowed to "inf" (and raised
    numpy's overflow warning inside a Qt override)."""
    from playground.testing import type_statement

    window = playground_window()
    type_statement(qtbot, window, "h = torch.tensor([1e300, -1e300, 0.5], dtype=torch.float64)")
    assert window.workspace.last_result.ok, find(window, "messageLabel").text()
    window.set_zoom(2)  # re-measuring the columns reads the painted texts too
    model = find(window, "valuesTable", QtWidgets.QTableView).model()
    painted = [model.index(0, c).data(QtCore.Qt.ItemDataRole.UserRole + 1) for c in range(3)]
    assert [float(t) for t in painted] == [1e300, -1e300, 0.5]
    assert same(table_cells(window, "valuesTable"), torch.tensor([1e300, -1e300, 0.5],
                                                           dtype=torch.float64))


def test_step_backward_after_a_leaf_stopped_requiring_grad(playground_window, qtbot):
    """Found by the fuzzer: Step backward raised "cannot register a hook on a tensor that
    doesn't require gradient" (escaping to sys.excepthook) once a leaf of the graph had been
    switched to requires_grad=False; plain torch runs that backward and leaves the leaf's grad
    None."""
    from playground.testing import type_statement

    window = playground_window()
    for line in ["p = torch.ones(2, requires_grad=True)", "q = (p * 2).sum()",
                 "p.requires_grad_(False)", "q = q * 1"]:
        type_statement(qtbot, window, line)
        assert window.workspace.last_result.ok, line
    plain_p = torch.ones(2, requires_grad=True)
    plain_q = (plain_p * 2).sum()
    plain_p.requires_grad_(False)
    (plain_q * 1).backward()
    show_graph_tab(window)
    qtbot.mouseClick(find(window, "stepBackwardButton", QtWidgets.QPushButton), LEFT)
    assert window.workspace.log[-1] == "q.backward()"
    player = window.findChild(QtWidgets.QWidget, "graphPanel").player
    assert player is not None and "AccumulateGrad" in [s.name for s in player.steps]
    assert window.workspace.facts("p").grad is None and plain_p.grad is None


@pytest.mark.parametrize("shape", ["0, 3", "2, 0, 4", "0"])
def test_empty_tensors_on_the_graph_tab(playground_window, qtbot, shape):
    """Found by the fuzzer: an empty tensor with more than one dimension raised IndexError while
    the Graph tab drew its node (every later statement failed to refresh the graph)."""
    from playground.testing import type_statement

    window = playground_window()
    show_graph_tab(window)
    type_statement(qtbot, window, f"e = torch.zeros({shape}, requires_grad=True)")
    assert window.workspace.last_result.ok
    type_statement(qtbot, window, "s = e.sum()")
    assert window.workspace.current == "s"
    view = find(window, "graphView", QtWidgets.QGraphicsView)
    labels = {item.data(1) for item in view.scene().items() if item.data(0) == "tensor"}
    assert {"e", "s"} <= labels
    assert table_cells(window, "valuesTable") == [0.0]


def test_a_grad_holding_inf_and_minus_inf(playground_window, qtbot):
    """Found by the fuzzer: recording a .grad of [inf, -inf] for Grad history let numpy's
    "invalid value" warning escape from Backward; its mean is NaN, as torch's is."""
    from playground.testing import click, select_tensor, type_statement

    window = playground_window()
    type_statement(qtbot, window, "a = torch.tensor([1.0, -1.0], requires_grad=True)")
    type_statement(qtbot, window, "b = (a * torch.tensor([1e39, -1e39])).sum()")
    click(qtbot, window, "backwardButton")
    assert window.workspace.log[-1] == "b.backward()"
    plain = torch.tensor([1.0, -1.0], requires_grad=True)
    (plain * torch.tensor([1e39, -1e39])).sum().backward()
    select_tensor(qtbot, window, "a")
    assert same(table_cells(window, "gradTable"), plain.grad)
    record = window.workspace.grad_history("a")[-1]
    assert math.isnan(record.mean) and math.isnan(plain.grad.mean().item())
