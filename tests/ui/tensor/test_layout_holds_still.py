"""The Tensor Lab holds still: selecting, echoes and messages never move the other panels, and a
narrow lab turns to two columns rather than scrolling sideways."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from playground.testing import click, find, select_tensor, settle, type_statement


def places(window) -> dict[str, QtCore.QRect]:
    """Where the panels a learner reads sit, in the lab's coordinates."""
    lab = window.tensor_lab
    out = {}
    for name in ("tensorInspector", "backwardButton", "tensorPlotTabs", "statementEdit",
                 "valuesTable"):
        widget = find(window, name)
        out[name] = QtCore.QRect(widget.mapTo(lab, QtCore.QPoint(0, 0)), widget.size())
    out["columns"] = window.findChild(QtWidgets.QSplitter, "tensorSplitter").sizes()
    return out


def opened(playground_window, qtbot, width=1126, height=633):
    window = playground_window()
    window.resize(width, height)
    settle(window, 6)
    return window


def test_selecting_zero_grads_and_messages_move_nothing(playground_window, qtbot):
    window = opened(playground_window, qtbot)
    type_statement(qtbot, window, "w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)")
    type_statement(qtbot, window, "loss = (w * w).sum()")
    type_statement(qtbot, window, "loss.backward()")
    settle(window, 6)
    before = places(window)
    select_tensor(qtbot, window, "w")
    settle(window, 4)
    assert places(window) == before, "selecting another tensor moved the panels"
    click(qtbot, window, "zeroGradButton")  # echoes the zeroed grad under the statement line
    settle(window, 4)
    assert places(window) == before, "Zero grads's echo moved the panels"
    type_statement(qtbot, window, "loss.backward()")  # torch's long error: graph freed
    settle(window, 4)
    message = find(window, "messageLabel")
    assert message.isVisible() and "backward through the graph a second time" in message.text()
    assert places(window) == before, "torch's message moved the panels"
    # The message is whole: inside its box, scrolled to if longer than the box.
    assert message.height() >= message.heightForWidth(message.width())
    box = window.findChild(QtWidgets.QScrollArea, "statementFeedbackScroll")
    assert box.horizontalScrollBar().maximum() == 0


def test_a_narrow_lab_takes_two_columns_and_keeps_the_graph(shown, qtbot):
    from playground.core.tensorlab.workspace import Workspace
    from playground.ui.tensor.lab import TensorLab

    workspace = Workspace()
    workspace.run("x = torch.tensor([1.0, 2.0], requires_grad=True)")
    lab = shown(TensorLab(workspace), 1200, 620)
    qtbot.waitUntil(lambda: not lab.compact)
    tabs = find(lab, "tensorPlotTabs")
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["Grad history", "Graph"]
    lab.resize(820, 560)  # what is left beside the Lessons dock on a 1280x720 screen
    qtbot.waitUntil(lambda: lab.compact)
    settle(lab, 4)
    titles = [tabs.tabText(i) for i in range(tabs.count())]
    assert titles == ["Grad history", "Graph", "Tensors", "Code"], titles
    scroll = lab.findChild(QtWidgets.QScrollArea, "tensorScroll")
    assert not scroll.horizontalScrollBar().isVisible()
    assert find(lab, "statementEdit").isVisible() and find(lab, "tensorInspector").isVisible()
    tabs.setCurrentIndex(titles.index("Tensors"))
    assert find(lab, "tensorList").isVisible()  # the list is one click away and still selects
    lab.resize(1200, 620)
    qtbot.waitUntil(lambda: not lab.compact)
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["Grad history", "Graph"]
    settle(lab, 4)
    assert find(lab, "codePanel").isVisible() and find(lab, "tensorList").isVisible()


def test_zoom_reaches_a_message_already_shown(playground_window, qtbot):
    window = opened(playground_window, qtbot)
    type_statement(qtbot, window, "nope(")
    message = find(window, "messageLabel")
    qtbot.waitUntil(message.isVisible)
    before = message.fontInfo().pixelSize()
    window.set_zoom(3)
    try:
        qtbot.waitUntil(lambda: message.fontInfo().pixelSize() > before)
        box = window.findChild(QtWidgets.QScrollArea, "statementFeedbackScroll")
        qtbot.waitUntil(lambda: box.height() >= 3 * message.fontMetrics().lineSpacing())
    finally:
        window.set_zoom(0)
