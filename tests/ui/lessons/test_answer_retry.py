"""A number question given something that is not a number says how to write one and waits for
another try: not marked wrong, torch's value not given away, the next answer still checked."""

from __future__ import annotations

from PySide6 import QtCore

from playground.testing import click, find
from tests.oracles import first_randn
from tests.ui.lessons.test_lessons_panel import open_lessons, pick_lesson


def test_abc_asks_for_a_number_then_the_next_answer_is_checked(qtbot, playground_window,
                                                                tmp_path):
    settings = QtCore.QSettings(str(tmp_path / "lessons.ini"), QtCore.QSettings.Format.IniFormat)
    window = playground_window(settings=settings)
    open_lessons(qtbot, window)
    pick_lesson(qtbot, window, "Accumulation")
    edit = find(window, "lessonAnswerEdit")
    qtbot.keyClicks(edit, "abc")
    click(qtbot, window, "checkAnswerButton")  # runs the step, then reads the answer
    verdict = find(window, "lessonVerdict").text()
    assert verdict.startswith("Enter a number, e.g. 0.25 or 1/8")
    assert "✗" not in verdict and "you said" not in verdict and "0.125" not in verdict
    assert edit.isEnabled() and not edit.isReadOnly()

    x = first_randn(2, 4, requires_grad=True)
    (x + 2).mean().backward()  # plain torch: what the step's backward leaves in x.grad
    edit.clear()
    qtbot.keyClicks(edit, "1/8")
    click(qtbot, window, "checkAnswerButton")
    assert find(window, "lessonVerdict").text().startswith(
        f"✓ Right: x.grad[0, 0] = {x.grad[0, 0].item():g}")
