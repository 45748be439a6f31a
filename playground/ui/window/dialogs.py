"""The file dialogs behind File > Open, Save and Export: they ask for a path, then let the
window run the action, which shows any failure in the status bar and a message box."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtWidgets

from playground.core.files.session_file import SUFFIX
from playground.core.labs import Lab

if TYPE_CHECKING:
    from playground.ui.window.main_window import MainWindow

SESSION_FILTER = f"Gradient Playground sessions (*{SUFFIX} *.json)"
SCRIPT_FILTER = "Python scripts (*.py)"


def _save_path(window: MainWindow, title: str, suggested: str, file_filter: str) -> str:
    path, _ = QtWidgets.QFileDialog.getSaveFileName(window, title, suggested, file_filter)
    return path


def open_session(window: MainWindow) -> None:
    title = "Open Session"
    path, _ = QtWidgets.QFileDialog.getOpenFileName(window, title, "", SESSION_FILTER)
    if path:
        window.perform(lambda: window.sessions.open(path), 8000, title=title)


def save_session(window: MainWindow) -> None:
    title = "Save Session"
    path = _save_path(window, title, f"session{SUFFIX}", SESSION_FILTER)
    if path:
        if not path.lower().endswith(".json"):
            path += SUFFIX
        window.perform(lambda: window.sessions.save(path), title=title)


def export_script(window: MainWindow) -> None:
    title = "Export Python Script"
    suggested = "training.py" if window.navigator.shown_lab() is Lab.TRAINING else "session.py"
    path = _save_path(window, title, suggested, SCRIPT_FILTER)
    if path:
        window.perform(lambda: window.sessions.export_script(path), title=title)


def export_python(window: MainWindow) -> None:
    title = "Export Session as Python"
    path = _save_path(window, title, "session.py", SCRIPT_FILTER)
    if path:
        window.perform(lambda: window.sessions.export_python(path), title=title)


def export_notebook(window: MainWindow) -> None:
    title = "Export Session as Notebook"
    path = _save_path(window, title, "session.ipynb", "Jupyter notebooks (*.ipynb)")
    if path:
        window.perform(lambda: window.sessions.export_notebook(path), title=title)
