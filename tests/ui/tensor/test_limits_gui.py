"""Limits seen from the window: failed saves and bad files say why in the window, hostile lines
leave the views as they were, and a running line shows a busy cursor."""

from __future__ import annotations

import os
import sys

import pytest
import torch
from PySide6 import QtCore, QtWidgets

from playground.core.export.tensorlab_script import to_script as tensorlab_to_script
from playground.testing import find

LEFT = QtCore.Qt.MouseButton.LeftButton


@pytest.fixture
def errors(monkeypatch):
    """Exceptions that reach sys.excepthook (PySide6 sends slot exceptions there)."""
    caught: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, exc, tb: caught.append(exc))
    return caught



def type_statement(qtbot, window, text: str) -> None:
    edit = find(window, "statementEdit", QtWidgets.QLineEdit)
    edit.setText(text)
    qtbot.keyClick(edit, QtCore.Qt.Key.Key_Return)


@pytest.mark.parametrize("where", ["missing/folder/x.py", "a_file/x.py"])
def test_save_as_py_into_a_bad_folder_says_why_in_the_window(playground_window, qtbot,
                                                            tmp_path, monkeypatch, errors,
                                                            where) -> None:
    window = playground_window()
    (tmp_path / "a_file").write_text("a file, not a folder")
    target = tmp_path / where
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "")))
    qtbot.mouseClick(find(window, "saveCodeButton", QtWidgets.QPushButton), LEFT)
    message = find(window, "messageLabel", QtWidgets.QLabel).text()
    assert f"Could not save {target}" in message
    assert errors == []
    assert not target.exists()


def test_save_as_py_writes_the_script_atomically(playground_window, qtbot, tmp_path,
                                                 monkeypatch) -> None:
    window = playground_window()
    target = tmp_path / "s.py"
    target.write_text("old")
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "")))
    qtbot.mouseClick(find(window, "saveCodeButton", QtWidgets.QPushButton), LEFT)
    assert target.read_text() == tensorlab_to_script(window.workspace)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.py"]


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "deep", "version"])
def test_file_open_of_a_bad_session_shows_a_message_and_keeps_the_session(
        playground_window, qtbot, tmp_path, monkeypatch, errors, kind) -> None:
    window = playground_window()
    path = tmp_path / f"{kind}.json"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "deep":
        path.write_text("[" * 100_000 + "]" * 100_000)
    else:
        path.write_text('{"format": "gradient-playground-session", "version": 999, '
                        '"statements": []}')
    log = window.workspace.log
    shown: list[str] = []
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(path), "")))
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning",
                        staticmethod(lambda parent, title, text, *a: shown.append(text)))
    action = window.findChild(QtCore.QObject, "actionOpen")
    action.trigger()
    assert len(shown) == 1 and str(path) in shown[0]
    assert window.workspace.log == log
    assert errors == []


def test_hostile_line_changes_no_view(playground_window, qtbot, errors) -> None:
    window = playground_window()
    tensor_list = find(window, "tensorList", QtWidgets.QAbstractItemView)
    rows = tensor_list.model().rowCount()
    code = find(window, "codeView", QtWidgets.QPlainTextEdit).toPlainText()
    for line in ["a = torch.ones(torch.tensor(250000000)).sum()",
                 "a = torch.zeros(" + ", ".join(["1"] * 65) + ")",
                 "torch.optim.SGD([x], lr=0.1)"]:
        type_statement(qtbot, window, line)
        assert find(window, "messageLabel", QtWidgets.QLabel).text()
        assert tensor_list.model().rowCount() == rows
        assert find(window, "codeView", QtWidgets.QPlainTextEdit).toPlainText() == code
    assert "torch.optim" in find(window, "messageLabel", QtWidgets.QLabel).text()
    assert errors == []


def test_reading_a_none_grad_shows_none(playground_window, qtbot) -> None:
    window = playground_window()
    window.new_session()
    type_statement(qtbot, window, "x = torch.ones(2, requires_grad=True)")
    type_statement(qtbot, window, "x.grad")
    assert torch.ones(2, requires_grad=True).grad is None
    assert find(window, "outputLabel", QtWidgets.QLabel).text() == "None"


def test_a_running_line_shows_a_busy_cursor(playground_window, qtbot, monkeypatch) -> None:
    window = playground_window()
    seen: list[object] = []
    original = window.workspace.run

    def run(source, **kwargs):
        cursor = QtWidgets.QApplication.overrideCursor()
        seen.append(None if cursor is None else cursor.shape())
        return original(source, **kwargs)

    monkeypatch.setattr(window.workspace, "run", run)
    type_statement(qtbot, window, "q = torch.ones(3)")
    assert seen == [QtCore.Qt.CursorShape.WaitCursor]
    assert QtWidgets.QApplication.overrideCursor() is None
    assert "q" in window.workspace.names


def test_training_export_into_a_missing_folder_says_why(playground_window, tmp_path,
                                                        errors) -> None:
    window = playground_window()
    lab = find(window, "trainingLab")
    for export in (lab.export_loss_png, lab.export_loss_csv, lab.export_script):
        with pytest.raises(OSError):
            export(tmp_path / "missing" / "out.file")
    # What the export buttons do once a path is chosen.
    lab.export_dialogs.save(lab.export_loss_csv, str(tmp_path / "missing" / "loss.csv"))
    shown = find(window, "trainingMessageLabel", QtWidgets.QLabel).text()
    assert "Export failed" in shown and "No such file or directory" in shown
    assert errors == []
    assert not (tmp_path / "missing").exists()
