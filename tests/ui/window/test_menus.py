"""File and Edit act on the lab on screen, or say which lab they act on."""

from __future__ import annotations

from PySide6 import QtGui, QtWidgets


def action(window, name: str) -> QtGui.QAction:
    found = window.findChild(QtGui.QAction, name)
    assert found is not None, name
    return found


def show_training(window) -> None:
    action(window, "actionShowTrainingLab").trigger()
    assert window.tabs.currentWidget().objectName() == "trainingLab"


def test_export_on_the_training_lab_writes_the_training_script(playground_window, tmp_path):
    window = playground_window()
    show_training(window)
    path = tmp_path / "out.py"
    window.export_script(path)
    text = path.read_text(encoding="utf-8")
    assert "optim" in text or "w.grad" in text  # the regression loop, not the statement log
    assert "torch.randn(3, 2, requires_grad=True)" not in text


def test_export_on_the_tensor_lab_writes_the_statement_log(playground_window, tmp_path):
    window = playground_window()
    path = tmp_path / "out.py"
    window.export_script(path)
    assert "torch.randn(3, 2, requires_grad=True)" in path.read_text(encoding="utf-8")


def test_undo_from_the_training_lab_names_and_shows_the_tensor_lab(playground_window):
    window = playground_window()
    undo = action(window, "actionUndo")
    assert "Tensor Lab" not in undo.text()
    show_training(window)
    assert "Tensor Lab" in undo.text()
    assert "Tensor Lab" not in action(window, "actionSave").text()  # a session holds both labs
    before = list(window.workspace.log)
    undo.trigger()
    assert window.workspace.log == before[:-1]
    assert window.tabs.currentWidget().objectName() == "tensorLab"  # the change is in view
    assert "Tensor Lab" not in undo.text()


def test_copy_code_copies_the_lab_on_screen(playground_window):
    window = playground_window()
    action(window, "actionCopyCode").trigger()
    assert "torch.randn(3, 2, requires_grad=True)" in QtWidgets.QApplication.clipboard().text()
    show_training(window)
    action(window, "actionCopyCode").trigger()
    copied = QtWidgets.QApplication.clipboard().text()
    assert "torch.randn(3, 2, requires_grad=True)" not in copied
    assert "lr" in copied and "for epoch" in copied
