"""The automation contract driven the way an outside test would: a bare `MainWindow()` (no
fixture, never shown), widgets found only by objectName, numbers other than the notebook's,
every result compared with plain torch computed here."""

from __future__ import annotations

import pytest
import torch
from PySide6 import QtCore, QtWidgets

from playground.ui import MainWindow

LEFT = QtCore.Qt.MouseButton.LeftButton


@pytest.fixture
def window(qtbot):
    win = MainWindow()
    qtbot.addWidget(win)
    yield win
    win.close()


def find(window: MainWindow, cls, name: str):
    widget = window.findChild(cls, name)
    assert widget is not None, name
    return widget


def click(qtbot, window: MainWindow, name: str) -> None:
    qtbot.mouseClick(find(window, QtWidgets.QPushButton, name), LEFT)


def cells(window: MainWindow, name: str) -> list[float]:
    model = find(window, QtWidgets.QTableView, name).model()
    return [float(model.index(r, c).data())
            for r in range(model.rowCount()) for c in range(model.columnCount())]


def select(window: MainWindow, name: str) -> None:
    view = find(window, QtWidgets.QAbstractItemView, "tensorList")
    model = view.model()
    names = [model.index(r, 0).data().split()[0] for r in range(model.rowCount())]
    view.setCurrentIndex(model.index(names.index(name), 0))


def test_adam_run_in_a_hidden_window_matches_plain_torch(qtbot, window):
    lr, epochs = 0.0009, 37
    find(window, QtWidgets.QDoubleSpinBox, "lrSpin").setValue(lr)
    find(window, QtWidgets.QSpinBox, "epochsSpin").setValue(epochs)
    find(window, QtWidgets.QComboBox, "optimizerCombo").setCurrentText("Adam")
    lab = find(window, QtWidgets.QWidget, "trainingLab")
    with qtbot.waitSignal(lab.runFinished, timeout=20_000) as finished:
        click(qtbot, window, "startButton")
    assert finished.args == ["completed"]

    x = torch.tensor([10.0, 5.0])
    w = torch.ones(1, requires_grad=True)
    b = torch.ones(1, requires_grad=True)
    optimizer = torch.optim.Adam([w, b], lr=lr)
    losses = []
    for _ in range(epochs):
        loss = torch.nn.functional.mse_loss(w * x + b, x)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    epochs_seen, losses_seen = (find(window, QtWidgets.QWidget, "lossPlot")
                                .getPlotItem().listDataItems()[0].getData())
    assert list(epochs_seen) == list(range(epochs))
    assert list(losses_seen) == losses
    _, lrs_seen = find(window, QtWidgets.QWidget, "lrPlot").getPlotItem().listDataItems()[0].getData()
    assert list(lrs_seen) == pytest.approx([lr] * epochs, rel=1e-12)
    # The labels' text is exact; what they paint is the short float32 spelling.
    w_label = find(window, QtWidgets.QLabel, "wLabel")
    assert float(w_label.text()) == w.item()
    assert float(find(window, QtWidgets.QLabel, "bLabel").text()) == b.item()
    assert w_label.shown_text() == str(w.detach().numpy()[0])


def test_select_by_current_index_then_create_and_backward(qtbot, window):
    select(window, "x")
    assert window.workspace.current == "x"
    assert find(window, QtWidgets.QLabel, "gradFnLabel").text() == "None"

    find(window, QtWidgets.QLineEdit, "tensorNameEdit").setText("q")
    find(window, QtWidgets.QLineEdit, "tensorShapeEdit").setText("2x3")
    find(window, QtWidgets.QComboBox, "tensorInitCombo").setCurrentText("full")
    find(window, QtWidgets.QLineEdit, "tensorValuesEdit").setText("3.5")
    find(window, QtWidgets.QCheckBox, "requiresGradCheck").setChecked(True)
    click(qtbot, window, "createTensorButton")
    assert window.workspace.current == "q"
    assert cells(window, "valuesTable") == [3.5] * 6
    assert cells(window, "gradTable") == []

    find(window, QtWidgets.QLineEdit, "statementEdit").setText("s = (q * q).sum()")
    click(qtbot, window, "runStatementButton")
    assert find(window, QtWidgets.QLabel, "gradFnLabel").text() == "SumBackward0"
    click(qtbot, window, "backwardButton")
    select(window, "q")
    q = torch.full((2, 3), 3.5, requires_grad=True)
    (q * q).sum().backward()
    assert cells(window, "gradTable") == q.grad.flatten().tolist()
    assert find(window, QtWidgets.QLabel, "messageLabel").text() == ""
