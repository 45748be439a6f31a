"""Tensor Lab GUI tests: click the widgets by objectName and compare with plain torch."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref

import numpy as np
import pytest
import torch
from PySide6 import QtCore, QtGui, QtWidgets

from playground.core.export.tensorlab_script import to_script as tensorlab_to_script
from playground.core.tensorlab.workspace import Workspace
from playground.testing import click, find, select_tensor, table_cells, type_statement
from playground.ui.tensor.lab import TensorLab

LEFT = QtCore.Qt.MouseButton.LeftButton


@pytest.fixture
def lab(qtbot):
    ws = Workspace()
    view = TensorLab(ws)
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    qtbot.waitExposed(view)
    return view


w = find  # the shared helpers' spelling, kept short for the many lookups below


def create(qtbot, lab, name="x", shape="2, 4", init="randn", values="", dtype="float32", rg=True):
    w(lab, "tensorNameEdit").setText(name)
    w(lab, "tensorShapeEdit").setText(shape)
    w(lab, "tensorInitCombo").setCurrentText(init)
    w(lab, "tensorValuesEdit").setText(values)
    w(lab, "tensorDtypeCombo").setCurrentText(dtype)
    w(lab, "requiresGradCheck").setChecked(rg)
    click(qtbot, lab, "createTensorButton")


def select(qtbot, lab, name):
    """Click the tensor's row in the list, as a user would."""
    select_tensor(qtbot, lab, name)
    assert lab.workspace.current == name


def f32(values) -> list:
    """Compare as float32, the dtype both the table and torch hold."""
    return np.asarray(values, dtype=np.float32).reshape(-1).tolist()


cells = table_cells


def list_names(lab) -> list[str]:
    model = w(lab, "tensorList").model()
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def snapshot(lab) -> dict:
    """Every name with its values and grad, to check a refused statement changed nothing."""
    ws = lab.workspace
    out = {}
    for name in ws.names:
        facts = ws.facts(name)
        grad = None if facts.grad is None else facts.grad.copy()
        out[name] = (facts.values.copy(), grad, facts.requires_grad, facts.grad_fn)
    return out


def same_state(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    for name in a:
        (va, ga, ra, fa), (vb, gb, rb, fb) = a[name], b[name]
        if not np.array_equal(va, vb) or (ra, fa) != (rb, fb) or (ga is None) != (gb is None):
            return False
        if ga is not None and not np.array_equal(ga, gb):
            return False
    return True


def seeded_x(shape=(2, 4)):
    torch.manual_seed(0)
    return torch.randn(*shape, requires_grad=True)


# ----- creating and inspecting ---------------------------------------------------------------


def test_create_shows_values_list_row_and_grad_none(qtbot, lab):
    assert w(lab, "tensorNameEdit").text() == "a"  # first free name suggested
    create(qtbot, lab, "x")
    x = seeded_x()
    assert list_names(lab) == ["x"]
    assert w(lab, "tensorList").currentIndex().row() == 0
    assert f32(cells(lab, "valuesTable")) == f32(x.detach())  # exact
    assert w(lab, "gradTable").model().rowCount() == 0
    assert w(lab, "gradNoneLabel").isVisible()
    assert w(lab, "gradFnLabel").text() == "None"
    assert w(lab, "isLeafLabel").text() == "True"
    assert w(lab, "requiresGradLabel").text() == "True"
    assert w(lab, "dtypeLabel").text() == "float32"
    assert w(lab, "messageLabel").text() == ""
    assert w(lab, "tensorNameEdit").text() == "a"  # x taken: the next free letter


@pytest.mark.parametrize(
    ("shape", "init", "values", "expected"),
    [
        ("", "full", "3.5", lambda: torch.full((), 3.5)),
        ("5", "arange", "", lambda: torch.arange(5, dtype=torch.float32)),
        ("2x2x3", "rand", "", lambda: torch.rand(2, 2, 3)),
        ("(2, 3)", "ones", "", lambda: torch.ones(2, 3)),
        ("2", "values", "[10.0, 5.0]", lambda: torch.tensor([10.0, 5.0])),
    ],
)
def test_tables_read_row_by_row_as_the_flattened_tensor(qtbot, lab, shape, init, values, expected):
    create(qtbot, lab, "t", shape=shape, init=init, values=values, rg=False)
    assert w(lab, "messageLabel").text() == ""
    torch.manual_seed(0)
    want = expected()
    got = cells(lab, "valuesTable")
    assert f32(got) == f32(want)  # exact: str(numpy scalar) round-trips in float32
    model = w(lab, "valuesTable").model()
    assert model.columnCount() == (want.shape[-1] if want.dim() else 1)


def test_int_tensor_cells_are_plain_integers(qtbot, lab):
    create(qtbot, lab, "n", shape="3", init="arange", dtype="int64", rg=False)
    model = w(lab, "valuesTable").model()
    assert [model.index(0, c).data() for c in range(3)] == ["0", "1", "2"]


def test_bad_form_input_shows_red_message_and_creates_nothing(qtbot, lab):
    create(qtbot, lab, "x", shape="2, banana")
    assert lab.workspace.names == []
    assert w(lab, "messageLabel").text()
    assert "#c62828" in w(lab, "messageLabel").styleSheet()


# ----- the notebook's results ----------------------------------------------------------------


def test_mean_backward_fills_grad_with_0125(qtbot, lab):
    create(qtbot, lab, "x")
    type_statement(qtbot, lab, "z = (x + 2).mean()")
    assert lab.workspace.current == "z"
    assert w(lab, "gradFnLabel").text() == "MeanBackward0"
    click(qtbot, lab, "backwardButton")
    x = seeded_x()
    (x + 2).mean().backward()
    select(qtbot, lab, "x")
    assert cells(lab, "gradTable") == x.grad.reshape(-1).tolist()
    assert cells(lab, "gradTable") == [0.125] * 8
    assert not w(lab, "gradNoneLabel").isVisible()


def test_three_backwards_accumulate_then_zero_grads_drops_to_zero(qtbot, lab):
    create(qtbot, lab, "x")
    x = seeded_x()
    seen = []
    for _ in range(3):  # the notebook re-creates the scalar each time round the loop
        type_statement(qtbot, lab, "z = (x + 2).mean()")
        click(qtbot, lab, "backwardButton")
        (x + 2).mean().backward()
        seen.append(lab.workspace.facts("x").grad.copy())
        assert np.array_equal(seen[-1], x.grad.numpy())
    assert [float(g.flat[0]) for g in seen] == [0.125, 0.25, 0.375]

    select(qtbot, lab, "x")
    log_before = len(lab.workspace.log)
    click(qtbot, lab, "zeroGradButton")
    assert len(lab.workspace.log) == log_before + 1
    assert cells(lab, "gradTable") == [0.0] * 8
    assert w(lab, "gradTable").model().rowCount() == 2  # zeros, not None
    assert not w(lab, "gradNoneLabel").isVisible()

    plot = w(lab, "gradHistoryPlot")
    curves = plot.curve_data()
    assert len(curves) == 8  # one curve per element of a 2x4 leaf
    xs, ys = curves[0]
    levels = [v for i, v in enumerate(ys) if i == 0 or v != ys[i - 1]]
    assert levels == [0.125, 0.25, 0.375, 0.0]  # the staircase, then the drop
    assert np.all(np.diff(xs) >= 0)


def test_retain_graph_lets_backward_run_three_times(qtbot, lab):
    create(qtbot, lab, "x")
    type_statement(qtbot, lab, "z = (x + 2).mean()")
    w(lab, "retainGraphCheck").setChecked(True)
    for _ in range(3):
        click(qtbot, lab, "backwardButton")
        assert w(lab, "messageLabel").text() == ""
    assert "retain_graph=True" in w(lab, "codeView").toPlainText()
    assert lab.workspace.facts("x").grad.reshape(-1).tolist() == [0.375] * 8


def test_ctrl_b_runs_backward(qtbot, lab):
    create(qtbot, lab, "x")
    type_statement(qtbot, lab, "z = x.sum()")
    lab.activateWindow()
    assert w(lab, "backwardButton").shortcut() == QtGui.QKeySequence("Ctrl+B")
    ctrl = QtCore.Qt.KeyboardModifier.ControlModifier
    qtbot.keyClick(w(lab, "statementEdit"), QtCore.Qt.Key.Key_B, ctrl)
    qtbot.waitUntil(lambda: lab.workspace.facts("x").grad is not None)
    assert lab.workspace.facts("x").grad.reshape(-1).tolist() == [1.0] * 8


def test_vector_backward_with_literal_gradient_is_2_y_v(qtbot, lab):
    create(qtbot, lab, "x")
    type_statement(qtbot, lab, "y = x + 2")
    type_statement(qtbot, lab, "z = y * y")
    v_values = [[1.0, -2.0, 0.5, 3.0], [0.25, 4.0, -1.5, 2.0]]
    w(lab, "gradientEdit").setText(str(v_values))
    click(qtbot, lab, "backwardButton")
    assert w(lab, "messageLabel").text() == ""
    x = seeded_x()
    v = torch.tensor(v_values)
    expected = (2 * (x + 2) * v).detach()
    select(qtbot, lab, "x")
    assert cells(lab, "gradTable") == pytest.approx(expected.reshape(-1).tolist(), rel=1e-6)


def test_return_in_the_form_creates_and_in_the_gradient_field_runs_backward(qtbot, lab):
    w(lab, "tensorInitCombo").setCurrentText("values")
    w(lab, "tensorValuesEdit").setText("[1.5, -2.0, 4.0]")
    w(lab, "tensorShapeEdit").clear()
    name = w(lab, "tensorNameEdit")
    name.clear()
    qtbot.keyClicks(name, "q")
    qtbot.keyClick(name, QtCore.Qt.Key.Key_Return)
    assert list_names(lab) == ["q"]
    assert cells(lab, "valuesTable") == [1.5, -2.0, 4.0]
    type_statement(qtbot, lab, "p = q * q")
    grad = w(lab, "gradientEdit")
    qtbot.keyClicks(grad, "[1.0, 0.5, 0.25]")
    qtbot.keyClick(grad, QtCore.Qt.Key.Key_Return)
    q = torch.tensor([1.5, -2.0, 4.0], requires_grad=True)
    (q * q).backward(torch.tensor([1.0, 0.5, 0.25]))
    select(qtbot, lab, "q")
    assert cells(lab, "gradTable") == q.grad.tolist()


def test_vector_backward_with_ones_gradient(qtbot, lab):
    create(qtbot, lab, "x")
    type_statement(qtbot, lab, "z = (x + 2) * (x + 2)")
    w(lab, "gradientEdit").setText("ones")
    click(qtbot, lab, "backwardButton")
    x = seeded_x()
    expected = (2 * (x + 2)).detach()
    assert np.allclose(lab.workspace.facts("x").grad, expected.numpy())


def test_notebook_chain_grad_fn_names_through_quick_ops(qtbot, lab):
    create(qtbot, lab, "x", shape="3, 2")
    w(lab, "opArgEdit").setText("10")
    click(qtbot, lab, "addButton")
    assert lab.workspace.current == "y"
    assert w(lab, "gradFnLabel").text() == "AddBackward0"
    type_statement(qtbot, lab, "z = y * y * y")
    assert w(lab, "gradFnLabel").text() == "MulBackward0"
    click(qtbot, lab, "meanButton")
    assert lab.workspace.current == "a"  # next free letter after z
    assert w(lab, "gradFnLabel").text() == "MeanBackward0"
    x = seeded_x((3, 2))
    wv = ((x + 10) * (x + 10) * (x + 10)).mean()
    assert cells(lab, "valuesTable") == pytest.approx([wv.item()], rel=1e-6)
    code = w(lab, "codeView").toPlainText()
    assert "y = x + 10" in code and "a = z.mean()" in code
    assert code.startswith("import torch")


def test_quick_ops_mul_pow_sum_match_torch(qtbot, lab):
    create(qtbot, lab, "x")
    x = seeded_x().detach()
    w(lab, "opArgEdit").setText("3")
    click(qtbot, lab, "mulButton")
    assert cells(lab, "valuesTable") == pytest.approx((x * 3).reshape(-1).tolist())
    select(qtbot, lab, "x")
    click(qtbot, lab, "powButton")
    assert w(lab, "gradFnLabel").text() == "PowBackward0"
    assert cells(lab, "valuesTable") == pytest.approx((x**3).reshape(-1).tolist(), rel=1e-6)
    click(qtbot, lab, "sumButton")
    assert w(lab, "gradFnLabel").text() == "SumBackward0"
    assert cells(lab, "valuesTable") == pytest.approx([(x**3).sum().item()], rel=1e-5)


def test_detach_and_no_grad_results_have_no_grad_fn(qtbot, lab):
    create(qtbot, lab, "x")
    click(qtbot, lab, "detachButton")
    assert lab.workspace.current == "y"
    assert w(lab, "gradFnLabel").text() == "None"
    assert w(lab, "requiresGradLabel").text() == "False"
    assert f32(cells(lab, "valuesTable")) == f32(seeded_x().detach())

    w(lab, "noGradCheck").setChecked(True)
    type_statement(qtbot, lab, "z = x + 1")
    assert w(lab, "gradFnLabel").text() == "None"
    assert w(lab, "requiresGradLabel").text() == "False"
    assert lab.workspace.log[-1].startswith("with torch.no_grad():")
    assert lab.workspace.log[-1] in w(lab, "codeView").toPlainText()
    w(lab, "noGradCheck").setChecked(False)
    type_statement(qtbot, lab, "u = x + 1")
    assert w(lab, "gradFnLabel").text() == "AddBackward0"


# ----- requires_grad toggle, grads buttons -----------------------------------------------------


def test_requires_grad_toggle_on_a_leaf_runs_requires_grad_(qtbot, lab):
    create(qtbot, lab, "x", rg=False)
    check = w(lab, "currentRequiresGradCheck")
    assert not check.isChecked()
    qtbot.mouseClick(check, LEFT, pos=QtCore.QPoint(8, check.height() // 2))
    assert lab.workspace.facts("x").requires_grad
    assert w(lab, "requiresGradLabel").text() == "True"
    assert "x.requires_grad_(True)" in w(lab, "codeView").toPlainText()


def test_zero_grads_and_grads_to_none_are_one_log_entry_each(qtbot, lab):
    create(qtbot, lab, "x")
    create(qtbot, lab, "b", shape="2, 4", init="ones")
    type_statement(qtbot, lab, "z = (x * b).sum()")
    assert not w(lab, "zeroGradButton").isEnabled()  # nothing to zero yet
    click(qtbot, lab, "backwardButton")
    n = len(lab.workspace.log)
    click(qtbot, lab, "zeroGradButton")
    assert len(lab.workspace.log) == n + 1
    assert "x.grad.zero_()" in lab.workspace.log[-1] and "b.grad.zero_()" in lab.workspace.log[-1]
    assert np.array_equal(lab.workspace.facts("b").grad, np.zeros((2, 4), np.float32))
    click(qtbot, lab, "gradNoneButton")
    assert len(lab.workspace.log) == n + 2
    assert "x.grad = None" in lab.workspace.log[-1] and "b.grad = None" in lab.workspace.log[-1]
    select(qtbot, lab, "b")
    assert w(lab, "gradTable").model().rowCount() == 0
    assert w(lab, "gradNoneLabel").isVisible()
    assert not w(lab, "zeroGradButton").isEnabled()


# ----- pitfalls: torch's text shown, state intact, lab still usable ---------------------------


def _pitfall_scalar_only(qtbot, lab):
    create(qtbot, lab, "x")
    type_statement(qtbot, lab, "y = x * 2")
    return lambda: click(qtbot, lab, "backwardButton")


def _pitfall_backward_twice(qtbot, lab):
    create(qtbot, lab, "x")
    type_statement(qtbot, lab, "z = (x * x).mean()")  # MulBackward0 saves x: freed after one pass
    click(qtbot, lab, "backwardButton")
    return lambda: click(qtbot, lab, "backwardButton")


def _pitfall_no_grad_fn(qtbot, lab):
    create(qtbot, lab, "x", rg=False)
    type_statement(qtbot, lab, "z = x.mean()")
    return lambda: click(qtbot, lab, "backwardButton")


def _pitfall_in_place_on_leaf(qtbot, lab):
    create(qtbot, lab, "x")
    return lambda: type_statement(qtbot, lab, "x += 1")


def _pitfall_int_requires_grad(qtbot, lab):
    create(qtbot, lab, "x")
    return lambda: create(qtbot, lab, "n", shape="3", init="arange", dtype="int64", rg=True)


def _pitfall_int_toggle(qtbot, lab):
    create(qtbot, lab, "n", shape="3", init="arange", dtype="int64", rg=False)
    return lambda: click(qtbot, lab, "currentRequiresGradCheck")


def _pitfall_requires_grad_non_leaf(qtbot, lab):
    create(qtbot, lab, "x")
    type_statement(qtbot, lab, "y = x + 2")
    return lambda: click(qtbot, lab, "currentRequiresGradCheck")


def _pitfall_gradient_shape(qtbot, lab):
    create(qtbot, lab, "x")
    type_statement(qtbot, lab, "y = x * 2")
    w(lab, "gradientEdit").setText("[1.0, 2.0]")
    return lambda: click(qtbot, lab, "backwardButton")


PITFALLS = [
    (_pitfall_scalar_only, "grad can be implicitly created only for scalar outputs"),
    (_pitfall_backward_twice, "Trying to backward through the graph a second time"),
    (_pitfall_no_grad_fn, "does not require grad and does not have a grad_fn"),
    (_pitfall_in_place_on_leaf, "a leaf Variable that requires grad is being used in an in-place"),
    (_pitfall_int_requires_grad, "Tensors of floating point"),
    (_pitfall_int_toggle, "Tensors of floating point"),
    (_pitfall_requires_grad_non_leaf, "you can only change requires_grad flags of leaf variables"),
    (_pitfall_gradient_shape, "Mismatch in shape"),
]


@pytest.mark.parametrize(
    ("setup", "torch_text"), PITFALLS, ids=lambda p: getattr(p, "__name__", "")
)
def test_pitfall_shows_torch_text_and_changes_nothing(qtbot, lab, setup, torch_text):
    act = setup(qtbot, lab)
    before, log_before, current = snapshot(lab), list(lab.workspace.log), lab.workspace.current
    check_before = w(lab, "currentRequiresGradCheck").isChecked()
    act()
    message = w(lab, "messageLabel")
    assert torch_text in message.text()
    assert len(message.text()) > len(torch_text) + 10  # the explanation comes along
    assert "#c62828" in message.styleSheet()  # red: an error
    assert same_state(before, snapshot(lab))
    assert lab.workspace.log == log_before
    assert lab.workspace.current == current
    assert w(lab, "currentRequiresGradCheck").isChecked() == check_before  # reverted if clicked
    type_statement(qtbot, lab, "ok = torch.ones(2) * 3")  # still usable
    assert message.text() == ""
    assert lab.workspace.current == "ok"
    assert cells(lab, "valuesTable") == [3.0, 3.0]


def test_non_leaf_grad_read_is_an_amber_warning_that_changes_nothing(qtbot, lab):
    create(qtbot, lab, "x")
    type_statement(qtbot, lab, "y = x + 2")
    before = snapshot(lab)
    type_statement(qtbot, lab, "y.grad")
    message = w(lab, "messageLabel")
    assert "is not a leaf Tensor is being accessed" in message.text()
    assert "#9a5b00" in message.styleSheet()  # amber: a warning
    assert same_state(before, snapshot(lab))
    lab.set_dark(True)
    assert "#ffb74d" in message.styleSheet()  # the dark theme's amber


def test_expression_output_is_shown_then_cleared(qtbot, lab):
    create(qtbot, lab, "x")
    type_statement(qtbot, lab, "y = x + 2")
    type_statement(qtbot, lab, "y.grad_fn")
    assert "AddBackward0" in w(lab, "outputLabel").text()
    type_statement(qtbot, lab, "z = y.sum()")
    assert w(lab, "outputLabel").text() == ""


# ----- statement line ---------------------------------------------------------------------------


def test_statement_line_clears_on_success_keeps_on_failure(qtbot, lab):
    create(qtbot, lab, "x")
    edit = w(lab, "statementEdit")
    type_statement(qtbot, lab, "y = x +")
    assert edit.text() == "y = x +"
    assert w(lab, "messageLabel").text()
    edit.setText("y = x * 5")
    click(qtbot, lab, "runStatementButton")
    assert edit.text() == ""
    assert lab.workspace.current == "y"


def test_up_down_walk_the_typed_history(qtbot, lab):
    create(qtbot, lab, "x")
    for line in ("y = x + 1", "z = y * 2", "w = z.sum()"):
        type_statement(qtbot, lab, line)
    edit = w(lab, "statementEdit")
    qtbot.keyClicks(edit, "draft")
    up, down = QtCore.Qt.Key.Key_Up, QtCore.Qt.Key.Key_Down
    qtbot.keyClick(edit, up)
    assert edit.text() == "w = z.sum()"
    qtbot.keyClick(edit, up)
    qtbot.keyClick(edit, up)
    assert edit.text() == "y = x + 1"
    qtbot.keyClick(edit, up)  # stays at the oldest
    assert edit.text() == "y = x + 1"
    qtbot.keyClick(edit, down)
    assert edit.text() == "z = y * 2"
    qtbot.keyClick(edit, down)
    qtbot.keyClick(edit, down)
    assert edit.text() == "draft"  # back to what was being typed


# ----- list, hint, code panel --------------------------------------------------------------------


def test_clicking_a_list_row_makes_it_current(qtbot, lab):
    create(qtbot, lab, "x")
    type_statement(qtbot, lab, "y = x + 2")
    select(qtbot, lab, "x")
    assert w(lab, "gradFnLabel").text() == "None"
    assert w(lab, "tensorList").currentIndex().row() == 0
    lab.workspace.current = "y"  # the model drives the view too
    assert w(lab, "tensorList").currentIndex().row() == 1
    assert w(lab, "gradFnLabel").text() == "AddBackward0"


def test_hint_follows_the_state(qtbot, lab):
    hint = w(lab, "hintLabel")
    assert "Create" in hint.text()
    create(qtbot, lab, "x", shape="3, 2")
    type_statement(qtbot, lab, "y = x + 10")
    assert "not a scalar" in hint.text()
    type_statement(qtbot, lab, "w = (y * y * y).mean()")
    assert hint.text() == "w is a scalar built from x: press Backward (Ctrl+B) to fill x.grad."
    click(qtbot, lab, "backwardButton")
    # the cube saved its inputs, so the backward freed them: the hint says both facts
    assert hint.text().startswith("x.grad holds a gradient. The last backward freed w's graph")


def test_copy_code_puts_the_log_on_the_clipboard(qtbot, lab):
    create(qtbot, lab, "x")
    click(qtbot, lab, "copyCodeButton")
    text = QtGui.QGuiApplication.clipboard().text()
    assert text == w(lab, "codeView").toPlainText()
    assert "x = torch.randn(2, 4" in text
    assert w(lab, "codeView").isReadOnly()


def test_saved_script_runs_and_prints_the_windows_grad(qtbot, lab, tmp_path, monkeypatch):
    create(qtbot, lab, "x")
    type_statement(qtbot, lab, "z = (x + 2).mean()")
    click(qtbot, lab, "backwardButton")
    path = tmp_path / "session.py"
    monkeypatch.setattr(
        QtWidgets.QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(path), ""))
    )
    click(qtbot, lab, "saveCodeButton")
    assert path.read_text(encoding="utf-8") == tensorlab_to_script(lab.workspace)
    done = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "0.1250" in done.stdout


def test_set_dark_restyles_the_plot(qtbot, lab):
    plot = w(lab, "gradHistoryPlot")
    lab.set_dark(True)
    assert plot.backgroundBrush().color().lightness() < 80
    lab.set_dark(False)
    assert plot.backgroundBrush().color().lightness() > 200


def test_view_survives_when_the_workspace_outlives_it(qtbot):
    ws = Workspace()
    view = TensorLab(ws)
    gone = weakref.ref(view)
    view.deleteLater()
    del view  # nothing else keeps the view: the workspace's events hold it weakly
    qtbot.waitUntil(lambda: gc.collect() >= 0 and gone() is None)
    assert ws.run("x = torch.ones(2)").ok  # the dead view's callback must not raise

