"""A long Undo replays the log on a worker thread: the window keeps running its event loop,
shows `replayProgress`, and Cancel leaves the session exactly as it was."""

from __future__ import annotations

import torch
from PySide6 import QtCore, QtGui, QtWidgets

from playground.testing import find

HEAVY = "; ".join(["c = b * 2"] * 40)  # about 370M work units: near the one-line budget


def heavy_window(playground_window, qtbot):
    window = playground_window()
    qtbot.waitUntil(lambda: window.labs_ready, timeout=60000)
    ws = window.workspace
    assert ws.run("b = torch.ones(3000000)").ok
    for _ in range(4):
        assert ws.run(HEAVY).ok
    return window, ws


def when_dialog(window, act) -> None:
    """Call act(dialog) once the replay's progress dialog is up (from inside its event loop)."""
    progress = window.sessions.replay_progress

    def check() -> None:
        if progress.dialog is None or not progress.dialog.isVisible():
            QtCore.QTimer.singleShot(10, check)
            return
        act(progress.dialog)

    QtCore.QTimer.singleShot(0, check)


def test_cancel_during_a_long_undo_keeps_the_session(playground_window, qtbot) -> None:
    window, ws = heavy_window(playground_window, qtbot)
    log, c_before = ws.log, ws.tensor("c")
    pressed = []

    def cancel(dialog: QtWidgets.QProgressDialog) -> None:
        pressed.append(dialog.labelText())
        dialog.findChild(QtWidgets.QPushButton).click()

    when_dialog(window, cancel)
    find(window, "actionUndo", QtGui.QAction).trigger()
    assert pressed and "Replaying" in pressed[0]
    assert ws.log == log
    assert ws.tensor("c") is c_before  # the live state was never touched
    assert not ws.can_redo
    assert window.sessions.replay_progress.dialog is None


def test_a_long_undo_keeps_the_window_alive_and_ends_as_torch(playground_window, qtbot) -> None:
    window, ws = heavy_window(playground_window, qtbot)
    log = ws.log
    ticks = []
    timer = QtCore.QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(window.sessions.replay_progress.dialog))
    when_dialog(window, lambda _dialog: timer.start())
    find(window, "actionUndo", QtGui.QAction).trigger()
    timer.stop()
    assert any(d is not None for d in ticks)  # the event loop ran while the replay did
    assert ws.log == log[:-1]
    assert ws.can_redo
    assert torch.equal(ws.tensor("c"), torch.ones(3000000) * 2)
    assert window.sessions.replay_progress.dialog is None
