"""The automation contract driven the way an outside test would: a bare `MainWindow()` (no
fixture, never shown), widgets found only by objectName, numbers other than the notebook's,
every result compared with plain torch computed here."""

from __future__ import annotations

import pytest
import torch
from PySide6 import QtCore, QtWidgets

from playground.testing import find, table_cells
from playground.ui import MainWindow

LEFT = QtCore.Qt.MouseButton.LeftButton


@pytest.fixture
def window(qtbot):
    win = MainWindow()
    qtbot.addWidget(win)
    yield win
    win.close()


def click(qtbot, window: MainWindow, name: str) -> None:
    qtbot.mouseClick(find(window, name, QtWidgets.QPushButton), LEFT)


def select(window: MainWindow, name: str) -> None:
    view = find(window, "tensorList", QtWidgets.QAbstractItemView)
    model = view.model()
    names = [model.index(r, 0).data().split()[0] for r in range(model.rowCount())]
    view.setCurrentIndex(model.index(names.index(name), 0))


def test_adam_run_in_a_hidden_window_matches_plain_torch(qtbot, window):
    lr, epochs = 0.0009, 37
    find(window, "lrSpin", QtWidgets.QDoubleSpinBox).setValue(lr)
    find(window, "epochsSpin", QtWidgets.QSpinBox).setValue(epochs)
    find(window, "optimizerCombo", QtWidgets.QComboBox).setCurrentText("Adam")
    lab = find(window, "trainingLab", QtWidgets.QWidget)
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

    epochs_seen, losses_seen = (find(window, "lossPlot", QtWidgets.QWidget)
                                .getPlotItem().listDataItems()[0].getData())
    assert list(epochs_seen) == list(range(epochs))
    assert list(losses_seen) == losses
    _, lrs_seen = find(window, "lrPlot", QtWidgets.QWidget).getPlotItem().listDataItems()[0].getData()
    assert list(lrs_seen) == pytest.approx([lr] * epochs, rel=1e-12)
    # The labels' text is exact; what they paint is the short float32 spelling.
    w_label = find(window, "wLabel", QtWidgets.QLabel)
    assert float(w_label.text()) == w.item()
    assert float(find(window, "bLabel", QtWidgets.QLabel).text()) == b.item()
    assert w_label.shown_text() == str(w.detach().numpy()[0])


def test_select_by_current_index_then_create_and_backward(qtbot, window):
    select(window, "x")
    assert window.workspace.current == "x"
    assert find(window, "gradFnLabel", QtWidgets.QLabel).text() == "None"

    find(window, "tensorNameEdit", QtWidgets.QLineEdit).setText("q")
    find(window, "tensorShapeEdit", QtWidgets.QLineEdit).setText("2x3")
    find(window, "tensorInitCombo", QtWidgets.QComboBox).setCurrentText("full")
    find(window, "tensorValuesEdit", QtWidgets.QLineEdit).setText("3.5")
    find(window, "requiresGradCheck", QtWidgets.QCheckBox).setChecked(True)
    click(qtbot, window, "createTensorButton")
    assert window.workspace.current == "q"
    assert table_cells(window, "valuesTable") == [3.5] * 6
    assert table_cells(window, "gradTable") == []

    find(window, "statementEdit", QtWidgets.QLineEdit).setText("s = (q * q).sum()")
    click(qtbot, window, "runStatementButton")
    assert find(window, "gradFnLabel", QtWidgets.QLabel).text() == "SumBackward0"
    click(qtbot, window, "backwardButton")
    select(window, "q")
    q = torch.full((2, 3), 3.5, requires_grad=True)
    (q * q).sum().backward()
    assert table_cells(window, "gradTable") == q.grad.flatten().tolist()
    assert find(window, "messageLabel", QtWidgets.QLabel).text() == ""
