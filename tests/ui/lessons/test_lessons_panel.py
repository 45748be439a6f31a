"""The Lessons panel driven by objectName: pick a lesson, Run step, answer, Next/Prev; the Tensor
and Training Labs show what torch computed; progress comes back in a new window."""

from __future__ import annotations

import contextlib
import json

import pytest
import torch
from PySide6 import QtCore, QtWidgets

from playground.testing import click, find, table_cells
from tests.oracles import first_randn

LEFT = QtCore.Qt.MouseButton.LeftButton


@pytest.fixture
def settings_file(tmp_path):
    return str(tmp_path / "lessons.ini")


def _settings(path: str) -> QtCore.QSettings:
    return QtCore.QSettings(path, QtCore.QSettings.Format.IniFormat)


def open_lessons(qtbot, window) -> QtWidgets.QDockWidget:
    """Click the Lessons button beside the lab tabs, as a learner would."""
    dock = find(window, "lessonsDock", QtWidgets.QDockWidget)
    if not dock.isVisible():
        click(qtbot, window, "lessonsToggleButton")
    qtbot.waitUntil(dock.isVisible)
    return dock


def pick_lesson(qtbot, window, title: str) -> None:
    view = find(window, "lessonList", QtWidgets.QAbstractItemView)
    model = view.model()
    rows = [r for r in range(model.rowCount()) if title in model.index(r, 0).data()]
    assert rows, f"no lesson titled {title}"
    view.scrollTo(model.index(rows[0], 0))
    rect = view.visualRect(model.index(rows[0], 0))
    qtbot.mouseClick(view.viewport(), LEFT, pos=rect.center())
    assert view.currentIndex().row() == rows[0]


def choose(qtbot, window, index: int, text: str) -> None:
    """Click the predict-first choice `index` (it must read `text`) once it is laid out."""
    choice = find(window, f"lessonChoice{index}", QtWidgets.QRadioButton)
    assert choice.text() == text
    qtbot.waitUntil(choice.isVisible)  # a button added to a shown layout appears a turn later
    qtbot.mouseClick(choice, LEFT, pos=QtCore.QPoint(8, choice.height() // 2))
    assert choice.isChecked()


def step_text(window) -> str:
    return find(window, "lessonStepText").toPlainText()


def tensor_rows(window) -> list[str]:
    model = find(window, "tensorList").model()
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def test_a_lesson_driven_by_its_buttons_updates_the_tensor_lab_and_checks_answers(
        qtbot, playground_window, settings_file):
    window = playground_window(settings=_settings(settings_file))
    assert not find(window, "lessonsDock").isVisible()  # closed until asked for
    open_lessons(qtbot, window)
    pick_lesson(qtbot, window, "Accumulation")
    assert "fresh graph" in step_text(window)
    assert find(window, "lessonCode").toPlainText().splitlines()[0] == \
        "x = torch.randn(2, 4, requires_grad=True)"

    click(qtbot, window, "runStepButton")
    assert tensor_rows(window) == ["x", "y"]  # File > New first, then the step's statements
    x = first_randn(2, 4, requires_grad=True)
    (x + 2).mean().backward()
    assert table_cells(window, "valuesTable") == x.detach().reshape(-1).tolist()
    assert table_cells(window, "gradTable") == x.grad.reshape(-1).tolist()
    # No answer typed: the panel tells torch's value and why.
    assert "x.grad[0, 0] = 0.125" in find(window, "lessonVerdict").text()

    click(qtbot, window, "nextStepButton")
    assert "twice more" in step_text(window)
    for _ in range(2):
        (x + 2).mean().backward()
    qtbot.keyClicks(find(window, "lessonAnswerEdit"), format(x.grad[0, 0].item(), "g"))
    click(qtbot, window, "checkAnswerButton")  # runs the step, then compares with torch
    assert find(window, "lessonVerdict").text().startswith("✓ Right")
    assert table_cells(window, "gradTable") == x.grad.reshape(-1).tolist()

    click(qtbot, window, "nextStepButton")
    qtbot.keyClicks(find(window, "lessonAnswerEdit"), "1")
    click(qtbot, window, "runStepButton")
    verdict = find(window, "lessonVerdict").text()
    assert verdict.startswith("✗ Not quite: you said 1; torch computed 0")
    assert table_cells(window, "gradTable") == [0.0] * 8

    click(qtbot, window, "prevStepButton")
    assert "twice more" in step_text(window)
    assert "Accumulation" in find(window, "lessonList").currentIndex().data()
    assert "(3/4)" in find(window, "lessonList").currentIndex().data()


def test_a_pitfall_step_shows_torchs_own_error_and_what_to_do_instead(qtbot, playground_window,
                                                                    settings_file):
    window = playground_window(settings=_settings(settings_file))
    open_lessons(qtbot, window)
    pick_lesson(qtbot, window, "Pitfalls")
    choose(qtbot, window, 1, "raises")
    click(qtbot, window, "runStepButton")
    a = torch.randn(3, requires_grad=True)
    s = (a * a).sum()
    s.backward()
    with pytest.raises(RuntimeError) as torch_error:
        s.backward()
    message = find(window, "messageLabel").text()
    assert message.startswith(str(torch_error.value))  # the Tensor Lab shows torch's text
    result = find(window, "lessonResult").toPlainText()
    assert str(torch_error.value) in result and "What to do instead" in result
    assert find(window, "lessonVerdict").text().startswith("✓ Right")
    assert tensor_rows(window) == ["a", "s"]  # the failing backward changed nothing


def test_progress_and_the_open_panel_come_back_in_a_new_window(qtbot, playground_window,
                                                               settings_file):
    first = playground_window(settings=_settings(settings_file))
    open_lessons(qtbot, first)
    pick_lesson(qtbot, first, "Stopping the tracking")
    click(qtbot, first, "runStepButton")
    click(qtbot, first, "nextStepButton")
    first.close()

    again = playground_window(settings=_settings(settings_file))
    assert find(again, "lessonsDock").isVisible()
    assert again.lessons_dock.panel.position == ("04-stop-tracking", 1)
    current = find(again, "lessonList").currentIndex().data()
    assert current.startswith("Stopping the tracking") and "(1/3)" in current
    assert "torch.no_grad()" in step_text(again)  # the second step
    assert find(again, "prevStepButton").isEnabled()
    dock = find(again, "lessonsDock", QtWidgets.QDockWidget)
    close = dock.findChild(QtWidgets.QAbstractButton, "qt_dockwidget_closebutton")
    qtbot.mouseClick(close, LEFT)  # closed from its title bar: remembered too
    assert not dock.isVisible()
    again.close()
    assert not find(playground_window(settings=_settings(settings_file)), "lessonsDock").isVisible()


def test_the_regression_lesson_sets_up_and_starts_the_training_lab(qtbot, playground_window,
                                                                   settings_file):
    window = playground_window(settings=_settings(settings_file))
    open_lessons(qtbot, window)
    pick_lesson(qtbot, window, "Linear regression")
    panel = window.lessons_dock.panel
    panel.go_to("06-linear-regression", 3)
    assert "Manual" in find(window, "lessonCode").toPlainText()
    choose(qtbot, window, 0, "completed")
    lab = window.training_lab
    with qtbot.waitSignal(lab.runFinished, timeout=30000) as finished:
        click(qtbot, window, "runStepButton")
        assert window.tabs.currentWidget() is lab
        assert find(lab, "optimizerCombo").currentText() == "Manual"
        assert find(lab, "speedCombo").currentText() == "6 epochs/s"  # the default pace
        window.training_session.set_speed(None)  # the test need not watch at 6 epochs/s
    assert finished.args == ["completed"]
    qtbot.waitUntil(lambda: find(window, "lessonVerdict").text().startswith("✓ Right"))
    # The lab's readout shows what plain torch computes for the notebook's run.
    x = torch.tensor([10.0, 5.0])
    w = torch.ones(1, requires_grad=True)
    b = torch.ones(1, requires_grad=True)
    for _ in range(100):
        ((w * x + b - x) ** 2).mean().backward()
        with torch.no_grad():
            w -= 0.001 * w.grad
            b -= 0.001 * b.grad
        w.grad.zero_()
        b.grad.zero_()
    run = window.training_session.current
    assert float(run.history.column("w")[-1]) == pytest.approx(w.item(), rel=1e-6)


def test_at_1280x720_the_open_panel_leaves_the_statement_line_in_view(qtbot, playground_window,
                                                                      settings_file):
    window = playground_window(settings=_settings(settings_file))
    window.resize(1280, 720)
    qtbot.waitUntil(lambda: window.width() == 1280 and window.height() == 720)
    dock = open_lessons(qtbot, window)
    viewport = find(window, "tensorScroll", QtWidgets.QScrollArea).viewport()

    def in_view(name: str, root=window, area=None) -> bool:
        widget = find(root, name)
        area = area or window
        rect = QtCore.QRect(widget.mapTo(area, QtCore.QPoint(0, 0)), widget.size())
        return widget.isVisible() and area.rect().contains(rect)

    names = ("statementEdit", "runStatementButton")
    with contextlib.suppress(qtbot.TimeoutError):  # the layout settles over a few turns
        qtbot.waitUntil(lambda: all(in_view(n, area=viewport) for n in names), timeout=3000)
    assert [n for n in names if not in_view(n, area=viewport)] == []
    for name in ("lessonList", "lessonStepText", "runStepButton", "nextStepButton",
                 "prevStepButton"):
        assert in_view(name), name
    assert dock.geometry().left() >= find(window, "labTabs").geometry().right()


def test_a_step_can_bring_the_graph_tab_forward(qtbot, playground_window, settings_file):
    window = playground_window(settings=_settings(settings_file))
    tabs = find(window.tensor_lab, "tensorPlotTabs", QtWidgets.QTabWidget)
    graph = tabs.findChild(QtWidgets.QWidget, "graphView")
    if graph is None:  # until the graph view is a tab of its own, add one as the lab would
        from playground.ui.graph.panel import GraphPanel

        tabs.addTab(GraphPanel(window.workspace), "Graph")
        graph = tabs.findChild(QtWidgets.QWidget, "graphView")
    tabs.setCurrentIndex(0)
    window.tabs.setCurrentIndex(1)
    open_lessons(qtbot, window)
    window.lessons_dock.panel.go_to("01-grad-fn-chain", 2)
    click(qtbot, window, "runStepButton")
    assert window.tabs.currentWidget() is window.tensor_lab
    page = tabs.currentWidget()
    assert page is graph or page.isAncestorOf(graph)
    assert tensor_rows(window) == ["x", "y", "z", "w"]
    assert "The grad_fn chain: step 3 of 5 · A chain of nodes" in \
        find(window, "lessonStepTitle").text()


def test_a_bad_lesson_file_is_listed_by_name_and_the_good_ones_still_work(qtbot, tmp_path,
                                                                         settings_file):
    from playground.core.tensorlab.workspace import Workspace
    from playground.ui.lessons.panel import LessonsPanel

    good = {"format": 1, "title": "Ones", "summary": "s", "steps": [
        {"title": "t", "text": "Make ones.", "statements": ["o = torch.ones(3)"],
         "question": {"prompt": "o[2]?", "read": "o[2]", "explanation": "all ones"}}]}
    (tmp_path / "01-good.json").write_text(json.dumps(good))
    (tmp_path / "02-bad.json").write_text(json.dumps({**good, "steps": [{"title": "t"}]}))
    ws = Workspace()
    panel = LessonsPanel(ws, None, _settings(settings_file), folder=tmp_path)
    qtbot.addWidget(panel)
    panel.show()
    errors = find(panel, "lessonLoadErrors", QtWidgets.QLabel)
    assert errors.isVisible()
    assert errors.text() == "02-bad.json: steps[0].text: must be a non-empty string"
    assert find(panel, "lessonList").model().rowCount() == 1
    qtbot.keyClicks(find(panel, "lessonAnswerEdit"), "1")
    qtbot.keyClick(find(panel, "lessonAnswerEdit"), QtCore.Qt.Key.Key_Return)
    assert ws.names == ["o"] and torch.equal(ws.tensor("o"), torch.ones(3))
    assert find(panel, "lessonVerdict").text().startswith("✓ Right: o[2] = 1.")
    assert not find(panel, "nextStepButton").isEnabled()  # the only step of the only lesson


def test_with_no_lessons_the_panel_says_so_and_nothing_can_run(qtbot, tmp_path, settings_file):
    from playground.core.tensorlab.workspace import Workspace
    from playground.ui.lessons.panel import LessonsPanel

    panel = LessonsPanel(Workspace(), None, _settings(settings_file), folder=tmp_path)
    qtbot.addWidget(panel)
    assert find(panel, "lessonStepTitle").text() == "No lessons found."
    assert not any(find(panel, n).isEnabled()
                   for n in ("runStepButton", "nextStepButton", "prevStepButton"))


def test_zoom_reaches_the_step_text_and_its_code(qtbot, playground_window, settings_file):
    window = playground_window(settings=_settings(settings_file))
    open_lessons(qtbot, window)
    window.lessons_dock.panel.go_to("02-backward-scalar", 1)  # its text has code spans
    window.set_zoom(3)
    try:
        text = find(window, "lessonStepText", QtWidgets.QTextBrowser)

        def sizes() -> set[float]:
            found = set()
            block = text.document().begin()
            while block.isValid():
                it = block.begin()
                while not it.atEnd():
                    found.add(it.fragment().charFormat().font().pointSizeF())
                    it += 1
                block = block.next()
            return found

        expected = QtWidgets.QApplication.font().pointSizeF()
        # Markdown's code spans get a whole point size: within half a point of the zoomed font.
        qtbot.waitUntil(lambda: all(abs(size - expected) <= 0.5 for size in sizes()))
        code = find(window, "lessonCode", QtWidgets.QPlainTextEdit)
        assert code.font().pointSizeF() == pytest.approx(expected)
    finally:
        window.set_zoom(0)  # the application font is shared between tests
