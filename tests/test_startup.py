"""Start-up: `python -m playground` shows its window before torch is imported, then the labs fill in.

Each case runs the real launcher (`playground.__main__.main`) in a child process, headless, with
its settings and data folders in tmp_path. The child watches the window's first paint, records
what was loaded and what could be clicked at that moment, waits for `labsReady`, then drives the
labs through their objectNames inside `labsReady` (a statement runs, Start starts a run), waits
for the Network Lab (built one step later) and prints one JSON line. No wall-clock assertion
anywhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import gc, json, sys
from PySide6 import QtCore, QtGui, QtTest, QtWidgets

app = QtWidgets.QApplication(sys.argv[:1])
seen = {}


class FirstPaint(QtCore.QObject):
    def eventFilter(self, obj, event):
        if (event.type() == QtCore.QEvent.Type.Paint and obj.objectName() == "mainWindow"
                and "paint" not in seen):
            bar = obj.menuBar()
            seen["paint"] = {
                "torch": "torch" in sys.modules,
                "pyqtgraph": "pyqtgraph" in sys.modules,
                "labs_ready": obj.labs_ready,
                "gc_enabled": gc.isenabled(),
                "loading_pages": len(obj.findChildren(QtWidgets.QLabel, "labsLoading")),
                "undo_action": obj.findChild(QtGui.QAction, "actionUndo") is not None,
                "menus": {a.text(): a.isEnabled() for a in bar.actions()},
            }
        return False


watch = FirstPaint()
app.installEventFilter(watch)


def window():
    found = [w for w in app.topLevelWidgets() if w.objectName() == "mainWindow"]
    return found[0] if found else None


def at_ready(win):
    # Runs inside labsReady: what a person does first must work right then.
    import torch

    seen["network_lab_at_ready"] = win.network_lab is not None
    seen["gc_at_ready"] = {"enabled": gc.isenabled(), "frozen": gc.get_freeze_count() > 0}
    edit = win.findChild(QtWidgets.QLineEdit, "statementEdit")
    edit.setText("w.backward()")
    QtTest.QTest.keyClick(edit, QtCore.Qt.Key.Key_Return)
    torch.manual_seed(0)
    x = torch.randn(3, 2, requires_grad=True)
    ((x + 10) * (x + 10) * (x + 10)).mean().backward()
    lab_x = win.workspace.tensor("x")
    lab = win.findChild(QtWidgets.QWidget, "trainingLab")
    start = lab.findChild(QtWidgets.QPushButton, "startButton")
    QtTest.QTest.mouseClick(start, QtCore.Qt.MouseButton.LeftButton)
    seen["at_ready"] = {
        "x_matches": bool(torch.equal(lab_x.detach(), x.detach())),
        "grad_matches": lab_x.grad is not None and bool(torch.allclose(lab_x.grad, x.grad)),
        "run_started": lab.is_running() and win.training_session.current is not None,
    }
    finished = []
    lab.runFinished.connect(finished.append)
    lab.stop()
    QtCore.QTimer.singleShot(0, lambda: after_ready(win, finished))


def after_ready(win, finished):
    if win.network_lab is None or not finished:  # the Network Lab comes one step later
        QtCore.QTimer.singleShot(5, lambda: after_ready(win, finished))
        return
    try:
        check_labs(win, finished)
    finally:
        win.close()


def check_labs(win, finished):
    app.processEvents()  # let the loading pages' deleteLater run
    tabs = win.findChild(QtWidgets.QTabWidget, "labTabs")
    seen["ready"] = {
        "run_finished": finished,
        "tabs": [tabs.widget(i).objectName() for i in range(tabs.count())],
        "current_tab": tabs.currentIndex(),
        "loading_pages": len(win.findChildren(QtWidgets.QLabel, "labsLoading")),
        "undo_action": win.findChild(QtGui.QAction, "actionUndo") is not None,
        "menus": {a.text(): a.isEnabled() for a in win.menuBar().actions()},
    }


def poll():
    win = window()
    if win is not None and not win.labs_ready:
        win.labsReady.connect(lambda: at_ready(win))
    elif win is None:
        QtCore.QTimer.singleShot(5, poll)


QtCore.QTimer.singleShot(0, poll)
QtCore.QTimer.singleShot(120_000, app.quit)  # a hang ends the child; the test then fails
from playground.__main__ import main

code = main(sys.argv[1:])
print("RESULT " + json.dumps({"code": code, **seen}), flush=True)
"""


def run_child(tmp_path: Path, *args: str) -> dict:
    """The launcher in a headless child process; its RESULT line as a dict."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-c", CHILD, *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, f"no result; exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return json.loads(lines[-1][len("RESULT "):])


def test_window_is_painted_before_torch_loads_and_the_labs_fill_in(tmp_path: Path) -> None:
    result = run_child(tmp_path)
    paint = result["paint"]
    assert paint["torch"] is False
    assert paint["pyqtgraph"] is False
    assert paint["labs_ready"] is False
    assert paint["gc_enabled"] is False  # no collection while torch loads
    assert paint["loading_pages"] == 3  # one per lab
    assert paint["undo_action"] is False
    assert paint["menus"] == {"&File": True, "&Edit": False, "&View": False, "&Help": False}
    # At labsReady itself: a typed statement runs (torch's numbers) and Start starts a run.
    assert result["at_ready"] == {"x_matches": True, "grad_matches": True, "run_started": True}
    assert result["network_lab_at_ready"] is False  # built one step later, off the hot path
    # No collection paused torch's import; start-up's objects are frozen, collections are back.
    assert result["gc_at_ready"] == {"enabled": True, "frozen": True}
    ready = result["ready"]
    assert ready["run_finished"] == ["stopped"]
    assert ready["tabs"] == ["tensorLab", "trainingLab", "networkLab"]
    assert ready["loading_pages"] == 0
    assert ready["undo_action"] is True
    assert all(ready["menus"].values()) and "&Edit" in ready["menus"]
    assert result["code"] == 0


def test_lab_option_applies_once_the_labs_exist(tmp_path: Path) -> None:
    result = run_child(tmp_path, "--lab", "training")
    assert result["paint"]["torch"] is False
    assert result["ready"]["current_tab"] == 1
    assert result["code"] == 0


def test_importing_the_window_module_loads_no_torch() -> None:
    code = ("import sys, playground.ui.window.main_window, playground.__main__; "
            "print(sorted(m for m in ('torch', 'pyqtgraph', 'playground.core.tensorlab.workspace') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.stdout.strip() == "[]"
