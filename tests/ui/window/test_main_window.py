"""The main window: default state, menus, undo/redo, sessions, zoom, theme, command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
from PySide6 import QtCore, QtGui, QtWidgets

from playground.testing import find, run_python, table_cells
from playground.ui.widgets.theme import ThemeMode


def list_names(window) -> list[str]:
    model = find(window, "tensorList").model()
    return [model.index(r, 0).data().split()[0] for r in range(model.rowCount())]


def notebook_first_cell():
    torch.manual_seed(0)
    x = torch.randn(3, 2, requires_grad=True)
    w = ((x + 10) * (x + 10) * (x + 10)).mean()
    return x, w


def test_opens_on_the_notebooks_first_example(playground_window):
    window = playground_window()
    assert list_names(window) == ["x", "y", "z", "w"]
    assert window.workspace.current == "w"
    assert find(window, "gradFnLabel").text() == "MeanBackward0"
    _, w = notebook_first_cell()
    assert table_cells(window, "valuesTable") == pytest.approx([w.item()], rel=1e-6)
    assert find(window, "hintLabel").text()  # tells the learner what to click next


def test_backward_from_the_default_state_matches_torch(playground_window, qtbot):
    window = playground_window()
    qtbot.mouseClick(find(window, "backwardButton"), QtCore.Qt.MouseButton.LeftButton)
    x, w = notebook_first_cell()
    w.backward()
    x_grad = window.workspace.facts("x").grad
    assert x_grad is not None
    assert torch.allclose(torch.from_numpy(x_grad), x.grad)
    # d/dx mean((x+10)^3) = (x+10)^2 / 2
    assert torch.allclose(x.grad, (x.detach() + 10) ** 2 / 2)


def test_new_clears_and_undo_redo_replay(playground_window, qtbot):
    window = playground_window()
    find(window, "actionNew", QtGui.QAction).trigger()
    assert list_names(window) == []
    assert window.workspace.log == ["torch.manual_seed(0)"]
    assert not find(window, "actionUndo", QtGui.QAction).isEnabled()

    edit = find(window, "statementEdit")
    for line in ("a = torch.ones(2, requires_grad=True)", "s = (a * 3).sum()", "s.backward()"):
        edit.setText(line)
        qtbot.mouseClick(find(window, "runStatementButton"), QtCore.Qt.MouseButton.LeftButton)
    assert window.workspace.facts("a").grad.tolist() == [3.0, 3.0]

    undo = find(window, "actionUndo", QtGui.QAction)
    redo = find(window, "actionRedo", QtGui.QAction)
    assert undo.isEnabled() and not redo.isEnabled()
    undo.trigger()
    assert window.workspace.facts("a").grad is None
    assert redo.isEnabled()
    redo.trigger()
    assert window.workspace.facts("a").grad.tolist() == [3.0, 3.0]
    assert redo.isEnabled() is False


def test_restore_previous_session_brings_back_what_new_replaced(playground_window):
    window = playground_window()
    restore = find(window, "actionRestoreSession", QtGui.QAction)
    assert not restore.isEnabled()
    find(window, "actionNew", QtGui.QAction).trigger()
    assert list_names(window) == [] and restore.isEnabled()
    assert "Restore Previous Session" in window.statusBar().currentMessage()
    restore.trigger()
    assert list_names(window) == ["x", "y", "z", "w"]
    x, w = notebook_first_cell()
    assert table_cells(window, "valuesTable") == [w.item()]
    assert not restore.isEnabled()


def test_open_example_menu_replays_the_notebook_cells(playground_window):
    window = playground_window()
    window.tabs.setCurrentIndex(1)
    menu = find(window, "menuExamples", QtWidgets.QMenu)
    titles = [a.text() for a in menu.actions()]
    assert titles == sorted(titles) and len(titles) == 4
    assert all(a.toolTip() for a in menu.actions())
    find(window, "actionExample_notebook_accumulation", QtGui.QAction).trigger()
    assert window.tabs.currentWidget() is window.tensor_lab
    torch.manual_seed(0)
    x = torch.randn(2, 4, requires_grad=True)
    printed = []  # the notebook's two loops, as plain torch: accumulate, then zero each time
    for _ in range(4):
        (x + 2).mean().backward()
        printed.append(x.grad.mean().item())
    for _ in range(2):
        x.grad.zero_()
        (x + 2).mean().backward()
        printed.append(x.grad.mean().item())
    assert printed == [0.125, 0.25, 0.375, 0.5, 0.125, 0.125]
    # It ends on x, the tensor it is about, with the last backward's 0.125 in its .grad.
    assert window.workspace.current == "x"
    assert window.workspace.facts("x").grad.tolist() == x.grad.tolist()
    grads = [float(r.grad.mean()) for r in window.workspace.grad_history("x")]
    assert grads == [0.125, 0.25, 0.375, 0.5, 0.0, 0.125, 0.0, 0.125]
    find(window, "actionRestoreSession", QtGui.QAction).trigger()
    assert list_names(window) == ["x", "y", "z", "w"]


def test_session_round_trip_and_bad_files_keep_state(playground_window, tmp_path):
    window = playground_window()
    window.workspace.run("v = x.sum() * 2")
    path = tmp_path / "session.json"
    window.save_session(path)
    saved = json.loads(path.read_text())
    assert saved["statements"] == window.workspace.log

    values_before = window.workspace.facts("v").values.copy()
    window.new_session()
    assert list_names(window) == []
    assert window.open_session(path)
    assert list_names(window) == ["x", "y", "z", "w", "v"]
    assert window.workspace.facts("v").values == pytest.approx(values_before)

    log_before = list(window.workspace.log)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    refused = tmp_path / "refused.json"
    refused.write_text(json.dumps({"format": "gradient-playground-session", "version": 1,
                                   "statements": ["import os"]}))
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps([1, 2, 3]))
    for bad in (bad_json, refused, wrong, tmp_path / "missing.json"):
        assert not window.open_session(bad)
        assert window.statusBar().currentMessage()
        assert window.workspace.log == log_before


def test_export_script_prints_what_the_window_shows(playground_window, tmp_path):
    window = playground_window()
    window.workspace.run("w.backward()")
    path = tmp_path / "session.py"
    window.export_script(path)
    proc = run_python([str(path)], timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    x, w = notebook_first_cell()
    w.backward()
    assert f"x.grad = {x.grad}" in out
    assert out == window.workspace.printout()


def test_zoom_scales_every_font_and_resets(playground_window, qtbot):
    window = playground_window()
    base = QtWidgets.QApplication.font().pointSizeF()
    find(window, "actionZoomIn", QtGui.QAction).trigger()
    find(window, "actionZoomIn", QtGui.QAction).trigger()
    assert QtWidgets.QApplication.font().pointSizeF() == pytest.approx(base * 1.15**2)
    assert find(window, "statementEdit").font().pointSizeF() == pytest.approx(base * 1.15**2)
    find(window, "actionZoomOut", QtGui.QAction).trigger()
    assert window.zoom == 1
    find(window, "actionZoomReset", QtGui.QAction).trigger()
    assert QtWidgets.QApplication.font().pointSizeF() == pytest.approx(base)


def test_zoomed_fonts_refit_the_controls_and_the_values_column(playground_window, qtbot):
    window = playground_window()
    window.tabs.setCurrentIndex(1)
    lab = window.training_lab
    scroll = lab.findChild(QtWidgets.QScrollArea, "trainingControlsScroll")
    table = find(window, "valuesTable")
    before = scroll.minimumWidth()
    window.set_zoom(3)
    # Refits happen a turn after the font change reaches the labs.
    qtbot.waitUntil(lambda: scroll.minimumWidth() > before)
    assert scroll.minimumWidth() >= lab.controls.sizeHint().width()
    text = table.model().index(0, 0).data(QtCore.Qt.ItemDataRole.UserRole + 1)
    needed = table.fontMetrics().horizontalAdvance(text)
    qtbot.waitUntil(lambda: table.columnWidth(0) >= needed)
    window.set_zoom(0)
    qtbot.waitUntil(lambda: scroll.minimumWidth() == before)


def test_theme_switch_and_preferences_persist(playground_window, tmp_path):
    ini = str(tmp_path / "prefs.ini")
    settings = QtCore.QSettings(ini, QtCore.QSettings.Format.IniFormat)
    window = playground_window(settings=settings)
    find(window, "actionThemeDark", QtGui.QAction).trigger()
    assert QtWidgets.QApplication.palette().color(QtGui.QPalette.ColorRole.Window).lightness() < 80
    window.set_zoom(2)
    window.resize(1240, 780)
    window.close()

    again = playground_window(settings=QtCore.QSettings(ini, QtCore.QSettings.Format.IniFormat))
    assert again.theme is ThemeMode.DARK
    assert again.zoom == 2
    # The offscreen screen is only 800x800, so Qt clamps a restored geometry; check it was kept.
    stored = QtCore.QSettings(ini, QtCore.QSettings.Format.IniFormat).value("window/geometry")
    assert stored is not None and len(bytes(stored)) > 0
    again.set_theme(ThemeMode.LIGHT)
    assert QtWidgets.QApplication.palette().color(QtGui.QPalette.ColorRole.Window).lightness() > 180
    again.set_zoom(0)


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"}}
    env.update(extra)
    return env


def test_no_display_exits_2_with_advice():
    proc = subprocess.run([sys.executable, "-m", "playground"], env=_clean_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "--screenshot" in proc.stderr and "xvfb-run" in proc.stderr


def test_screenshot_writes_a_png_and_exits_0(tmp_path):
    out = tmp_path / "shot.png"
    proc = subprocess.run(
        [sys.executable, "-m", "playground", "--screenshot", str(out), "--size", "1200x800"],
        env=_clean_env(), capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    image = QtGui.QImage(str(out))
    assert (image.width(), image.height()) == (1200, 800)



def test_ctrl_z_in_an_empty_statement_line_undoes_the_last_statement(playground_window, qtbot):
    window = playground_window()
    edit = find(window, "statementEdit")
    edit.setFocus()
    qtbot.keyClicks(edit, "a = x * 2")
    qtbot.keyClick(edit, QtCore.Qt.Key.Key_Return)
    assert window.workspace.names[-1] == "a" and edit.text() == ""
    ctrl = QtCore.Qt.KeyboardModifier.ControlModifier
    qtbot.keyClick(edit, QtCore.Qt.Key.Key_Z, ctrl)
    assert "a" not in window.workspace.names
    qtbot.keyClick(edit, QtCore.Qt.Key.Key_Z, ctrl | QtCore.Qt.KeyboardModifier.ShiftModifier)
    assert window.workspace.names[-1] == "a"
    # While the line has its own typing to undo, Ctrl+Z edits the text, not the log.
    qtbot.keyClicks(edit, "b = a")
    qtbot.keyClick(edit, QtCore.Qt.Key.Key_Z, ctrl)
    assert window.workspace.names[-1] == "a" and edit.text() == ""


def test_every_control_explains_itself_in_a_tooltip(playground_window):
    window = playground_window(show=False)
    kinds = (QtWidgets.QAbstractButton, QtWidgets.QLineEdit, QtWidgets.QComboBox,
             QtWidgets.QAbstractSpinBox, QtWidgets.QAbstractSlider, QtWidgets.QTableView,
             QtWidgets.QPlainTextEdit)
    qt_parts = (QtWidgets.QAbstractSpinBox, QtWidgets.QComboBox, QtWidgets.QTabBar,
                QtWidgets.QMenuBar, QtWidgets.QScrollBar, QtWidgets.QTableView)
    silent = []
    for widget in window.findChildren(QtWidgets.QWidget):
        if not isinstance(widget, kinds) or isinstance(widget, QtWidgets.QScrollBar):
            continue
        if isinstance(widget.parent(), qt_parts):  # Qt's own pieces: corner buttons, editors
            continue
        if not widget.toolTip().strip():
            silent.append(f"{type(widget).__name__} {widget.objectName()!r}")
    assert silent == []
    controls = [w for w in window.findChildren(QtWidgets.QAbstractButton)
                if not isinstance(w.parent(), qt_parts)]
    assert len(controls) > 30  # the filter above did not skip the real controls
