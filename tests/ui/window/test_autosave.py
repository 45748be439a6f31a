"""Crash recovery end to end: a real app process is killed mid-session, the next start restores.

Both processes run offscreen with throw-away XDG_DATA_HOME and XDG_CONFIG_HOME folders, so the
autosave lands in QStandardPaths.AppDataLocation exactly as in use, and nothing of the user's is
read or touched. The first process reports each autosave on stdout; once the file holds a
finished training run and the Training Lab on screen, it is killed with SIGKILL (no clean close,
no chance to delete anything). The second start is told to restore (the `restore_autosave`
keyword, which answers the banner's offer) and must hold the killed process's state exactly.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import textwrap
from pathlib import Path

FIRST = textwrap.dedent(
    """
    import json, sys
    from PySide6 import QtWidgets
    app = QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName("Gradient Playground")
    app.setOrganizationName("GradientPlayground")
    from playground.ui.window.main_window import MainWindow

    window = MainWindow()
    window.show()
    for line in ["x = torch.randn(2, 3, requires_grad=True)", "y = (x ** 2).sum()",
                 "y.backward()"]:
        assert window.workspace.run(line).ok, line
    session = window.training_session
    session.set_speed(None)
    session.update(lr=0.03, epochs=12, optimizer="RMSprop")

    def saved(path):
        doc = window.session_document()
        run = doc["training"]["current"]
        if run and len(run["records"]) == 12 and doc["view"]["lab"] == "training":
            print(json.dumps({"path": path, "doc": doc}), flush=True)  # then the parent kills

    window.autosaver.saved.connect(saved)
    window.training_lab.runFinished.connect(lambda status: window.tabs.setCurrentIndex(1))
    window.training_lab.start()
    app.exec()
    """
)

SECOND = textwrap.dedent(
    """
    import json, sys
    from PySide6 import QtWidgets
    app = QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName("Gradient Playground")
    app.setOrganizationName("GradientPlayground")
    from playground.ui.window.main_window import MainWindow

    window = MainWindow(restore_autosave=True)
    doc = window.session_document()
    x = window.workspace.facts("x")
    grads = {"x": x.grad.tolist(), "x_values": x.values.tolist()}
    window.close()  # a clean close: its own autosave goes away
    print(json.dumps({"doc": doc, "grads": grads, "status": window.statusBar().currentMessage()}))
    """
)


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_RUNTIME_DIR=str(tmp_path / "run"))
    (tmp_path / "run").mkdir(mode=0o700)
    return env


def _first_line(proc: subprocess.Popen, timeout: float) -> str | None:
    """The child's first line of output, or None if it printed none within `timeout`."""
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            return None
    return proc.stdout.readline() or None  # the child writes its line whole, then flushes


def test_a_killed_session_is_restored_by_the_next_start(tmp_path: Path) -> None:
    env = _env(tmp_path)
    first = subprocess.Popen([sys.executable, "-c", FIRST], env=env, cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = _first_line(first, timeout=120)
    finally:
        first.kill()  # SIGKILL mid-session: no closeEvent, nothing cleaned up
        first.wait(timeout=60)
        errors = first.stderr.read()
        first.stdout.close()
        first.stderr.close()
    assert line is not None, errors[-2000:]
    report = json.loads(line)
    autosave = Path(report["path"])
    assert autosave.exists() and autosave.is_relative_to(tmp_path / "data")
    killed = report["doc"]

    second = subprocess.run([sys.executable, "-c", SECOND], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=180, check=False)
    assert second.returncode == 0, second.stderr[-2000:]
    restored = json.loads(second.stdout.strip().splitlines()[-1])
    assert restored["doc"] == killed  # statements, selected tensor, setup, run, lab, lesson
    assert "Restored" in restored["status"]
    # y = sum(x**2): autograd's x.grad is 2x, here in plain torch from the restored values.
    import torch

    x = torch.tensor(restored["grads"]["x_values"], requires_grad=True)
    (x**2).sum().backward()
    assert restored["grads"]["x"] == x.grad.tolist()
    # The crash's file was taken in, and the clean close removed the new window's own.
    assert list((tmp_path / "data").rglob("autosave-*")) == []
