"""One screen at 1280x720: both labs fit with the Lessons dock open or closed, and hold still.

The window is built in a child process whose offscreen screen is 1280x720 (a process's screens
are fixed when its QApplication starts), opened at the size it picks there, and every visible
widget of the lab on screen is checked ("nothing clipped, nothing scrolls sideways") with the
dock closed, open, after each step of every lesson, and closed again.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from playground.testing import inside, run_on_screen

if __name__ != "__main__":
    import pytest

    pytestmark = pytest.mark.filterwarnings("ignore")

# ----- the check, run inside the child --------------------------------------------------------


def _outside_horizontally(widget, stop) -> str | None:
    """The first ancestor below `stop` that cuts `widget` off at the left or right."""
    from PySide6 import QtCore

    rect = widget.rect()
    top_left = widget.mapTo(stop, rect.topLeft())
    if top_left.x() < 0 or top_left.x() + rect.width() > stop.width():
        return stop.objectName() or type(stop).__name__
    parent = widget.parentWidget()
    while parent is not None and parent is not stop:
        if parent.isWindow():
            break
        corner = widget.mapTo(parent, QtCore.QPoint(0, 0))
        if corner.x() < 0 or corner.x() + rect.width() > parent.width():
            return parent.objectName() or type(parent).__name__
        parent = parent.parentWidget()
    return None


def _cut_vertically(widget, stop) -> bool:
    """True when an ancestor that does not scroll cuts `widget` off at the top or bottom."""
    from PySide6 import QtCore, QtWidgets

    parent = widget.parentWidget()
    while parent is not None and parent is not stop and not parent.isWindow():
        grand = parent.parentWidget()
        if isinstance(grand, QtWidgets.QAbstractScrollArea) and parent is grand.viewport():
            return False  # the rest is a scroll away
        corner = widget.mapTo(parent, QtCore.QPoint(0, 0))
        if corner.y() < 0 or corner.y() + widget.height() > parent.height():
            return True
        parent = parent.parentWidget()
    return False


def _button_need(button):
    """The size `button`'s text and icon need: the minimum size hint, less the style's
    habit of making every push button at least 80 px wide."""
    from PySide6 import QtCore, QtWidgets

    need = button.minimumSizeHint()
    if isinstance(button, QtWidgets.QPushButton | QtWidgets.QToolButton):
        text = button.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
        width = button.fontMetrics().horizontalAdvance(text) + 8
        if not button.icon().isNull():
            width += button.iconSize().width() + 4
        need = QtCore.QSize(min(need.width(), width), need.height())
    return need


def _describe(widget) -> str:
    text = widget.text() if hasattr(widget, "text") else ""
    return f"{type(widget).__name__} {widget.objectName()!r} {text[:40]!r}"


def clipped(root) -> list[str]:
    """Everything on screen under `root` that is cut off, squashed or scrolls sideways."""
    from PySide6 import QtCore, QtWidgets

    problems: list[str] = []
    for area in root.findChildren(QtWidgets.QScrollArea):
        if area.isVisible() and area.horizontalScrollBar().isVisible():
            problems.append(f"scrolls sideways: {area.objectName()}")
    for widget in root.findChildren(QtWidgets.QWidget):
        if not widget.isVisible() or widget.objectName().startswith("qt_"):
            continue
        if isinstance(widget, QtWidgets.QAbstractButton) and not isinstance(
                widget.parentWidget(), (QtWidgets.QTabBar, QtWidgets.QAbstractScrollArea)):
            need = _button_need(widget)
            if widget.width() < need.width() or widget.height() < need.height():
                problems.append(f"squashed {widget.width()}x{widget.height()} < "
                                f"{need.width()}x{need.height()}: {_describe(widget)}")
        elif isinstance(widget, QtWidgets.QLabel) and widget.text():
            if widget.wordWrap():
                need = widget.heightForWidth(widget.width())
                if widget.height() < need:
                    problems.append(f"wrapped text cut {widget.height()} < {need} px: "
                                    f"{_describe(widget)}")
                elif _cut_vertically(widget, root):
                    problems.append(f"wrapped text cut by its parent: {_describe(widget)}")
            elif widget.pixmap().isNull() and widget.textFormat() != 1:  # RichText may wrap
                need = widget.minimumSizeHint()
                if widget.width() < need.width() or widget.height() < need.height():
                    problems.append(f"label cut {widget.width()}x{widget.height()} < "
                                    f"{need.width()}x{need.height()}: {_describe(widget)}")
        elif isinstance(widget, QtWidgets.QTextEdit | QtWidgets.QPlainTextEdit):
            line = widget.fontMetrics().lineSpacing()
            if widget.viewport().height() < line + 2:
                problems.append(f"text box under one line high: {_describe(widget)}")
            off = QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff
            if (widget.verticalScrollBarPolicy() == off
                    and widget.verticalScrollBar().maximum() > 0):  # cannot scroll to the rest
                problems.append(f"text box cut, no scroll bar: {_describe(widget)}")
        else:
            continue
        cut_by = _outside_horizontally(widget, root)
        if cut_by is not None:
            problems.append(f"cut off sideways by {cut_by}: {_describe(widget)}")
    return problems


CHILD = r"""
import json, sys
from PySide6 import QtCore, QtWidgets
app = QtWidgets.QApplication(sys.argv[:1])
app.setStyle("Fusion")
sys.path.insert(0, sys.argv[2])
from test_fits_1280x720 import clipped
from playground.ui.window.main_window import MainWindow


def settle(rounds=6):
    for _ in range(rounds):
        app.processEvents()
        QtCore.QThread.msleep(5)


settings = QtCore.QSettings(sys.argv[1] + "/s.ini", QtCore.QSettings.Format.IniFormat)
window = MainWindow(settings=settings, autosave_dir=sys.argv[1] + "/autosave")
window.show()
settle()
out = {"screen": list(app.primaryScreen().availableGeometry().getRect()), "checks": {}}
out["opened"] = list(window.frameGeometry().getRect())


def check(label):
    settle()
    lab = window.tabs.currentWidget()
    found = clipped(window.lessons_dock) if window.lessons_dock.isVisible() else []
    found += clipped(lab)
    tensor_lab = window.tensor_lab
    out["checks"][label] = {"problems": found,
                            "frame": list(window.frameGeometry().getRect()),
                            "lab_width": lab.width(), "lab": lab.objectName(),
                            "dock": window.lessons_dock.isVisible(),
                            "compact": tensor_lab.compact,
                            "page_min_widths": {window.tabs.widget(i).objectName():
                                                window.tabs.widget(i).minimumSizeHint().width()
                                                for i in range(window.tabs.count())}}


dock = window.lessons_dock
toggle = dock.toggleViewAction()
for index in range(2):
    window.tabs.setCurrentIndex(index)
    check(f"lab{index} closed")
    toggle.trigger()
    check(f"lab{index} open")
    toggle.trigger()
    check(f"lab{index} closed again")
toggle.trigger()
panel = dock.panel
for lesson in panel.lessons:
    panel.go_to(lesson.id, 0)
    for step in range(len(lesson.steps)):
        panel.go_to(lesson.id, step)
        check(f"{lesson.id} step {step + 1} shown")
        if panel.step.question is not None and panel.step.question.choices:
            panel.findChild(QtWidgets.QRadioButton, "lessonChoice0").setChecked(True)
        panel.run_current_step()
        session = window.training_session
        if session.is_running():
            # The same run unpaced (the lesson's 6 or 30 epochs/s only stretch the wait), and
            # the lesson's pace back on screen before the window is checked.
            pace = session.speed
            loop = QtCore.QEventLoop()
            window.training_lab.runFinished.connect(lambda *_: loop.quit())
            QtCore.QTimer.singleShot(60000, loop.quit)
            session.set_speed(None)
            if session.is_running():
                loop.exec()
            session.set_speed(pace)
        check(f"{lesson.id} step {step + 1} ran")
window.shutdown()
print(json.dumps(out))
"""


def run_child(tmp_path: Path, size: tuple[int, int] = (1280, 720)) -> dict:
    return run_on_screen(CHILD, tmp_path, str(Path(__file__).resolve().parent), size=size,
                         timeout=600, cwd=Path(__file__).resolve().parents[3])


if __name__ == "__main__":  # a look by hand: python tests/ui/window/test_fits_1280x720.py DIR
    report = run_child(Path(sys.argv[1]))
    for label, check in report["checks"].items():
        print(label, check["frame"], check["lab_width"])
        for problem in check["problems"]:
            print("   ", problem)


def test_both_labs_fit_1280x720_with_lessons_open_closed_and_every_step(tmp_path):
    report = run_child(tmp_path)
    checks = report["checks"]
    problems = {label: check["problems"] for label, check in checks.items() if check["problems"]}
    assert not problems, json.dumps(problems, indent=1)
    for index in range(2):
        closed, opened, again = (checks[f"lab{index} {state}"]
                                 for state in ("closed", "open", "closed again"))
        assert opened["lab_width"] < closed["lab_width"]
        # Closing the dock gives the lab (and the window) its width back.
        assert again["lab_width"] == closed["lab_width"], (closed, again)
        assert again["frame"] == closed["frame"], (closed, again)
    # Room is short with the dock open: the Tensor Lab takes two columns, not a sideways scroll.
    assert checks["lab0 open"]["compact"] and not checks["lab0 closed"]["compact"]
    # The window stays on the screen: the dock's width plus the widest lab's minimum (every
    # page of the lab tabs counts, shown or not) must fit in it.
    for label, check in checks.items():
        assert inside(check["frame"], report["screen"]), (label, check["frame"],
                                                          check["page_min_widths"])


def test_the_notebook_log_opens_at_the_start_of_its_lines(playground_window, qtbot):
    from PySide6 import QtWidgets

    from playground.testing import full_speed

    window = playground_window()
    window.resize(1126, 633)
    window.tabs.setCurrentWidget(window.training_lab)
    full_speed(window)
    with qtbot.waitSignal(window.training_lab.runFinished, timeout=60_000):
        window.training_lab.start()
    log = window.findChild(QtWidgets.QPlainTextEdit, "trainingLog")
    tabs = window.findChild(QtWidgets.QTabWidget, "trainingSideTabs")
    tabs.setCurrentIndex(next(i for i in range(tabs.count()) if tabs.widget(i).isAncestorOf(log)))
    qtbot.waitUntil(log.isVisible)
    assert "tensor(" in log.toPlainText()
    assert log.horizontalScrollBar().value() == 0
