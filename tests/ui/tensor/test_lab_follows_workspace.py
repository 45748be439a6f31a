"""The Tensor Lab as a view of its model: what it copies, what it redraws, what it clears.

Also: grad history per tensor, stale output, the gradient field, the detach/no_grad hint, the
code panel's statement numbers, fitting a 1280x720 window.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
import torch
from PySide6 import QtCore, QtGui, QtWidgets

import playground.core.tensorlab.workspace as workspace_module
from playground.core.files.examples import SESSIONS_DIR
from playground.core.tensorlab.statements import DEFAULT_SESSION
from playground.core.tensorlab.workspace import Workspace
from playground.testing import click, find, select_tensor, table_cells, type_statement
from playground.ui.tensor.lab import TensorLab
from playground.ui.tensor.table_model import ArrayTableModel
from tests.oracles import first_randn, vector_backward


@pytest.fixture
def lab(qtbot):
    view = TensorLab(Workspace())
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    qtbot.waitExposed(view)
    return view


def run_all(qtbot, lab, *lines: str) -> None:
    for line in lines:
        type_statement(qtbot, lab, line)
        assert find(lab, "messageLabel").text() == "", (line, find(lab, "messageLabel").text())


# ----- the model's events: copy only the tensor on screen -------------------------------------


def test_selecting_a_row_copies_only_the_selected_tensor(qtbot, lab, monkeypatch):
    run_all(qtbot, lab, *DEFAULT_SESSION, "w.backward()")
    copied: list[tuple[int, ...]] = []  # every read of values, copied or viewed
    real = workspace_module.to_numpy

    def counting(tensor: torch.Tensor, copy: bool = True) -> np.ndarray:
        copied.append(tuple(tensor.shape))
        return real(tensor, copy)

    monkeypatch.setattr(workspace_module, "to_numpy", counting)
    select_tensor(qtbot, lab, "y")
    assert copied == [(3, 2)]  # y's values only (a result keeps no .grad)
    copied.clear()
    select_tensor(qtbot, lab, "x")
    assert copied == [(3, 2), (3, 2)]  # x's values and x.grad, nothing of y, z or w
    x = first_randn(3, 2, requires_grad=True)
    y = x + 10
    (y * y * y).mean().backward()
    assert table_cells(lab, "gradTable") == x.grad.reshape(-1).tolist()


def test_a_big_2d_tensor_never_asks_the_table_for_every_cell(qtbot, lab, monkeypatch):
    asked: list[int] = []
    real = ArrayTableModel.data

    def counting(self, index, role=QtCore.Qt.ItemDataRole.DisplayRole):
        asked.append(role)
        return real(self, index, role)

    monkeypatch.setattr(ArrayTableModel, "data", counting)
    type_statement(qtbot, lab, "a = torch.ones(300, 300)")
    table = find(lab, "valuesTable")
    qtbot.waitUntil(lambda: table.model().rowCount() == 300)
    table.viewport().repaint()
    table.scrollTo(table.model().index(299, 299))  # to the far corner, as a user would scroll
    table.viewport().repaint()
    # Only cells on screen are asked for (a few roles each), not all 90,000.
    assert 0 < len(asked) < 20_000
    assert table.model().index(299, 299).data() == "1.0"
    assert table.horizontalHeader().sectionResizeMode(0) != (
        QtWidgets.QHeaderView.ResizeMode.ResizeToContents)


# ----- grad history follows the tensor -------------------------------------------------------


def test_a_rebound_name_starts_a_new_grad_history_on_its_own_scale(qtbot, lab):
    run_all(qtbot, lab,
            "x = torch.randn(2, 4, requires_grad=True)", "y = (x * 6).sum()", "y.backward()",
            "x = torch.randn(2, 4, requires_grad=True)", "y = (x + 2).mean()", "y.backward()")
    select_tensor(qtbot, lab, "x")
    plot = find(lab, "gradHistoryPlot")
    curves = plot.curve_data()
    ys = np.concatenate([c[1] for c in curves])
    xs = np.concatenate([c[0] for c in curves])
    x = torch.randn(2, 4, requires_grad=True)
    (x + 2).mean().backward()
    assert set(ys[np.isfinite(ys)].tolist()) == set(x.grad.reshape(-1).tolist())  # 0.125 only
    assert xs.min() == lab.workspace.log.index("y.backward()", 4)  # the new x's first backward
    view_top = plot.getPlotItem().getViewBox().viewRange()[1][1]
    assert view_top < 1.0  # drawn on its own scale, not squashed under the old x's 6


# ----- the gradient field, the hint after a cut, statement numbers ---------------


def test_gradient_field_accepts_a_tensor_name(qtbot, lab):
    run_all(qtbot, lab, "x = torch.randn(2, 4, requires_grad=True)", "y = x + 2", "z = y * y",
            "w = torch.randn(2, 4)")
    select_tensor(qtbot, lab, "z")
    find(lab, "gradientEdit").setText("w")
    click(qtbot, lab, "backwardButton")
    assert find(lab, "messageLabel").text() == ""
    assert lab.workspace.log[-1] == "z.backward(w)"
    x, _w = vector_backward()
    select_tensor(qtbot, lab, "x")
    assert table_cells(lab, "gradTable") == x.grad.reshape(-1).tolist()


def test_gradient_field_names_an_unknown_tensor_in_the_message(qtbot, lab):
    run_all(qtbot, lab, "x = torch.randn(2, requires_grad=True)", "z = x * 2")
    log = lab.workspace.log
    find(lab, "gradientEdit").setText("v")
    click(qtbot, lab, "backwardButton")
    assert "no tensor named 'v'" in find(lab, "messageLabel").text()
    assert lab.workspace.log == log


@pytest.mark.parametrize("how", ["detach", "no_grad"])
def test_hint_after_detach_or_no_grad_does_not_say_tick_requires_grad(qtbot, lab, how):
    run_all(qtbot, lab, "x = torch.randn(2, 4, requires_grad=True)")
    if how == "detach":
        click(qtbot, lab, "detachButton")
    else:
        find(lab, "noGradCheck").setChecked(True)
        type_statement(qtbot, lab, "y = x + 1")
    assert lab.workspace.current == "y"
    assert find(lab, "gradFnLabel").text() == "None"
    hint = find(lab, "hintLabel").text()
    assert "tick requires_grad" not in hint
    assert how.replace("_", "") in hint.replace("_", "") and "grad_fn" in hint


def test_code_panel_numbers_match_grad_history_statement_numbers(qtbot, lab):
    find(lab, "noGradCheck").setChecked(False)
    run_all(qtbot, lab, *DEFAULT_SESSION, "w.backward()")
    find(lab, "noGradCheck").setChecked(True)
    run_all(qtbot, lab, "v = x * 2")
    find(lab, "noGradCheck").setChecked(False)
    run_all(qtbot, lab, "u = (x + 1).sum()", "u.backward()")
    view = find(lab, "codeView")
    lines = view.toPlainText().split("\n")
    labels = view.line_labels()
    assert len(labels) == len(lines)
    numbered = {int(label): line for label, line in zip(labels, lines, strict=True) if label}
    log = lab.workspace.log
    assert numbered == {i: entry.split("\n")[0] for i, entry in enumerate(log)}
    select_tensor(qtbot, lab, "x")
    steps = [r.step for r in lab.workspace.grad_history("x")]
    assert [numbered[s] for s in steps] == ["w.backward()", "u.backward()"]
    assert find(lab, "codeLineNumbers").isVisible()
    click(qtbot, lab, "copyCodeButton")
    copied = QtGui.QGuiApplication.clipboard().text()
    assert copied == "import torch\n\n" + "\n".join(log) + "\n"  # no numbers in the copy


# ----- no stale output after New, Open Example or Open ---------------------------


def show_output(qtbot, window) -> None:
    type_statement(qtbot, window, "w.grad_fn")
    output = find(window, "outputLabel")
    assert "MeanBackward0" in output.text() and output.isVisible()


def test_printed_output_is_cleared_by_new_open_example_and_open(qtbot, playground_window,
                                                                 tmp_path):
    window = playground_window()
    output = find(window, "outputLabel")
    show_output(qtbot, window)
    find(window, "actionNew", QtGui.QAction).trigger()
    assert output.text() == "" and not output.isVisible()
    window.restore_previous()
    show_output(qtbot, window)
    find(window, "actionExample_notebook_backward", QtGui.QAction).trigger()
    assert output.text() == "" and not output.isVisible()
    window.restore_previous()
    show_output(qtbot, window)
    assert window.open_session(SESSIONS_DIR / "notebook_vector_backward.json")
    assert output.text() == "" and not output.isVisible()
    assert find(window, "messageLabel").text() == ""


# ----- a 1280x720 window --------------------------------------------------------


def test_at_1280x720_a_2x4_tensor_fits_both_tables_and_every_panel_shows(qtbot,
                                                                        playground_window):
    window = playground_window()
    window.resize(1280, 720)
    lab = window.tensor_lab
    qtbot.waitUntil(lambda: window.width() == 1280 and window.height() == 720)
    window.new_session()
    run_all(qtbot, lab, "a = torch.randn(2, 4, requires_grad=True)", "b = (a * 3).sum()",
            "b.backward()")
    select_tensor(qtbot, lab, "a")
    a = first_randn(2, 4)
    assert table_cells(lab, "valuesTable") == a.reshape(-1).tolist()
    viewport = find(lab, "tensorScroll", QtWidgets.QScrollArea).viewport()

    def on_screen(name: str) -> bool:
        widget = find(lab, name)
        rect = QtCore.QRect(widget.mapTo(viewport, QtCore.QPoint(0, 0)), widget.size())
        return widget.isVisible() and viewport.rect().contains(rect)

    def whole_row(table: str) -> bool:
        view = find(lab, table)
        last = view.visualRect(view.model().index(1, 3))  # the row's last cell
        return (not view.horizontalScrollBar().isVisible()
                and view.viewport().rect().contains(last))

    names = ("gradHistoryPlot", "codeView", "backwardButton", "gradientEdit", "zeroGradButton",
             "gradNoneButton", "valuesTable", "gradTable")

    def settled() -> bool:
        return (whole_row("valuesTable") and whole_row("gradTable")
                and all(on_screen(n) for n in names))

    # Layout settles over a few event-loop turns after the resize: wait for it, then say which.
    with contextlib.suppress(qtbot.TimeoutError):
        qtbot.waitUntil(settled, timeout=3000)
    assert whole_row("valuesTable") and whole_row("gradTable")
    assert [n for n in names if not on_screen(n)] == []
    assert not find(lab, "tensorScroll", QtWidgets.QScrollArea).horizontalScrollBar().isVisible()
