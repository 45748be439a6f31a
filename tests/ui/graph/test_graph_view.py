"""Graph view GUI tests through the automation contract: graphView's node items (data(0) kind,
data(1) label, data(3) highlight, data(4) freed), stepBackwardButton, playBackwardButton and
graphStepLabel, compared with plain torch computed here."""

from __future__ import annotations

import gc
import weakref

import pytest
import shiboken6
import torch
from PySide6 import QtCore, QtWidgets

from playground.core.tensorlab.workspace import Workspace
from playground.testing import find
from playground.ui.graph import GraphPanel

LEFT = QtCore.Qt.MouseButton.LeftButton
CHAIN = ["x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)", "y = x + 10",
         "z = y * y * y", "w = z.mean()"]


@pytest.fixture
def make_panel(qtbot):
    def make(lines):
        ws = Workspace()
        for line in lines:
            assert ws.run(line).ok, line
        panel = GraphPanel(ws)
        qtbot.addWidget(panel)
        panel.resize(900, 500)
        panel.show()
        qtbot.waitExposed(panel)
        return ws, panel
    return make



def nodes(panel, kind=None, label=None):
    view = find(panel, "graphView", QtWidgets.QGraphicsView)
    found = [i for i in view.scene().items() if i.data(0) in ("tensor", "function", "saved")]
    return [i for i in found if (kind is None or i.data(0) == kind)
            and (label is None or i.data(1) == label)]


def click_node(qtbot, panel, item):
    view = find(panel, "graphView", QtWidgets.QGraphicsView)
    view.centerOn(item)
    pos = view.mapFromScene(item.sceneBoundingRect().center())
    qtbot.mouseClick(view.viewport(), LEFT, pos=pos)


def plain_chain():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x + 10
    z = y * y * y
    return x, z.mean()


def test_nodes_carry_torch_class_names_and_workspace_names(make_panel):
    _, panel = make_panel(CHAIN)
    _, w = plain_chain()
    expected, stack = [], [w.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is not None and fn not in expected:
            expected.append(fn)
            stack.extend(n for n, _ in fn.next_functions)
    assert sorted(i.data(1) for i in nodes(panel, "function")) == sorted(
        type(f).__name__ for f in expected)
    assert {i.data(1) for i in nodes(panel, "tensor")} == {"x", "y", "z", "w"}


def test_clicking_a_tensor_node_makes_it_current(qtbot, make_panel):
    ws, panel = make_panel(CHAIN)
    assert ws.current == "w"
    (x_item,) = nodes(panel, "tensor", "x")
    click_node(qtbot, panel, x_item)
    assert ws.current == "x"
    # The graph keeps showing w's backward graph, with x marked current.
    (x_item,) = nodes(panel, "tensor", "x")
    assert x_item.data(3) == "current"
    assert nodes(panel, "function", "MeanBackward0")


def test_saved_tensors_are_marked_freed_after_a_backward(qtbot, make_panel):
    ws, panel = make_panel(CHAIN)
    find(panel, "showSavedCheck", QtWidgets.QCheckBox).setChecked(True)
    saved = nodes(panel, "saved")
    assert {i.data(1) for i in saved} == {"self", "other"}
    assert not any(i.data(4) for i in saved)
    assert ws.run("w.backward()").ok  # as the Backward button would
    with pytest.raises(RuntimeError):
        _ = ws.tensor("z").grad_fn._saved_self  # torch agrees: released
    saved = nodes(panel, "saved")
    assert saved and all(i.data(4) for i in saved)
    assert all(i.data(4) for i in nodes(panel, "function", "MulBackward0"))


def test_stepping_walks_torch_order_and_grows_the_leaf_grad(qtbot, make_panel):
    ws, panel = make_panel([*CHAIN, "w.backward(retain_graph=True)"])
    x, w = plain_chain()
    order = []
    fns, stack = [], [w.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is not None and fn not in fns:
            fns.append(fn)
            stack.extend(n for n, _ in fn.next_functions)

    def hook(name):
        return lambda _grads: order.append(name)

    handles = [f.register_prehook(hook(type(f).__name__)) for f in fns]
    w.backward(retain_graph=True)
    first = x.grad.clone()
    w.backward()
    for h in handles:
        h.remove()
    order = order[: len(order) // 2]

    step = find(panel, "stepBackwardButton", QtWidgets.QPushButton)
    label = find(panel, "graphStepLabel", QtWidgets.QLabel)
    log_length = len(ws.log)
    seen = []
    for _ in order:
        assert step.isEnabled()
        qtbot.mouseClick(step, LEFT)
        (highlighted,) = [i for i in nodes(panel, "function") if i.data(3) == "step"]
        seen.append(highlighted.data(1))
        assert highlighted.data(1) in label.text()
    assert seen == order
    assert ws.log[-1] == "w.backward()" and len(ws.log) == log_length + 1  # one real backward
    assert torch.equal(ws.tensor("x").grad, x.grad)
    assert "x.grad:" in label.text()
    assert f"{first[0].item():.4g}" in label.text() and f"{x.grad[0].item():.4g}" in label.text()
    (x_item,) = nodes(panel, "tensor", "x")
    assert x_item.data(3) == "step"


def test_play_runs_the_remaining_steps(qtbot, make_panel):
    ws, panel = make_panel(CHAIN)
    find(panel, "graphSpeedSpin", QtWidgets.QDoubleSpinBox).setValue(20.0)
    play = find(panel, "playBackwardButton", QtWidgets.QPushButton)
    qtbot.mouseClick(play, LEFT)
    qtbot.waitUntil(lambda: panel.player is not None and panel.player.done, timeout=5000)
    x, w = plain_chain()
    w.backward()
    assert torch.equal(ws.tensor("x").grad, x.grad)
    assert find(panel, "rewindBackwardButton", QtWidgets.QPushButton).isEnabled()


def test_inplace_error_highlights_the_node_and_names_the_statement(qtbot, make_panel):
    ws, panel = make_panel(["a = torch.ones(3, requires_grad=True)", "b = a.exp()", "b += 1",
                            "c = b.sum()"])
    log = ws.log
    qtbot.mouseClick(find(panel, "stepBackwardButton", QtWidgets.QPushButton), LEFT)
    assert ws.log == log  # the failed backward changed nothing
    (bad,) = [i for i in nodes(panel) if i.data(3) == "error"]
    assert bad.data(0) == "function" and bad.data(1) == "ExpBackward0"
    label = find(panel, "graphStepLabel", QtWidgets.QLabel).text()
    assert "b += 1" in label and "inplace" in label


def test_backward_twice_highlights_the_freed_node(qtbot, make_panel):
    _, panel = make_panel([*CHAIN, "w.backward()"])
    qtbot.mouseClick(find(panel, "stepBackwardButton", QtWidgets.QPushButton), LEFT)
    (bad,) = [i for i in nodes(panel) if i.data(3) == "error"]
    assert bad.data(1) == "MulBackward0" and bad.data(4)


def test_step_is_disabled_without_a_graph(make_panel):
    _, panel = make_panel(["a = torch.ones(3)"])
    assert not find(panel, "stepBackwardButton", QtWidgets.QPushButton).isEnabled()
    assert not find(panel, "playBackwardButton", QtWidgets.QPushButton).isEnabled()


def test_a_failed_backward_from_elsewhere_points_at_the_root(qtbot, make_panel):
    ws, panel = make_panel(CHAIN[:2])
    result = ws.run("y.backward()")  # what the Backward button sends for a vector y
    assert not result.ok
    panel.show_failure(result)
    (bad,) = [i for i in nodes(panel) if i.data(3) == "error"]
    assert (bad.data(0), bad.data(1)) == ("tensor", "y")
    assert "scalar" in find(panel, "graphStepLabel", QtWidgets.QLabel).text()


def test_hovering_a_function_node_lists_its_saved_tensors(make_panel):
    ws, panel = make_panel(CHAIN)
    muls = nodes(panel, "function", "MulBackward0")
    z_fn = ws.tensor("z").grad_fn  # z = (y * y) * y saves self = y * y and other = y
    for item in muls:
        tip = item.toolTip()
        assert "_saved_self (tensor)" in tip and "_saved_other (tensor)" in tip
    tips = " ".join(i.toolTip() for i in muls)
    assert f"{z_fn._saved_self[0].item():.4g}" in tips
    (mean,) = nodes(panel, "function", "MeanBackward0")
    assert "_saved_self_sym_sizes (attribute): (3,)" in mean.toolTip()


def test_zoom_buttons_and_fit_change_the_scale(qtbot, make_panel):
    _, panel = make_panel(CHAIN)
    view = find(panel, "graphView", QtWidgets.QGraphicsView)
    before = view.transform().m11()
    qtbot.mouseClick(find(panel, "graphZoomInButton", QtWidgets.QPushButton), LEFT)
    assert view.transform().m11() == pytest.approx(before * 1.25)
    qtbot.mouseClick(find(panel, "graphZoomOutButton", QtWidgets.QPushButton), LEFT)
    qtbot.mouseClick(find(panel, "graphZoomOutButton", QtWidgets.QPushButton), LEFT)
    assert view.transform().m11() == pytest.approx(before * 0.8)
    qtbot.mouseClick(find(panel, "graphFitButton", QtWidgets.QPushButton), LEFT)
    scene = view.mapFromScene(view.sceneRect()).boundingRect()
    assert view.viewport().rect().adjusted(-2, -2, 2, 2).contains(scene) or \
        view.transform().m11() == pytest.approx(1.0)


def test_back_to_start_shows_the_leaf_grad_from_before(qtbot, make_panel):
    ws, panel = make_panel(CHAIN)
    step = find(panel, "stepBackwardButton", QtWidgets.QPushButton)
    for _ in range(5):
        qtbot.mouseClick(step, LEFT)
    assert panel.player.done
    (x_item,) = nodes(panel, "tensor", "x")
    assert x_item.data(3) == "step"
    rewind = find(panel, "rewindBackwardButton", QtWidgets.QPushButton)
    qtbot.mouseClick(rewind, LEFT)
    assert not rewind.isEnabled() and panel.player.position == 0
    assert not [i for i in nodes(panel) if i.data(3) in ("step", "visited")]
    assert ws.tensor("x").grad is not None  # the real backward ran; only the replay went back
    assert find(panel, "stepBackwardButton", QtWidgets.QPushButton).isEnabled()


def test_graph_window_follows_the_workspace_and_lets_go_when_closed(qtbot, make_panel):
    ws, panel = make_panel(CHAIN)
    qtbot.mouseClick(find(panel, "graphWindowButton", QtWidgets.QPushButton), LEFT)
    window = panel.window().findChild(QtWidgets.QWidget, "graphWindow")
    assert window is not None and window.isVisible()
    qtbot.waitExposed(window)
    assert ws.run("v = w * 2").ok
    assert {i.data(1) for i in nodes(window, "tensor")} >= {"v", "w", "x"}
    window.close()
    qtbot.waitUntil(lambda: not shiboken6.isValid(window))  # deleted on close
    assert ws.run("u = v + 1").ok  # a deleted panel still connected would raise here
    assert {i.data(1) for i in nodes(panel, "tensor")} >= {"u", "v"}


# ----- in the main window ------------------------------------------------------------------------


def show_graph_tab(window):
    tabs = window.findChild(QtWidgets.QTabWidget, "tensorPlotTabs")
    panel = window.findChild(QtWidgets.QWidget, "graphPanel")
    assert tabs is not None and panel is not None
    tabs.setCurrentWidget(panel)
    return panel


def test_graph_tab_is_on_screen_with_the_statement_line_at_1280x720(qtbot, playground_window):
    window = playground_window()
    window.resize(1280, 720)
    panel = show_graph_tab(window)
    view = window.findChild(QtWidgets.QGraphicsView, "graphView")
    statement = window.findChild(QtWidgets.QLineEdit, "statementEdit")
    qtbot.waitUntil(lambda: view.isVisible() and statement.isVisible())
    frame = window.rect()
    for widget in (view, statement, find(panel, "stepBackwardButton")):
        top_left = widget.mapTo(window, QtCore.QPoint(0, 0))
        assert frame.contains(top_left) and not widget.visibleRegion().isEmpty(), widget
    assert view.height() >= 100


def test_clicking_a_node_selects_the_tensor_in_the_lab(qtbot, playground_window):
    window = playground_window()
    window.resize(1280, 720)
    panel = show_graph_tab(window)
    qtbot.waitUntil(lambda: bool(nodes(panel, "tensor", "x")))
    (x_item,) = nodes(panel, "tensor", "x")
    click_node(qtbot, panel, x_item)
    tensor_list = window.findChild(QtWidgets.QAbstractItemView, "tensorList")
    qtbot.waitUntil(lambda: tensor_list.currentIndex().data().startswith("x"))
    assert window.findChild(QtWidgets.QLabel, "gradFnLabel").text() == "None"


def test_step_backward_is_one_logged_statement_that_undo_takes_back(qtbot, playground_window):
    window = playground_window()
    panel = show_graph_tab(window)
    ws = window.workspace
    step = find(panel, "stepBackwardButton", QtWidgets.QPushButton)
    qtbot.mouseClick(step, LEFT)
    assert ws.log[-1] == "w.backward()"
    code = window.findChild(QtWidgets.QPlainTextEdit, "codeView").toPlainText()
    assert "w.backward()" in code
    x = ws.tensor("x").detach().clone().requires_grad_()
    ((x + 10) ** 3).mean().backward()  # the default session's chain, in plain torch
    assert torch.allclose(ws.tensor("x").grad, x.grad)
    window.undo()
    assert ws.tensor("x").grad is None
    assert panel.player is None  # the recording no longer matches the workspace


def test_failed_step_shows_torchs_text_in_the_lab(qtbot, playground_window):
    window = playground_window()
    panel = show_graph_tab(window)
    run = window.tensor_lab.run_source
    for line in ["a = torch.ones(3, requires_grad=True)", "b = a.exp()", "b += 1", "c = b.sum()"]:
        assert run(line).ok
    qtbot.mouseClick(find(panel, "stepBackwardButton", QtWidgets.QPushButton), LEFT)
    message = window.findChild(QtWidgets.QLabel, "messageLabel").text()
    assert "modified by an inplace operation" in message
    (bad,) = [i for i in nodes(panel) if i.data(3) == "error"]
    assert bad.data(1) == "ExpBackward0"


def test_loss_graph_button_shows_w_and_b_with_their_grads(qtbot, playground_window):
    window = playground_window()
    window.tabs.setCurrentIndex(1)
    button = window.findChild(QtWidgets.QPushButton, "lossGraphButton")
    assert button is not None
    qtbot.mouseClick(button, LEFT)
    dialog = window.findChild(QtWidgets.QDialog, "lossGraphDialog")
    assert dialog is not None and dialog.isVisible()
    view = dialog.findChild(QtWidgets.QGraphicsView, "lossGraphView")
    labels = {(i.data(0), i.data(1)) for i in view.scene().items() if i.data(0)}
    assert {("tensor", "w"), ("tensor", "b"), ("function", "MulBackward0"),
            ("function", "AddBackward0"), ("function", "MseLossBackward0")} <= labels
    w_label = window.findChild(QtWidgets.QLabel, "wGradLabel").text()
    (w_item,) = [i for i in view.scene().items() if i.data(0) == "tensor" and i.data(1) == "w"]
    assert f"{float(w_label):.4g}" in w_item.toolTip()


def test_a_deleted_panel_lets_go_of_the_workspace(qtbot):
    ws = Workspace()
    panel = GraphPanel(ws)
    gone = weakref.ref(panel)
    panel.deleteLater()
    del panel  # nothing else keeps the view: the workspace's events hold it weakly
    qtbot.waitUntil(lambda: gc.collect() >= 0 and gone() is None)
    assert ws.run("x = torch.ones(2, requires_grad=True)").ok  # must not raise
    assert ws.run("y = x * 2").ok
